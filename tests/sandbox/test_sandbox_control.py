"""The /sandbox/ HTTP control API and its event stream."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from bot.sandbox import BotApiSandbox


class Control:
    def __init__(self, http: aiohttp.ClientSession, sandbox: BotApiSandbox) -> None:
        self.http = http
        self.base = f"{sandbox.url}/sandbox"

    async def get(self, path: str, **query: str) -> tuple[int, Any]:
        async with self.http.get(self.base + path, params=query) as answer:
            return answer.status, await answer.json()

    async def post(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        async with self.http.post(self.base + path, json=body) as answer:
            return answer.status, await answer.json()


async def test_control_api(http: aiohttp.ClientSession, sandbox: BotApiSandbox, bot: Bot) -> None:
    control = Control(http, sandbox)
    status, user = await control.post("/users", {"user_id": 7, "first_name": "Inès", "language_code": "fr"})
    assert status == 201
    assert user == {"id": 7, "is_bot": False, "first_name": "Inès", "language_code": "fr"}
    status, message = await control.post("/chats/7/messages", {"text": "/start"})
    assert status == 201
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Oui", callback_data="yes")]])
    sent = await bot.send_message(7, "Prêt ?", reply_markup=markup)
    status, pressed = await control.post("/chats/7/press_button", {"text": "Oui"})
    assert status == 201
    query_id = pressed["callback_query_id"]
    await bot.answer_callback_query(query_id, "C'est noté")
    status, query = await control.get(f"/callback_queries/{query_id}")
    assert query["answer"] == {"text": "C'est noté", "show_alert": False, "url": None}
    status, pressed = await control.post(f"/chats/7/messages/{sent.message_id}/press", {"data": "forged"})
    assert status == 201
    assert len((await control.get("/callback_queries"))[1]) == 2
    status, edited = await control.post("/chats/7/messages/1/edit", {"text": "/start again"})
    assert edited["history"][0]["text"] == "/start"
    status, messages = await control.get("/chats/7/messages")
    assert [(m["from_bot"], m["text"]) for m in messages] == [(False, "/start again"), (True, "Prêt ?")]
    assert messages[1]["reply_markup"] == {"inline_keyboard": [[{"text": "Oui", "callback_data": "yes"}]]}
    status, chat = await control.post("/users/7/block")
    assert chat["blocked"] is True
    status, chat = await control.post("/users/7/unblock")
    assert chat["blocked"] is False
    status, chats = await control.get("/chats")
    assert [c["id"] for c in chats] == [7]
    status, group = await control.post("/groups", {"chat_id": -5, "title": "Quartier", "member_ids": [7]})
    assert status == 201
    assert group["member_ids"] == [7]
    await bot.set_my_commands([BotCommand("start", "Démarrer")], language_code="fr")
    assert (await control.get("/commands", language_code="fr"))[1] == [
        {"command": "start", "description": "Démarrer"}
    ]
    assert (await control.get("/chats/7/commands"))[1] == [{"command": "start", "description": "Démarrer"}]
    calls = (await control.get("/api_calls", since="1"))[1]
    assert [c["method"] for c in calls] == ["sendMessage", "answerCallbackQuery", "setMyCommands"]
    updates = (await control.get("/updates"))[1]
    assert len(updates["pending"]) == 6
    assert updates["long_polling"] is False
    assert updates["webhook"]["url"] == ""
    info = (await control.get("/"))[1]
    assert info["bot"]["username"] == "fabrique_sandbox_bot"
    assert info["api_base_url"].endswith("/bot")


async def test_control_files(http: aiohttp.ClientSession, sandbox: BotApiSandbox, alice: int) -> None:
    form = aiohttp.FormData({"caption": "Mon avis", "user_id": str(alice)})
    form.add_field("file", b"contenu", filename="avis.txt", content_type="text/plain")
    async with http.post(f"{sandbox.url}/sandbox/chats/{alice}/documents", data=form) as answer:
        assert answer.status == 201
        message = await answer.json()
    file_id = message["content"]["document"]["file_id"]
    async with http.get(f"{sandbox.url}/sandbox/files/{file_id}") as answer:
        assert (answer.content_type, await answer.read()) == ("text/plain", b"contenu")


async def test_control_errors(http: aiohttp.ClientSession, sandbox: BotApiSandbox) -> None:
    control = Control(http, sandbox)
    assert await control.post("/chats/5/messages", {"text": "x"}) == (400, {"error": "unknown chat 5"})
    assert await control.post("/users", {"first_name": "X"}) == (400, {"error": "missing field 'user_id'"})
    status, body = await control.post("/chats/abc/messages", {"text": "x"})
    assert (status, body) == (400, {"error": "chat_id must be an integer"})


async def test_events_long_poll(http: aiohttp.ClientSession, sandbox: BotApiSandbox, alice: int) -> None:
    control = Control(http, sandbox)
    _, first = await control.get("/events")
    assert [e["type"] for e in first["events"]] == ["user_added"]
    assert first["last_seq"] == 1
    waiting = asyncio.create_task(control.get("/events", since="1", timeout="30"))
    await sandbox.send_text(alice, "coucou")
    _, body = await asyncio.wait_for(waiting, 5)
    assert [e["type"] for e in body["events"]] == ["message"]
    assert body["events"][0]["data"]["message"]["text"] == "coucou"


async def test_server_sent_events(
    http: aiohttp.ClientSession, sandbox: BotApiSandbox, bot: Bot, alice: int
) -> None:
    headers = {"Accept": "text/event-stream"}
    async with http.get(f"{sandbox.url}/sandbox/events", headers=headers) as stream:
        assert stream.content_type == "text/event-stream"

        async def next_event() -> dict[str, Any]:
            fields: dict[str, str] = {}
            while (line := (await stream.content.readline()).decode().rstrip("\n")) != "":
                name, _, value = line.partition(": ")
                fields[name] = value
            event: dict[str, Any] = json.loads(fields["data"])
            assert int(fields["id"]) == event["seq"]
            return event

        assert (await next_event())["type"] == "user_added"
        await bot.send_chat_action(alice, "typing")
        event = await asyncio.wait_for(next_event(), 5)
        assert (event["type"], event["chat_id"], event["data"]) == (
            "chat_action",
            alice,
            {"action": "typing"},
        )

"""getUpdates (offsets, limit, long polling, allowed_updates), webhooks, and a polling bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Conflict
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bot.sandbox import BotApiSandbox
from tests.sandbox.conftest import RawApi


async def test_offsets_and_limit(bot: Bot, sandbox: BotApiSandbox, alice: int) -> None:
    for text in ("un", "deux", "trois"):
        await sandbox.send_text(alice, text)
    first = await bot.get_updates(limit=2)
    assert [u.update_id for u in first] == [1, 2]
    assert first[0].message is not None
    assert first[0].message.text == "un"
    again = await bot.get_updates(offset=2)
    assert [u.update_id for u in again] == [2, 3]  # 1 is confirmed, 2 is not yet
    assert await bot.get_updates(offset=4) == ()
    assert sandbox.pending_updates == []
    for text in ("quatre", "cinq"):
        await sandbox.send_text(alice, text)
    last = await bot.get_updates(offset=-1)
    assert [u.update_id for u in last] == [5]  # older ones are forgotten
    assert [u["update_id"] for u in sandbox.pending_updates] == [5]


async def test_long_poll_wakes_up_on_a_new_update(bot: Bot, sandbox: BotApiSandbox, alice: int) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await sandbox.wait_for(lambda: sandbox.updates.long_polling, what="a waiting getUpdates")
    assert not poll.done()
    await sandbox.send_text(alice, "réveil")
    updates = await asyncio.wait_for(poll, 5)
    assert [u.message.text for u in updates if u.message] == ["réveil"]


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    assert await bot.get_updates(timeout=timedelta(seconds=0.1)) == ()


async def test_a_newer_poll_terminates_the_older(bot: Bot, sandbox: BotApiSandbox, raw: RawApi) -> None:
    older = asyncio.create_task(bot.get_updates(timeout=30))
    await sandbox.wait_for(lambda: sandbox.updates.long_polling)
    assert await raw("getUpdates") == (200, {"ok": True, "result": []})
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await older


async def test_allowed_updates_are_remembered(bot: Bot, sandbox: BotApiSandbox, alice: int) -> None:
    sent = await bot.send_message(alice, "?")
    assert await bot.get_updates(allowed_updates=["callback_query"]) == ()
    await sandbox.send_text(alice, "ignored")
    await sandbox.press(alice, sent.message_id, "data")
    updates = await bot.get_updates()
    assert [u.callback_query.data for u in updates if u.callback_query] == ["data"]
    assert len(updates) == 1
    await bot.get_updates(offset=updates[-1].update_id + 1, allowed_updates=[])
    await sandbox.send_text(alice, "kept")
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["kept"]


async def test_resident_updates_parse(bot: Bot, sandbox: BotApiSandbox, alice: int) -> None:
    sent = await bot.send_message(alice, "Menu")
    mine = await sandbox.send_text(alice, "/start@fabrique_sandbox_bot p3")
    await sandbox.edit_text(alice, mine.message_id, "/start p4")
    await sandbox.send_message(alice, location={"latitude": 43.3, "longitude": 5.4})
    await sandbox.press(alice, sent.message_id, "menu:1")
    await sandbox.block(alice)
    await sandbox.unblock(alice)
    updates = await bot.get_updates()
    message, edited, location, query, blocked, unblocked = updates
    assert message.message is not None
    assert message.message.text == "/start@fabrique_sandbox_bot p3"
    assert message.message.entities[0].type == "bot_command"
    assert message.message.entities[0].length == len("/start@fabrique_sandbox_bot")
    assert message.message.from_user is not None
    assert message.message.from_user.language_code == "fr"
    assert edited.edited_message is not None
    assert edited.edited_message.text == "/start p4"
    assert edited.edited_message.edit_date is not None
    assert location.message is not None
    assert location.message.location is not None
    assert location.message.location.latitude == 43.3
    assert query.callback_query is not None
    assert query.callback_query.data == "menu:1"
    assert query.callback_query.message is not None
    assert query.callback_query.message.message_id == sent.message_id
    assert blocked.my_chat_member is not None
    assert blocked.my_chat_member.new_chat_member.status == "kicked"
    assert unblocked.my_chat_member is not None
    assert unblocked.my_chat_member.new_chat_member.status == "member"


class Receiver:
    """A webhook endpoint for the test: records deliveries, fails the first ``failures``."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[tuple[str | None, dict[str, Any]]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=500)
        return web.Response(text="ok")


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    endpoint = Receiver(failures=1)
    app = web.Application()
    app.router.add_post("/hook", endpoint.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield endpoint, f"http://{host}:{port}/hook"
    await runner.cleanup()


async def test_webhook_delivery_with_secret_and_retry(
    bot: Bot, sandbox: BotApiSandbox, alice: int, receiver: tuple[Receiver, str]
) -> None:
    endpoint, url = receiver
    assert await bot.set_webhook(url, secret_token="s3cr3t-Token_1") is True
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    assert sandbox.api_calls[-1].description == (
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first"
    )
    await sandbox.send_text(alice, "livré")
    await sandbox.wait_for(
        lambda: len(endpoint.received) >= 2 and not sandbox.pending_updates,
        what="a failed then a successful delivery",
    )
    (secret, first), (_, second) = endpoint.received
    assert secret == "s3cr3t-Token_1"
    assert first == second
    assert first["message"]["text"] == "livré"
    assert Update.de_json(first, bot).message is not None
    info = await bot.get_webhook_info()
    assert info.url == url
    assert info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert (await bot.get_webhook_info()).url == ""
    await sandbox.send_text(alice, "polling again")
    assert len(await bot.get_updates()) == 1


async def test_webhook_drop_pending_updates(bot: Bot, sandbox: BotApiSandbox, alice: int) -> None:
    await sandbox.send_text(alice, "old")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    await bot.set_webhook("http://127.0.0.1:9/unreachable", drop_pending_updates=True)
    info = await bot.get_webhook_info()
    assert (info.pending_update_count, info.max_connections) == (0, 40)
    await bot.delete_webhook()


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Oui", callback_data="yes")]])
    await update.effective_message.reply_text(
        f"Bienvenue ({' '.join(context.args or [])})", reply_markup=markup
    )


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Noté")
    await query.edit_message_text("Merci !")


async def test_a_polling_application(sandbox: BotApiSandbox, alice: int) -> None:
    assert sandbox.url is not None
    application: Application[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(sandbox.token)
        .base_url(f"{sandbox.url}/bot")
        .base_file_url(f"{sandbox.url}/file/bot")
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(answer))
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=5)
        await application.start()
        try:
            await sandbox.send_text(alice, "/start p3")
            (welcome,) = await sandbox.wait_for_bot_messages(alice, 1)
            assert welcome.text == "Bienvenue (p3)"
            query_id = await sandbox.press_button(alice, "Oui")
            await sandbox.wait_for(lambda: welcome.text == "Merci !")
            toast = sandbox.callback_answer(query_id)
            assert toast is not None
            assert toast.text == "Noté"
        finally:
            await application.updater.stop()
            await application.stop()

"""Bot API methods through python-telegram-bot and raw HTTP: shapes and Telegram's errors."""

from __future__ import annotations

import json

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyParameters,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden

from bot.sandbox import BotApiSandbox
from tests.sandbox.conftest import RawApi

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


def last_error(sandbox: BotApiSandbox) -> tuple[int | None, str | None]:
    call = sandbox.api_calls[-1]
    assert not call.ok
    return call.error_code, call.description


def keyboard(*buttons: dict[str, str]) -> str:
    return json.dumps({"inline_keyboard": [list(buttons)]})


async def test_get_me(bot: Bot, sandbox: BotApiSandbox) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "fabrique_sandbox_bot", True)
    assert sandbox.api_calls[-1].method == "getMe"


async def test_token_and_method_errors(raw: RawApi, sandbox: BotApiSandbox) -> None:
    assert await raw("getMe", token="123456:WRONG") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert await raw("getMeNow") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    status, body = await raw("GETME")
    assert status == 200
    assert body["result"]["username"] == "fabrique_sandbox_bot"


async def test_every_parameter_transport(
    http: aiohttp.ClientSession, sandbox: BotApiSandbox, alice: int
) -> None:
    url = f"{sandbox.url}/bot{sandbox.token}/sendMessage"
    markup = keyboard({"text": "A", "callback_data": "a"})
    async with http.get(url, params={"chat_id": "1001", "text": "query"}) as answer:
        assert (await answer.json())["result"]["text"] == "query"
    async with http.post(url, data={"chat_id": "1001", "text": "form", "reply_markup": markup}):
        pass
    form = aiohttp.FormData({"chat_id": "1001", "text": "multipart"})
    form.add_field("reply_markup", markup)
    form.add_field("unused", b"bytes", filename="u.bin")
    async with http.post(url, data=form) as answer:
        assert (await answer.json())["ok"] is True
    async with http.post(url, json={"chat_id": 1001, "text": "json"}):
        pass
    assert [m.text for m in sandbox.bot_messages(alice)] == ["query", "form", "multipart", "json"]
    assert sandbox.bot_messages(alice)[1].inline_keyboard == [[{"text": "A", "callback_data": "a"}]]
    assert sandbox.api_calls[1].params["reply_markup"] == json.loads(markup)


async def test_send_message_shape(bot: Bot, sandbox: BotApiSandbox, alice: int) -> None:
    first = await bot.send_message(alice, "Bonjour")
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Oui", callback_data="yes"),
                InlineKeyboardButton("Site", url="https://ex.org"),
            ]
        ]
    )
    sent = await bot.send_message(
        alice,
        "<b>Choisissez</b> 🗳",
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        reply_parameters=ReplyParameters(first.message_id),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        protect_content=True,
    )
    assert isinstance(sent, Message)
    assert sent.message_id == first.message_id + 1
    assert sent.from_user is not None
    assert sent.from_user.id == bot.id
    assert sent.chat.id == alice
    assert sent.chat.first_name == "Alice"
    assert sent.text == "Choisissez 🗳"
    assert sent.entities[0].type == "bold"
    assert sent.entities[0].length == 10
    assert sent.reply_markup == markup
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.text == "Bonjour"
    assert sent.link_preview_options == LinkPreviewOptions(is_disabled=True)
    assert sent.has_protected_content is True
    stored = sandbox.last_bot_message(alice)
    assert (stored.text, stored.reply_to) == ("Choisissez 🗳", sandbox.bot_messages(alice)[0])


async def test_reply_keyboards_are_kept_but_not_returned(
    bot: Bot, sandbox: BotApiSandbox, alice: int
) -> None:
    sent = await bot.send_message(alice, "Menu", reply_markup=ReplyKeyboardMarkup([["Un", "Deux"]]))
    assert sent.reply_markup is None
    assert sandbox.last_bot_message(alice).reply_markup == {"keyboard": [[{"text": "Un"}, {"text": "Deux"}]]}


async def test_chat_errors(bot: Bot, sandbox: BotApiSandbox, alice: int) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "hello")
    assert last_error(sandbox) == (400, "Bad Request: chat not found")
    await sandbox.block(alice)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(alice, "hello")
    assert last_error(sandbox) == (403, "Forbidden: bot was blocked by the user")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(alice, ChatAction.TYPING)
    await sandbox.unblock(alice)
    await bot.send_message(alice, "back")
    sandbox.add_user(1002, "Bob", started=False)
    with pytest.raises(Forbidden):
        await bot.send_message(1002, "hi")
    assert last_error(sandbox) == (403, "Forbidden: bot can't initiate conversation with a user")


async def test_text_errors(bot: Bot, sandbox: BotApiSandbox, alice: int) -> None:
    for text in ("", "  \n "):
        with pytest.raises(BadRequest):
            await bot.send_message(alice, text)
        assert last_error(sandbox) == (400, "Bad Request: message text is empty")
    with pytest.raises(BadRequest):
        await bot.send_message(alice, "<b> </b>", parse_mode=ParseMode.HTML)
    assert last_error(sandbox) == (400, "Bad Request: message text is empty")
    await bot.send_message(alice, "<b>" + "é" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest):
        await bot.send_message(alice, "<i>" + "x" * 4097 + "</i>", parse_mode=ParseMode.HTML)
    assert last_error(sandbox) == (400, "Bad Request: message is too long")


async def test_formatting_errors(bot: Bot, sandbox: BotApiSandbox, alice: int) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(alice, "<b>Réponse</b> <tag>", parse_mode=ParseMode.HTML)
    assert last_error(sandbox) == (
        400,
        'Bad Request: can\'t parse entities: Unsupported start tag "tag" at byte offset 16',
    )
    with pytest.raises(BadRequest):
        await bot.send_message(alice, "Merci.", parse_mode=ParseMode.MARKDOWN_V2)
    assert last_error(sandbox) == (
        400,
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
        "with the preceding '\\'",
    )


@pytest.mark.parametrize(
    ("button", "description"),
    [
        ({"text": "A", "callback_data": "é" * 33}, "Bad Request: BUTTON_DATA_INVALID"),
        ({"text": "A", "callback_data": ""}, "Bad Request: BUTTON_DATA_INVALID"),
        (
            {"text": "A"},
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        ),
        (
            {"text": "", "callback_data": "a"},
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        ),
        (
            {"text": "A", "callback_data": "a", "url": "https://ex.org"},
            "Bad Request: can't parse inline keyboard button: "
            "exactly one of the optional fields must be used",
        ),
        (
            {"text": "A", "url": "not a url"},
            "Bad Request: inline keyboard button URL 'not a url' is invalid: Wrong HTTP URL",
        ),
    ],
)
async def test_inline_keyboard_errors(
    raw: RawApi,
    sandbox: BotApiSandbox,
    alice: int,
    button: dict[str, str],
    description: str,
) -> None:
    status, body = await raw("sendMessage", chat_id=alice, text="x", reply_markup=keyboard(button))
    assert (status, body["description"]) == (400, description)


async def test_callback_data_of_64_bytes_is_fine(bot: Bot, sandbox: BotApiSandbox, alice: int) -> None:
    data = "é" * 32
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data=data)]])
    await bot.send_message(alice, "x", reply_markup=markup)
    assert sandbox.last_bot_message(alice).find_button("A") == {"text": "A", "callback_data": data}


async def test_edit_message_text(bot: Bot, sandbox: BotApiSandbox, alice: int) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    sent = await bot.send_message(alice, "v1", reply_markup=markup)
    edited = await bot.edit_message_text(
        "<i>v2</i>", alice, sent.message_id, parse_mode="HTML", reply_markup=markup
    )
    assert isinstance(edited, Message)
    assert edited.text == "v2"
    assert edited.edit_date is not None
    assert edited.reply_markup == markup
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<i>v2</i>", alice, sent.message_id, parse_mode="HTML", reply_markup=markup
        )
    assert last_error(sandbox) == (400, NOT_MODIFIED)
    await bot.edit_message_text("v3", alice, sent.message_id)  # no markup: keyboard removed
    message = sandbox.last_bot_message(alice)
    assert (message.text, message.reply_markup) == ("v3", None)
    assert [(r.text, r.reply_markup is not None) for r in message.history] == [("v1", True), ("v2", True)]
    with pytest.raises(BadRequest):
        await bot.edit_message_text("x", alice, 999)
    assert last_error(sandbox) == (400, "Bad Request: message to edit not found")
    mine = await sandbox.send_text(alice, "from alice")
    with pytest.raises(BadRequest):
        await bot.edit_message_text("x", alice, mine.message_id)
    assert last_error(sandbox) == (400, "Bad Request: message can't be edited")


async def test_edit_message_reply_markup(bot: Bot, sandbox: BotApiSandbox, alice: int) -> None:
    one = InlineKeyboardMarkup([[InlineKeyboardButton("1", callback_data="1")]])
    two = InlineKeyboardMarkup([[InlineKeyboardButton("2", callback_data="2")]])
    sent = await bot.send_message(alice, "x", reply_markup=one)
    edited = await bot.edit_message_reply_markup(alice, sent.message_id, reply_markup=two)
    assert isinstance(edited, Message)
    assert edited.reply_markup == two
    with pytest.raises(BadRequest):
        await bot.edit_message_reply_markup(alice, sent.message_id, reply_markup=two)
    assert last_error(sandbox) == (400, NOT_MODIFIED)
    await bot.edit_message_reply_markup(alice, sent.message_id)
    assert sandbox.last_bot_message(alice).reply_markup is None
    with pytest.raises(BadRequest):
        await bot.edit_message_reply_markup(alice, sent.message_id)
    assert last_error(sandbox) == (400, NOT_MODIFIED)
    with pytest.raises(BadRequest):
        await bot.edit_message_reply_markup(alice, 77, reply_markup=one)
    assert last_error(sandbox) == (400, "Bad Request: message to edit not found")


async def test_delete_message(bot: Bot, sandbox: BotApiSandbox, alice: int) -> None:
    sent = await bot.send_message(alice, "bientôt parti")
    assert await bot.delete_message(alice, sent.message_id) is True
    assert sandbox.bot_messages(alice) == []
    assert sandbox.bot_messages(alice, include_deleted=True)[0].deleted is True
    with pytest.raises(BadRequest):
        await bot.delete_message(alice, sent.message_id)
    assert last_error(sandbox) == (400, "Bad Request: message to delete not found")
    with pytest.raises(BadRequest):
        await bot.edit_message_text("x", alice, sent.message_id)
    assert last_error(sandbox) == (400, "Bad Request: message to edit not found")


async def test_answer_callback_query(bot: Bot, sandbox: BotApiSandbox, alice: int) -> None:
    sent = await bot.send_message(
        alice, "?", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Oui", callback_data="yes")]])
    )
    query_id = await sandbox.press(alice, sent.message_id, "yes")
    assert sandbox.callback_answer(query_id) is None
    with pytest.raises(BadRequest):
        await bot.answer_callback_query(query_id, "x" * 201)
    assert last_error(sandbox) == (400, "Bad Request: MESSAGE_TOO_LONG")
    assert await bot.answer_callback_query(query_id, "Merci !", show_alert=True) is True
    answer = sandbox.callback_answer(query_id)
    assert answer is not None
    assert (answer.text, answer.show_alert) == ("Merci !", True)
    expired = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    assert last_error(sandbox) == (400, expired)
    with pytest.raises(BadRequest):
        await bot.answer_callback_query("123")
    assert last_error(sandbox) == (400, expired)


async def test_chat_action(bot: Bot, sandbox: BotApiSandbox, alice: int) -> None:
    assert await bot.send_chat_action(alice, ChatAction.TYPING) is True
    assert sandbox.chat_actions(alice) == ["typing"]
    with pytest.raises(BadRequest):
        await bot.send_chat_action(alice, "dancing")
    assert last_error(sandbox) == (400, "Bad Request: wrong parameter action in request")


async def test_commands_per_scope_and_language(bot: Bot, sandbox: BotApiSandbox, alice: int) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands([BotCommand("start", "Commencer")], language_code="fr")
    await bot.set_my_commands(
        [BotCommand("admin", "Admin")], scope=BotCommandScopeChat(alice), language_code="fr"
    )
    await bot.set_my_commands([BotCommand("menu", "Menu")], scope=BotCommandScopeAllPrivateChats())
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.description for c in await bot.get_my_commands(language_code="fr")] == ["Commencer"]
    assert await bot.get_my_commands(language_code="de") == ()
    assert [c["command"] for c in sandbox.commands(language_code="fr")] == ["start"]
    assert [c["command"] for c in sandbox.commands({"type": "all_private_chats"})] == ["menu"]
    assert [c["command"] for c in sandbox.visible_commands(alice)] == ["admin"]
    sandbox.add_user(1002, "Bob", language_code="de")
    assert [c["command"] for c in sandbox.visible_commands(1002)] == ["menu"]
    await bot.delete_my_commands(scope=BotCommandScopeAllPrivateChats())
    assert [c["command"] for c in sandbox.visible_commands(1002)] == ["start", "help"]
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Start!", "x")])
    assert last_error(sandbox) == (400, "Bad Request: BOT_COMMAND_INVALID")
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("x", "y")], scope=BotCommandScopeChat(4242))
    assert last_error(sandbox) == (400, "Bad Request: chat not found")


async def test_close_log_out_and_call_log(bot: Bot, sandbox: BotApiSandbox) -> None:
    assert await bot.log_out() is True
    assert await bot.close() is True
    assert [c.method for c in sandbox.api_calls] == ["getMe", "logOut", "close"]
    assert all(c.ok for c in sandbox.api_calls)

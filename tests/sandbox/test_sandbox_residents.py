"""The resident side: messages, buttons, groups, blocking, waiting on conditions."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.sandbox import BotApiSandbox, SandboxUsageError


async def test_resident_messages_and_ids(sandbox: BotApiSandbox, bot: Bot, alice: int) -> None:
    first = await sandbox.send_text(alice, "  Bonjour @fabrique_sandbox_bot  ")
    reply = await bot.send_message(alice, "Salut", reply_to_message_id=first.message_id)
    second = await sandbox.send_text(alice, "Merci", reply_to=reply.message_id)
    assert (first.message_id, reply.message_id, second.message_id) == (1, 2, 3)
    assert first.text == "Bonjour @fabrique_sandbox_bot"
    assert first.entities == [{"type": "mention", "offset": 8, "length": 21}]
    assert [m.text for m in sandbox.messages(alice)] == [first.text, "Salut", "Merci"]
    assert [m.from_bot for m in sandbox.messages(alice)] == [False, True, False]
    assert second.reply_to is sandbox.last_bot_message(alice)
    assert [u["update_id"] for u in sandbox.pending_updates] == [1, 2]


async def test_edit_text_keeps_history(sandbox: BotApiSandbox, alice: int) -> None:
    message = await sandbox.send_text(alice, "Avant")
    await sandbox.edit_text(alice, message.message_id, "Après")
    assert message.text == "Après"
    assert message.edit_date is not None
    assert [revision.text for revision in message.history] == ["Avant"]
    assert "edited_message" in sandbox.pending_updates[-1]


async def test_press_button(sandbox: BotApiSandbox, bot: Bot, alice: int) -> None:
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton("A", callback_data="a1"), InlineKeyboardButton("Web", url="https://ex.org")]]
    )
    await bot.send_message(alice, "first", reply_markup=markup)
    newer = await bot.send_message(
        alice, "second", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a2")]])
    )
    query_id = await sandbox.press_button(alice, "A")
    query = sandbox.state.callback_queries[query_id]
    assert (query.data, query.message.message_id) == ("a2", newer.message_id)
    with pytest.raises(
        SandboxUsageError, match="no button 'Z' in chat 1001; buttons there: \\['A', 'Web', 'A'\\]"
    ):
        await sandbox.press_button(alice, "Z")
    with pytest.raises(SandboxUsageError, match="has no callback_data"):
        await sandbox.press_button(alice, "Web")
    forged = await sandbox.press(alice, newer.message_id, "forged")
    assert sandbox.state.callback_queries[forged].data == "forged"


async def test_groups(sandbox: BotApiSandbox, bot: Bot, alice: int) -> None:
    sandbox.add_user(1002, "Bob")
    sandbox.add_group(
        -100200, "Conseil de quartier", member_ids=[alice], chat_type="supergroup", username="conseil13"
    )
    message = await sandbox.send_text(-100200, "/vote@fabrique_sandbox_bot", user_id=1002)
    assert message.entities == [{"type": "bot_command", "offset": 0, "length": 26}]
    assert sandbox.chat(-100200).member_ids == {alice, 1002}
    (update,) = await bot.get_updates()
    assert update.message is not None
    assert update.message.chat.title == "Conseil de quartier"
    assert update.effective_user is not None
    assert update.effective_user.id == 1002
    sent = await bot.send_message("@conseil13", "Résultats")
    assert sent.chat.id == -100200
    with pytest.raises(SandboxUsageError, match="say which user"):
        await sandbox.send_text(-100200, "anonymous")


async def test_usage_errors(sandbox: BotApiSandbox, alice: int) -> None:
    with pytest.raises(SandboxUsageError, match="already exists"):
        sandbox.add_user(alice, "Again")
    with pytest.raises(SandboxUsageError, match="unknown chat 5"):
        await sandbox.send_text(5, "x")
    with pytest.raises(SandboxUsageError, match="has sent no message"):
        sandbox.last_bot_message(alice)
    await sandbox.block(alice)
    with pytest.raises(SandboxUsageError, match="blocked the bot"):
        await sandbox.send_text(alice, "x")


async def test_wait_for_times_out_with_context(sandbox: BotApiSandbox, bot: Bot, alice: int) -> None:
    await bot.send_message(alice, "hello")
    with pytest.raises(TimeoutError) as caught:
        await sandbox.wait_for(lambda: False, timeout=0.05, what="a miracle")
    text = str(caught.value)
    assert "a miracle not met within 0.05s" in text
    assert "sendMessage" in text
    assert "message chat=1001" in text


async def test_wait_for_wakes_on_bot_activity(sandbox: BotApiSandbox, bot: Bot, alice: int) -> None:
    waiter = asyncio.create_task(sandbox.wait_for_bot_messages(alice, 2))
    await bot.send_message(alice, "un")
    assert not waiter.done()
    await bot.send_message(alice, "deux")
    assert [m.text for m in await waiter] == ["un", "deux"]


async def test_events_log_changes(sandbox: BotApiSandbox, bot: Bot, alice: int) -> None:
    sent = await bot.send_message(
        alice, "x", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    )
    await bot.edit_message_text("y", alice, sent.message_id)
    query = await sandbox.press(alice, sent.message_id, "a")
    await bot.answer_callback_query(query, "ok")
    await bot.send_chat_action(alice, "typing")
    await bot.delete_message(alice, sent.message_id)
    assert [event.type for event in sandbox.events] == [
        "user_added", "message", "message_edited", "callback_query", "callback_answer",
        "chat_action", "message_deleted",
    ]  # fmt: skip
    assert [event.seq for event in sandbox.events] == list(range(1, 8))
    assert sandbox.events_since(5)[0].data == {"action": "typing"}

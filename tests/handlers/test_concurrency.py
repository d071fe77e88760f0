"""Residents never wait behind each other, and each resident's own messages are taken in order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.application import Fabrique
from bot.handlers.concurrency import is_update, line_of
from bot.sandbox import BotApiSandbox
from bot.typography import french
from tests.dialogs.test_resident_dialog import accept
from tests.phone import Phone
from tests.words import words

t = words("fr")
ME = {"id": 4242, "is_bot": False, "first_name": "Inès"}
MY_CHAT = {"id": 4242, "type": "private"}
GROUP = {"id": -100777, "type": "supergroup", "title": "Quartier"}


@pytest.mark.parametrize(
    ("update", "line"),
    [
        ({"message": {"message_id": 1, "date": 0, "chat": MY_CHAT, "from": ME, "text": "bonjour"}}, 4242),
        ({"callback_query": {"id": "7", "from": ME, "chat_instance": "1", "data": "x"}}, 4242),
        ({"my_chat_member": {"chat": MY_CHAT, "from": ME, "date": 0}}, 4242),
        ({"poll_answer": {"poll_id": "3", "user": ME, "option_ids": [0]}}, 4242),
        ({"channel_post": {"message_id": 1, "date": 0, "chat": GROUP, "text": "annonce"}}, -100777),
        ({"callback_query": {"id": "7", "message": {"chat": GROUP}, "data": "x"}}, -100777),
        ({"message": {"from": {"id": "4242"}, "chat": {"id": 4.5}}}, 0),
        ({"message": "forged"}, 0),
        ({"message": {"from": {"id": 2**63}, "chat": {"id": -(2**63) - 1}}}, 0),
        ({"message": {"from": {"id": True}, "chat": MY_CHAT}}, 4242),
        ({}, 0),
    ],
)
def test_each_update_joins_its_senders_line_else_its_chats(update: dict[str, Any], line: int) -> None:
    assert line_of({"update_id": 1, **update}) == line


@pytest.mark.parametrize(
    ("item", "update"),
    [
        ({"update_id": 1}, True),
        ({"update_id": 2**63 - 1, "message": {}}, True),
        ({"update_id": 2**63}, False),
        ({"update_id": "1"}, False),
        ({"update_id": True}, False),
        ({"message": {}}, False),
        ([1], False),
        (None, False),
    ],
)
def test_only_objects_with_a_64_bit_id_are_updates(item: object, update: bool) -> None:
    assert is_update(item) is update


async def test_a_slow_reply_to_one_resident_does_not_hold_up_another(
    phone: Callable[..., Phone], bot: Fabrique, sandbox: BotApiSandbox
) -> None:
    slow, quick = phone(9101), phone(9102)
    await accept(slow, t)
    await accept(quick, t)
    sandbox.faults.slow("sendMessage", delay=3.0, chat_id=slow.user_id)
    before_slow = len(slow.messages)
    await sandbox.send_text(slow.user_id, "bonjour")  # its update comes first
    reply = await quick.send("bonjour")
    assert "Répondre ▶" in (reply.text or "")
    assert len(slow.messages) == before_slow, "the other resident's reply is still on its way"


async def test_one_residents_messages_are_handled_in_the_order_sent(
    phone: Callable[..., Phone], bot: Fabrique, sandbox: BotApiSandbox
) -> None:
    resident, other = phone(9201), phone(9202)
    await accept(resident, t)
    await accept(other, t)
    await resident.tap(t._("Répondre ▶"))
    before = len(resident.messages)
    typed = ["13", "2", "Une métropole où l’on trouve un commerce au coin de chaque rue.", "3 1 5 2 4"]
    for text in typed:  # sent at once, without waiting for the replies
        await sandbox.send_text(resident.user_id, text)
        await sandbox.send_text(other.user_id, "bonjour")
    await sandbox.wait_for(lambda: len(resident.messages) >= before + len(typed), timeout=30)
    replies = [m.text or "" for m in resident.messages[before:]]
    assert "tapez son numéro, de 1 à 12" in replies[0]
    assert french("✓ Habitant choisi : Laurence") in replies[1]
    assert "✓ Merci, c’est noté." in replies[2]
    assert "Voici votre réponse." in replies[3]
    assert "Laurence" in replies[3]

"""Updates besides a resident's messages and buttons: edits, groups, and a changed privacy notice."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.application import Fabrique
from bot.sandbox import BotApiSandbox
from bot.storage import Resident
from tests.dialogs.test_resident_dialog import accept
from tests.phone import Phone
from tests.words import words

t = words("fr")


async def test_an_edited_message_gets_an_explanation(
    phone: Callable[..., Phone], sandbox: BotApiSandbox
) -> None:
    resident = phone(9601)
    await accept(resident, t)
    sent = await sandbox.send_text(resident.user_id, "bonjour")
    await sandbox.wait_for(lambda: len(resident.messages) >= 3, timeout=10)
    before = len(resident.messages)
    await sandbox.edit_text(resident.user_id, sent.message_id, "bonsoir")
    await sandbox.wait_for(lambda: len(resident.messages) > before, timeout=10)
    assert "Je ne tiens pas compte des messages modifiés" in resident.text


async def test_a_group_gets_one_invitation_and_is_otherwise_ignored(
    phone: Callable[..., Phone], bot: Fabrique, sandbox: BotApiSandbox
) -> None:
    resident = phone(9602)
    group = sandbox.add_group(-100_777, "Comité de quartier", member_ids=(resident.user_id,))
    await sandbox.add_bot_to(group.chat_id, user_id=resident.user_id)
    await sandbox.wait_for(lambda: len(sandbox.bot_messages(group.chat_id)) == 1, timeout=10)
    assert "conversation privée" in (sandbox.bot_messages(group.chat_id)[0].text or "")
    await sandbox.send_text(group.chat_id, "/start", user_id=resident.user_id)
    await sandbox.send_text(group.chat_id, "Qui participe ?", user_id=resident.user_id)
    await resident.send("/help")  # the same person's updates are handled in order
    assert len(sandbox.bot_messages(group.chat_id)) == 1


async def test_a_new_privacy_notice_is_accepted_again_before_anything_new_is_stored(
    phone: Callable[..., Phone], bot: Fabrique, monkeypatch: pytest.MonkeyPatch
) -> None:
    resident = phone(9603)
    await accept(resident, t)
    await resident.tap(t._("Répondre ▶"))
    monkeypatch.setattr("bot.services.consultation.NOTICE_VERSION", "2099-01-01")
    reply = await resident.send("2")
    assert "Notre notice sur vos données a changé" in (reply.text or "")
    async with bot.database.session() as session:
        state_before = await session.scalar(
            select(Resident.consent_version).where(Resident.telegram_id == 9603)
        )
    assert state_before != "2099-01-01"
    back = await resident.tap(t._("J’accepte"))
    assert "Reprenons où vous en étiez." in (back.text or "")
    assert "Malika" in resident.buttons(back), "the persona question again, where they were"
    async with bot.database.session() as session:
        assert (
            await session.scalar(select(Resident.consent_version).where(Resident.telegram_id == 9603))
            == "2099-01-01"
        )

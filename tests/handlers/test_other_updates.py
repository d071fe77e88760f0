"""Updates besides a resident's messages and buttons: edits, groups, and a changed privacy notice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.application import Fabrique
from bot.sandbox import BotApiSandbox
from bot.storage import Resident
from tests.dialogs.test_resident_dialog import accept, answers, first_answer
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


async def test_an_inline_query_offers_to_talk_privately(sandbox: BotApiSandbox, bot: Fabrique) -> None:
    sandbox.add_user(9604, "Inès", language_code="en")
    query = await sandbox.inline_query(9604, "paradoxes")
    await sandbox.wait_for(lambda: sandbox.inline_answer(query) is not None, timeout=10)
    answer = sandbox.inline_answer(query)
    assert answer is not None
    assert answer["results"] == []
    assert answer["button"] == {
        "text": words("en")._("Participer à la consultation en privé"),
        "start_parameter": "inline",
    }


MESSAGE_KINDS: dict[str, dict[str, Any]] = {
    "location": {"location": {"latitude": 43.2965, "longitude": 5.3698}},
    "venue": {
        "location": {"latitude": 43.2951, "longitude": 5.3745},
        "venue": {"location": {"latitude": 43.2951, "longitude": 5.3745}, "title": "Vieux-Port",
                  "address": "Quai du Port, Marseille"},
    },
    "contact": {"contact": {"phone_number": "+33600000000", "first_name": "Nadia"}},
    "poll": {
        "poll": {"id": "1", "persistent_id": "p1", "allows_revoting": False, "members_only": False, "question": "Tram ou bus ?", "options": [{"text": "Tram", "voter_count": 0, "persistent_id": "o1"},
                 {"text": "Bus", "voter_count": 0, "persistent_id": "o2"}], "total_voter_count": 0, "is_closed": False,
                 "is_anonymous": True, "type": "regular", "allows_multiple_answers": False},
    },
    "dice": {"dice": {"emoji": "🎲", "value": 4}},
    "document": {"document": {"file_id": "BQACAgIAAxkBAAE", "file_unique_id": "AgADd", "file_name": "avis.pdf"}},
    "audio": {"audio": {"file_id": "CQACAgIAAxkBAAE", "file_unique_id": "AgADa", "duration": 60}},
    "video_note": {"video_note": {"file_id": "DQACAgIAAxkBAAE", "file_unique_id": "AgADn", "length": 240,
                                  "duration": 5}},
}  # fmt: skip


@pytest.mark.parametrize("kind", list(MESSAGE_KINDS))
async def test_any_kind_of_message_at_the_wish_gets_a_clear_reply_and_changes_nothing(
    phone: Callable[..., Phone], bot: Fabrique, kind: str
) -> None:
    resident = phone(9605)
    await accept(resident, t)
    await resident.tap(t._("Répondre ▶"))
    await resident.tap("Malika")
    reply = await resident.send_other(**MESSAGE_KINDS[kind])
    assert "j’ai besoin d’un texte écrit" in (reply.text or "")
    reply = await resident.send("Des calanques accessibles à tous, en transports en commun")
    assert "Question 3 sur 3" in (reply.text or ""), "the dialog goes on from where it was"


async def test_right_to_left_text_and_emoji_are_kept_as_written(
    phone: Callable[..., Phone], bot: Fabrique
) -> None:
    resident = phone(9606)
    await accept(resident, t)
    wish = "مدينة خضراء للجميع 🌳‍🌍 avec des tramways"
    await first_answer(resident, t, wish=f"\u200f{wish}\u200b ")
    stored = await answers(bot)
    assert stored[-1].wish == wish


async def test_invisible_characters_do_not_count_towards_a_wish(
    phone: Callable[..., Phone], bot: Fabrique
) -> None:
    resident = phone(9607)
    await accept(resident, t)
    await resident.tap(t._("Répondre ▶"))
    await resident.tap("Malika")
    reply = await resident.send("\u200b" * 30 + "ab\u200d\u2060\u200e" * 4)
    assert "au moins 10 caractères" in (reply.text or "")


async def test_an_update_that_cannot_be_read_is_skipped_and_polling_goes_on(
    phone: Callable[..., Phone], bot: Fabrique, sandbox: BotApiSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    resident = phone(9608)
    await sandbox.send_message(resident.user_id, poll={"id": "9", "question": "Une question sans options ?"})
    await accept(resident, t)
    assert "Une question sans options" not in caplog.text, "nothing a resident sent reaches the logs"
    assert "unreadable update dropped: TypeError" in caplog.text

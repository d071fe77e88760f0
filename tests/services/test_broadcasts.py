"""Staff announcements: composed, previewed, scheduled, and delivered once to every subscriber."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.application import Fabrique
from bot.config import Settings
from bot.sandbox import BotApiSandbox
from bot.sandbox.limits import FloodLimits
from bot.sandbox.models import Message
from bot.storage import Database, Resident
from bot.storage.models import Broadcast, Delivery
from tests.conftest import FixedClock, running
from tests.dialogs.test_resident_dialog import accept, first_answer
from tests.phone import Phone
from tests.words import words

t = words("fr")
STAFF = 4242
BOLD_WORD = [{"type": "bold", "offset": 0, "length": 6}]


async def subscribers(
    database: Database, sandbox: BotApiSandbox, count: int, language: str, first_id: int
) -> list[int]:
    """Residents who consented and subscribed earlier (written straight to the database)."""
    ids = list(range(first_id, first_id + count))
    now = datetime(2017, 4, 1, tzinfo=UTC)
    async with database.transaction() as repos:
        session = repos.session
        for telegram_id in ids:
            sandbox.add_user(user_id=telegram_id, first_name=f"R{telegram_id}", language_code=language)
            session.add(
                Resident(
                    telegram_id=telegram_id,
                    language=language,
                    consent_version="test",
                    consented_at=now,
                    subscribed=True,
                    created_at=now,
                )
            )
    return ids


async def compose(staff: Phone, french: str, english: str | None, link: str | None = None) -> Message:
    """Write a broadcast as staff up to its preview; returns the control message."""
    await staff.send("/broadcast")
    await staff.sandbox.send_text(staff.user_id, french, entities=BOLD_WORD)
    await staff.sandbox.wait_for(lambda: t._("Pas de version anglaise") in staff.buttons(), timeout=10)
    if english is None:
        await staff.tap(t._("Pas de version anglaise"))
    else:
        await staff.send(english)
    if link is None:
        return await _until_controls(staff, staff.tap(t._("Pas de lien")))
    return await _until_controls(staff, staff.send(link))


async def _until_controls(staff: Phone, action: object) -> Message:
    await action  # type: ignore[misc]
    await staff.sandbox.wait_for(lambda: t._("✅ Envoyer maintenant") in staff.buttons(), timeout=10)
    return staff.last


def received(sandbox: BotApiSandbox, ids: list[int]) -> int:
    return sum(len(sandbox.bot_messages(i)) for i in ids)


async def finished(sandbox: BotApiSandbox, staff_id: int = STAFF) -> str:
    """Wait for the staff's end-of-broadcast report and return it."""
    marker = "terminée"
    await sandbox.wait_for(
        lambda: any(marker in (m.text or "") for m in sandbox.bot_messages(staff_id)), timeout=60
    )
    return next(m.text or "" for m in sandbox.bot_messages(staff_id) if marker in (m.text or ""))


@pytest.fixture
def staff(phone: Callable[..., Phone]) -> Phone:
    return phone(STAFF, "fr")


async def test_a_resident_cannot_broadcast_and_learns_nothing_about_it(phone: Callable[..., Phone]) -> None:
    resident = phone(7001)
    unknown = await resident.send("/nimportequoi")
    for command in ("/broadcast", "/broadcasts"):
        reply = await resident.send(command)
        assert reply.text == unknown.text
        assert resident.buttons(reply) == resident.buttons(unknown)


async def test_a_broadcast_reaches_every_subscriber_once_in_their_language(
    bot: Fabrique, sandbox: BotApiSandbox, staff: Phone
) -> None:
    french = await subscribers(bot.database, sandbox, 5, "fr", 10_000)
    english = await subscribers(bot.database, sandbox, 3, "en", 20_000)
    controls = await compose(
        staff,
        "Atelier Convergences le 24 mai à Aix !",
        "Convergences workshop on 24 May in Aix!",
        "https://example.org/atelier",
    )
    assert "5 en français, 3 en anglais" in (controls.text or "")
    previews = [m for m in staff.messages if m.text and "/stop" in m.text]
    assert len(previews) == 2

    await staff.tap_in_place(t._("✅ Envoyer maintenant"), on=controls)
    report = await finished(sandbox)
    assert t._("Distribuées : {n}", n=8) in report
    assert received(sandbox, french + english) == 8
    for ids, preview in ((french, previews[0]), (english, previews[1])):
        for resident in ids:
            (message,) = sandbox.bot_messages(resident)
            assert (message.text, message.entities, message.reply_markup) == (
                preview.text,
                preview.entities,
                preview.reply_markup,
            ), "the preview is exactly what residents receive"
    (message,) = sandbox.bot_messages(english[0])
    assert message.text is not None
    assert message.text.startswith("Convergences workshop")
    assert [e["type"] for e in message.entities] == ["bot_command"], "/stop is tappable"
    (french_message,) = sandbox.bot_messages(french[0])
    assert french_message.entities[0] == BOLD_WORD[0], "staff's own formatting is kept"
    assert message.text.endswith(words("en")._("Pour ne plus recevoir ces annonces : /stop"))
    assert message.inline_keyboard[0][0]["url"] == "https://example.org/atelier"


async def test_residents_without_english_text_get_the_french_one(
    bot: Fabrique, sandbox: BotApiSandbox, staff: Phone
) -> None:
    english = await subscribers(bot.database, sandbox, 2, "en", 30_000)
    controls = await compose(staff, "Réunion publique jeudi soir.", None)
    assert "2 en français, 0 en anglais" in (controls.text or "")
    await staff.tap_in_place(t._("✅ Envoyer maintenant"), on=controls)
    await finished(sandbox)
    (message,) = sandbox.bot_messages(english[0])
    assert (message.text or "").startswith("Réunion publique jeudi soir.")
    assert (message.text or "").endswith(words("en")._("Pour ne plus recevoir ces annonces : /stop"))


async def test_blocked_residents_are_unsubscribed_and_reported(
    bot: Fabrique, sandbox: BotApiSandbox, staff: Phone
) -> None:
    ids = await subscribers(bot.database, sandbox, 4, "fr", 40_000)
    # Blocked while the bot was not listening: Telegram's 403 is the first the bot hears of it.
    sandbox.state.set_blocked(sandbox.chat(ids[1]), True)
    controls = await compose(staff, "Merci pour vos 198 pistes de projets !", None)
    await staff.tap_in_place(t._("✅ Envoyer maintenant"), on=controls)
    report = await finished(sandbox)
    assert t._("Distribuées : {n}", n=3) in report
    assert t._("Ont bloqué le robot (désabonnés) : {n}", n=1) in report
    async with bot.database.session() as session:
        blocked = await session.scalar(select(Resident).where(Resident.telegram_id == ids[1]))
    assert blocked is not None
    assert blocked.subscribed is False


async def test_a_429_storm_is_honoured_and_nothing_is_lost_or_doubled(
    bot: Fabrique, sandbox: BotApiSandbox, staff: Phone
) -> None:
    ids = await subscribers(bot.database, sandbox, 6, "fr", 50_000)
    controls = await compose(staff, "Les 56 objectifs prioritaires sont en ligne.", None)
    sandbox.faults.too_many_requests("sendMessage", retry_after=1, times=3)
    await staff.tap_in_place(t._("✅ Envoyer maintenant"), on=controls)
    await finished(sandbox)
    assert [len(sandbox.bot_messages(i)) for i in ids] == [1] * 6
    refused = [call for call in sandbox.api_calls if call.error_code == 429]
    assert len(refused) == 3
    after_storm = [call for call in sandbox.api_calls if call.method.lower() == "sendmessage"]
    assert after_storm, "sending resumed after the pause"


async def test_a_scheduled_broadcast_fires_at_its_time(
    bot: Fabrique, sandbox: BotApiSandbox, staff: Phone, clock: FixedClock
) -> None:
    ids = await subscribers(bot.database, sandbox, 3, "fr", 60_000)
    controls = await compose(staff, "Rendez-vous à la Foire de Marseille.", None)
    await staff.tap(t._("🕒 Programmer"), on=controls)
    confirmation = await staff.send("30/09/2017 10:00")
    assert "programmée pour le 30 septembre 2017 à 10:00" in (confirmation.text or "")

    await bot.broadcasts.tick()
    assert received(sandbox, ids) == 0, "nothing is sent before its time"
    clock.moment = datetime(2017, 9, 30, 8, 0, tzinfo=UTC)  # 10:00 in Paris
    bot.broadcasts.wake()
    await finished(sandbox)
    assert received(sandbox, ids) == 3


async def test_a_schedule_in_the_past_or_unreadable_is_refused(bot: Fabrique, staff: Phone) -> None:
    controls = await compose(staff, "Annonce à programmer.", None)
    await staff.tap(t._("🕒 Programmer"), on=controls)
    for typed in ("demain", "31/02/2018 10:00", "01/01/2017 10:00"):
        reply = await staff.send(typed)
        assert "Je n’ai pas compris cette date, ou elle est passée." in (reply.text or "")
    reply = await staff.send("2018-01-15 9h30")
    assert "15 janvier 2018 à 09:30" in (reply.text or "")


async def test_residents_in_a_dialog_keep_getting_replies_during_a_broadcast(
    bot: Fabrique, sandbox: BotApiSandbox, staff: Phone, phone: Callable[..., Phone]
) -> None:
    resident = phone(7101)
    await accept(resident, t)
    ids = await subscribers(bot.database, sandbox, 150, "fr", 70_000)
    controls = await compose(staff, "Une grande annonce pour tout le monde.", None)
    await staff.tap_in_place(t._("✅ Envoyer maintenant"), on=controls)
    await sandbox.wait_for(lambda: received(sandbox, ids) >= 10, timeout=30)
    await first_answer(resident, t)
    assert received(sandbox, ids) < len(ids), "the resident's whole answer went through mid-broadcast"
    await finished(sandbox)


async def test_staff_pause_resume_and_stop_a_broadcast(
    bot: Fabrique, sandbox: BotApiSandbox, staff: Phone
) -> None:
    ids = await subscribers(bot.database, sandbox, 200, "fr", 80_000)
    controls = await compose(staff, "Une annonce que l’on va arrêter.", None)
    progress = await staff.tap_in_place(t._("✅ Envoyer maintenant"), on=controls)
    assert "▓" in (progress.text or "") or "░" in (progress.text or "")
    await staff.tap_in_place(t._("⏸ Pause"), on=progress)
    assert "en pause" in (progress.text or "")
    paused_at = received(sandbox, ids)
    await bot.broadcasts.tick()
    assert received(sandbox, ids) <= paused_at + 1, "a paused broadcast sends nothing more"
    await staff.tap_in_place(t._("▶ Reprendre"), on=progress)
    await sandbox.wait_for(lambda: received(sandbox, ids) >= paused_at + 5, timeout=30)
    await staff.tap_in_place(t._("✖ Arrêter l’envoi"), on=progress)
    assert "arrêtée" in (progress.text or "")
    stopped_at = received(sandbox, ids)
    await bot.broadcasts.tick()
    assert received(sandbox, ids) <= stopped_at + 1
    assert stopped_at < len(ids)
    listing = await staff.send("/broadcasts")
    assert "arrêtée" in (listing.text or "")


async def test_a_stage_is_announced_with_one_tap_and_a_reminder_the_day_before(
    bot: Fabrique, sandbox: BotApiSandbox, staff: Phone, clock: FixedClock
) -> None:
    ids = await subscribers(bot.database, sandbox, 2, "en", 90_000)
    agenda = await staff.send("/agenda")
    stage_button = next(label for label in staff.buttons(agenda) if "Orientations 2030" in label)
    await staff.tap(stage_button, on=agenda)
    await sandbox.wait_for(lambda: t._("✅ Envoyer maintenant") in staff.buttons(), timeout=10)
    controls = staff.last
    english_preview = [m for m in staff.messages if m.text and "/stop" in m.text][-1]
    assert "May 9, 2017" in (english_preview.text or "")
    confirmation = await staff.tap(t._("⏰ Programmer un rappel la veille"), on=controls)
    assert "8 mai 2017 à 10:00" in (confirmation.text or "")
    await staff.tap_in_place(t._("✅ Envoyer maintenant"), on=controls)
    await finished(sandbox)
    assert received(sandbox, ids) == 2
    clock.moment = datetime(2017, 5, 8, 8, 0, tzinfo=UTC) + timedelta(minutes=1)
    bot.broadcasts.wake()
    await sandbox.wait_for(lambda: received(sandbox, ids) == 4, timeout=30)
    reminder = sandbox.bot_messages(ids[0])[-1]
    assert (reminder.text or "").startswith(words("en")._("⏰ Rappel : c’est demain !"))


async def test_stop_subscribe_and_blocking_the_bot(
    bot: Fabrique, phone: Callable[..., Phone], sandbox: BotApiSandbox
) -> None:
    resident = phone(7201)
    await accept(resident, t)

    async def subscribed() -> bool:
        async with bot.database.session() as session:
            value = await session.scalar(select(Resident.subscribed).where(Resident.telegram_id == 7201))
        return bool(value)

    reply = await resident.send("/subscribe")
    assert "/stop" in (reply.text or "")
    assert await subscribed()
    reply = await resident.send("/stop")
    assert "/subscribe" in (reply.text or "")
    assert not await subscribed()
    await resident.send("/subscribe")
    await sandbox.block(7201)
    await sandbox.unblock(7201)
    await resident.send("/help")  # updates are handled in order: both member updates are done
    assert not await subscribed(), "blocking unsubscribes, unblocking does not subscribe again"


async def test_two_thousand_subscribers_without_a_single_429(
    settings: Settings, clock: FixedClock, sandbox: BotApiSandbox
) -> None:
    """Paid broadcasts at 250/s against a server enforcing 300/s (time compressed tenfold)."""
    sandbox.limits = FloodLimits(paid_per_second=300)
    fast = settings.model_copy(update={"send_rate": 250.0, "paid_broadcasts": True, "per_chat_rate": 1.0})
    async with running(fast, clock) as fabrique:
        ids = await subscribers(fabrique.database, sandbox, 2000, "fr", 100_000)
        await sandbox.block(ids[7])
        sandbox.state.set_blocked(sandbox.chat(ids[8]), True)
        staff = Phone(sandbox, STAFF, "fr")
        controls = await compose(staff, "Deux mille annonces.", None)
        await staff.tap_in_place(t._("✅ Envoyer maintenant"), on=controls)
        report = await finished(sandbox)
    assert sandbox.flood.refusals == []
    assert sandbox.too_many_requests_answered == 0
    assert "Distribuées : 1 998" in report.replace("\u202f", " ").replace("\xa0", " ")
    assert [len(sandbox.bot_messages(i)) for i in ids].count(1) == 1998
    assert sandbox.flood.peak_sends() <= 300


async def test_deliveries_are_written_when_the_broadcast_is_confirmed(
    bot: Fabrique, sandbox: BotApiSandbox, staff: Phone
) -> None:
    await subscribers(bot.database, sandbox, 7, "fr", 95_000)
    controls = await compose(staff, "Une annonce durable.", None)
    await staff.tap_in_place(t._("✅ Envoyer maintenant"), on=controls)
    async with bot.database.session() as session:
        broadcast = await session.scalar(select(Broadcast).where(Broadcast.state.in_(("sending", "done"))))
        assert broadcast is not None
        assert broadcast.total == 7
        count = await session.scalar(select(func.count()).where(Delivery.broadcast_id == broadcast.id))
    assert count == 7
    await finished(sandbox)

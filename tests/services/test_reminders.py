"""One reminder when a resident left an answer unfinished: at its time, within the day's hours,
once, never after /stop, /forget, « Ne plus me relancer » or the consultation's end, back to the
exact step; through a restart; and counted in the statistics."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.application import Fabrique
from bot.clock import PARIS
from bot.config import Settings, load_settings
from bot.content import CONTENT_DIR
from bot.errors import ConfigError
from bot.i18n import Translator
from bot.personas import CATALOGUE
from bot.privacy import NOTICE_VERSION
from bot.sandbox import BotApiSandbox
from bot.sandbox.errors import ApiError
from bot.sandbox.faults import FaultRule
from bot.sandbox.models import Message
from bot.services.reminders import Timing
from bot.storage import Database, DialogState, Resident
from bot.storage.broadcasts import IN_FLIGHT, PENDING
from bot.storage.models import Delivery
from bot.synthesis.reminders import ReminderOutcomes
from bot.synthesis.report import build_report
from bot.synthesis.stats import compute, tables
from bot.synthesis.summary import summary
from tests.conftest import Cli, FixedClock, running
from tests.dialogs.test_resident_dialog import accept
from tests.journey import WISH
from tests.phone import Phone
from tests.test_cli import bot_process
from tests.words import words

t = words("fr")
LEFT = datetime(2017, 4, 20, 10, 0, tzinfo=UTC)
"""When the residents leave their answer (the tests' clock): 12:00 in Paris."""
BACK = t._("↩ Reprendre ma réponse")
OPT_OUT = t._("Ne plus me relancer")
RANKING = "3 1 5 2 4"


def reminder_text(left_at: datetime, w: Translator = t) -> str:
    """The reminder of the first paradox's answer, left at ``left_at``, as residents read it."""
    invitation = w._(
        "⏰ Le {date}, vous avez laissé en cours votre réponse au paradoxe « {title} ». "
        "Elle vous attend là où vous l’avez laissée : quelques minutes suffisent pour la "
        "terminer.",
        date=w.datetime(left_at),
        title=w.content("Une métropole riche de ses habitants mais fragilisée par la pauvreté"),
    )
    return f"{invitation}\n\n{w._('C’est mon seul rappel pour cette réponse.')}"


def reminders(resident: Phone, w: Translator = t) -> list[Message]:
    only_one = w._("C’est mon seul rappel pour cette réponse.")
    return [m for m in resident.messages if only_one in (m.text or "")]


async def leave_an_answer(resident: Phone, w: Translator = t) -> None:
    """Consent, choose a persona and write a wish: the answer is left at the values' ranking."""
    await accept(resident, w)
    await resident.tap(w._("Répondre ▶"))
    await resident.tap("Malika")
    values = await resident.send(WISH)
    assert w.content("Authenticité") in resident.buttons(values)


async def at(bot: Fabrique, clock: FixedClock, moment: datetime) -> None:
    """Once the residents' updates are handled (none holds their rows), move the clock and let
    the engine take one pass at that moment."""
    await asyncio.wait_for(bot.lines.idle(), timeout=10)
    clock.moment = moment
    await bot.broadcasts.tick()


async def reminded(sandbox: BotApiSandbox, resident: Phone, w: Translator = t) -> Message:
    await sandbox.wait_for(lambda: bool(reminders(resident, w)), timeout=10)
    (reminder,) = reminders(resident, w)
    return reminder


async def test_one_reminder_after_48_hours_takes_the_resident_back_to_their_step(
    bot: Fabrique, sandbox: BotApiSandbox, phone: Callable[..., Phone], clock: FixedClock, fabrique_bot: Cli
) -> None:
    resident = phone(8101)
    await leave_an_answer(resident)
    await at(bot, clock, LEFT + timedelta(hours=47, minutes=59))
    assert reminders(resident) == [], "not before 48 hours"

    await at(bot, clock, LEFT + timedelta(hours=48))
    reminder = await reminded(sandbox, resident)
    assert reminder.text == reminder_text(LEFT)
    noon = t._("{date} à {time}", date=t.date(LEFT.date()), time="12:00")
    assert noon in (reminder.text or ""), "when the answer was left, in Paris"
    assert resident.buttons(reminder) == [BACK, OPT_OUT]
    for days in (1, 3, 10):
        await at(bot, clock, LEFT + timedelta(hours=48, days=days))
    assert len(reminders(resident)) == 1, "one reminder per unfinished answer, never more"

    back = await resident.tap(BACK, on=reminder)
    assert (back.text or "").startswith(t._("Bon retour ! Vous en étiez là :"))
    assert t.content("Authenticité") in resident.buttons(back), "the step the answer was left at"
    assert resident.buttons(reminder) == [], "the reminder's buttons are spent"
    summary_screen = await resident.send(RANKING)
    assert WISH in (summary_screen.text or "") and "Malika" in (summary_screen.text or ""), (
        "the draft is intact"
    )
    await resident.tap(t._("✅ Je confirme"))
    title = t.content("Une métropole riche de ses habitants mais fragilisée par la pauvreté")
    assert t._("Merci ! Votre réponse au paradoxe « {title} » est enregistrée.", title=title) in resident.text

    stats = await compute(bot.database, bot.content)
    assert stats.reminders == ReminderOutcomes(reminded=1, resumed=1, completed=1)
    (table,) = [
        table
        for table in tables(stats, bot.content, t)
        if table.title == t._("Rappels de réponses inachevées")
    ]
    assert [row[:2] for row in table.rows] == [
        (t._("Rappelés"), "1"), (t._("Ont repris leur réponse"), "1"), (t._("Ont confirmé leur réponse"), "1")
    ]  # fmt: skip
    text = summary(stats, bot.content, t, clock.moment)
    assert t.ngettext("{n} habitant rappelé", "{n} habitants rappelés", 1) in text
    assert t.ngettext("{n} l’a confirmée", "{n} l’ont confirmée", 1) in text
    report = await build_report(bot.database, bot.content, bot.i18n("fr"), clock.moment)
    assert table.title in report.html
    printed = await fabrique_bot("stats")
    assert printed.returncode == 0, printed.stderr
    assert table.title in printed.stdout


async def test_a_reminder_due_at_night_waits_for_ten_and_survives_a_restart(
    settings: Settings, sandbox: BotApiSandbox, clock: FixedClock
) -> None:
    """In English: the reminder's words and its date are in the resident's language."""
    en = words("en")
    resident = Phone(sandbox, 8201, "en")
    left = datetime(2017, 4, 20, 21, 0, tzinfo=UTC)  # 23:00 in Paris
    clock.moment = left
    async with running(settings, clock) as bot:
        await leave_an_answer(resident, en)
        await at(bot, clock, left + timedelta(hours=48))
    database = Database(settings.database)  # the bot has stopped: what it scheduled is stored
    try:
        async with database.session() as session:
            (scheduled,) = (await session.scalars(select(Delivery))).all()
    finally:
        await database.close()
    assert (scheduled.reminder_id, scheduled.state) == (1, PENDING)
    assert scheduled.not_before == datetime(2017, 4, 23, 10, 0, tzinfo=PARIS), "scheduled for 10:00"
    assert reminders(resident, en) == []

    async with running(settings, clock) as bot:  # a restart between scheduling and sending
        await at(bot, clock, datetime(2017, 4, 23, 9, 59, tzinfo=PARIS))
        assert reminders(resident, en) == [], "quiet until 10:00"
        await at(bot, clock, datetime(2017, 4, 23, 10, 0, tzinfo=PARIS))
        reminder = await reminded(sandbox, resident, en)
        assert reminder.text == reminder_text(left, en)
        assert en.date(left.date()) in (reminder.text or ""), "the date in the resident's language"
        await at(bot, clock, datetime(2017, 4, 25, 12, 0, tzinfo=PARIS))
    assert len(reminders(resident, en)) == 1
    assert resident.buttons(reminder) == [en._("↩ Reprendre ma réponse"), en._("Ne plus me relancer")]


async def test_no_reminder_after_stop_forget_or_opting_out(
    bot: Fabrique, sandbox: BotApiSandbox, phone: Callable[..., Phone], clock: FixedClock
) -> None:
    stopped, forgotten, declining = phone(8301), phone(8302), phone(8303)
    for resident in (stopped, forgotten, declining):
        await leave_an_answer(resident)
    await stopped.send("/stop")
    await forgotten.send("/forget")
    await forgotten.tap_in_place(t._("Oui, tout effacer"))
    await at(bot, clock, LEFT + timedelta(hours=48))
    reminder = await reminded(sandbox, declining)
    assert reminders(stopped) == reminders(forgotten) == []

    declined = await declining.tap_in_place(OPT_OUT, on=reminder)
    assert declined.text == t._("C’est noté : je ne vous enverrai plus de rappel.")
    assert declining.buttons(declined) == []
    await declining.send("/cancel")  # a new answer, left again: the opt-out is remembered
    await declining.tap(t._("Paradoxe suivant ▶"))
    await declining.tap(t._("Répondre ▶"))
    await declining.tap("Malika")
    for days in (2, 5):
        await at(bot, clock, LEFT + timedelta(hours=48, days=days))
    assert reminders(declining) == [], "none but the first, which now reads the confirmation"
    assert reminders(stopped) == reminders(forgotten) == []
    mydata = await declining.send("/mydata")
    assert t._("Rappel d’une réponse laissée en cours : non.") in (mydata.text or "")


async def test_a_stale_or_forged_reminder_button_changes_nothing(
    bot: Fabrique, sandbox: BotApiSandbox, phone: Callable[..., Phone], clock: FixedClock
) -> None:
    resident = phone(8401)
    await leave_an_answer(resident)
    await at(bot, clock, LEFT + timedelta(hours=48))
    reminder = await reminded(sandbox, resident)
    button = reminder.find_button(BACK)
    assert button is not None
    version, _, reminder_id = button["callback_data"].removeprefix("d").split(":")
    forged = f"d{version}:remind:{int(reminder_id) + 1}"
    welcome = resident.messages[0]
    query = await resident.press_data(welcome, forged)
    await sandbox.wait_for(lambda: sandbox.callback_answer(query) is not None, timeout=10)
    assert resident.toast(query) == t._("Ce bouton n’est plus d’actualité : utilisez le dernier message.")

    summary_screen = await resident.send(RANKING)  # the resident comes back on their own
    assert t._("✅ Je confirme") in resident.buttons(summary_screen)
    toast = await resident.tap_for_toast(BACK, on=reminder)
    assert toast == t._("Ce bouton n’est plus d’actualité : utilisez le dernier message.")
    stats = await compute(bot.database, bot.content)
    assert stats.reminders == ReminderOutcomes(reminded=1, resumed=1, completed=0)


def ending(tmp_path: Path, last_day: str) -> Path:
    """The shipped content, with the consultation's last day."""
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.copy(CATALOGUE, folder / "personas.yaml")
    consultation = folder / "consultation.yaml"
    consultation.write_text(
        consultation.read_text(encoding="utf-8") + f"ends: {last_day}\n", encoding="utf-8"
    )
    return folder


async def test_no_reminder_after_the_consultations_last_day(
    settings: Settings, sandbox: BotApiSandbox, clock: FixedClock, tmp_path: Path
) -> None:
    resident = Phone(sandbox, 8501, "fr")
    ended = settings.model_copy(update={"content_dir": ending(tmp_path, "2017-04-21")})
    async with running(ended, clock) as bot:
        await leave_an_answer(resident)
        for hours in (48, 72, 200):
            await at(bot, clock, LEFT + timedelta(hours=hours))
    assert reminders(resident) == []


async def write_answer_left(database: Database, telegram_id: int, left_at: datetime) -> None:
    """A resident who left their answer at the values' ranking, due for its reminder."""
    async with database.transaction() as repos:
        session = repos.session
        resident = Resident(
            telegram_id=telegram_id,
            language="fr",
            consent_version=NOTICE_VERSION,
            consented_at=left_at,
            created_at=left_at,
        )
        session.add(resident)
        await session.flush()
        session.add(
            DialogState(
                resident_id=resident.id,
                version=7,
                step="values",
                paradox_id="p1",
                draft=json.dumps({"persona": "malika", "wish": WISH}, ensure_ascii=False),
                updated_at=left_at,
                remind_at=left_at + timedelta(hours=48),
            )
        )


async def test_a_reminder_scheduled_then_killed_is_sent_once_by_the_next_process(
    telegram: tuple[BotApiSandbox, str], tmp_path: Path
) -> None:
    sandbox, url = telegram
    variables = {"BROADCAST_LEASE_SECONDS": "1", "REMINDER_FROM_HOUR": "0", "REMINDER_UNTIL_HOUR": "24"}
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'fabrique.sqlite3'}")
    await database.upgrade()
    await write_answer_left(database, 8601, datetime.now(UTC) - timedelta(hours=49))
    resident = Phone(sandbox, 8601, "fr")
    refusals = FaultRule("sendMessage", 1000, ApiError(502, "Bad Gateway"), chat_id=8601)
    sandbox.faults.rules.append(refusals)
    try:
        async with bot_process(tmp_path, url, **variables) as first:
            await sandbox.wait_for(lambda: refusals.times < 1000, timeout=30)  # scheduled, tried
            first.send_signal(signal.SIGKILL)
            await first.wait()
        async with database.session() as session:
            (delivery,) = (await session.scalars(select(Delivery))).all()
        assert delivery.reminder_id is not None
        assert delivery.state in (PENDING, IN_FLIGHT), "not delivered: Telegram refused every try"
    finally:
        await database.close()
    sandbox.faults.clear()

    async with bot_process(tmp_path, url, **variables):
        reminder = await reminded(sandbox, resident)
        back = await resident.tap(BACK, on=reminder)
        assert t.content("Authenticité") in resident.buttons(back)
        summary_screen = await resident.send(RANKING)
    assert WISH in (summary_screen.text or ""), "the draft is intact"
    assert len(reminders(resident)) == 1


@pytest.mark.parametrize(
    ("due", "sent"),
    [
        (datetime(2017, 4, 22, 23, 0), datetime(2017, 4, 23, 10, 0)),
        (datetime(2017, 4, 22, 8, 30), datetime(2017, 4, 22, 10, 0)),
        (datetime(2017, 4, 22, 19, 59), datetime(2017, 4, 22, 19, 59)),
        (datetime(2017, 4, 22, 20, 0), datetime(2017, 4, 23, 10, 0)),
        (datetime(2017, 3, 25, 22, 0), datetime(2017, 3, 26, 10, 0)),  # the night summer time begins
    ],
)
def test_reminders_go_out_within_the_days_hours_in_paris(due: datetime, sent: datetime) -> None:
    moment = Timing().first_moment(due.replace(tzinfo=PARIS).astimezone(UTC))
    assert moment == sent.replace(tzinfo=PARIS)


def test_the_reminders_hours_must_be_in_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REMINDER_FROM_HOUR", "20")
    monkeypatch.setenv("REMINDER_UNTIL_HOUR", "10")
    with pytest.raises(ConfigError, match="REMINDER_FROM_HOUR must be before REMINDER_UNTIL_HOUR"):
        load_settings()

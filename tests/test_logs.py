"""Nothing a resident writes or presses reaches a log line, at any level, on either database.

A run full of hostile input goes through the real bot with every logger at DEBUG, then every
record (message, arguments, traceback and any other attribute) is searched for the input.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.dialogs import widgets
from bot.sandbox import BotApiSandbox
from tests.conftest import FixedClock, running
from tests.dialogs.test_bad_input import PHOTO
from tests.dialogs.test_resident_dialog import accept
from tests.phone import TIMEOUT, Phone
from tests.words import words

MARKER = "Zq7kWx"
"""Inside everything the residents type or press; it may appear in no log record."""
HOSTILE = [
    f"NUL \x00 {MARKER} et demi-caractère \ud800 et \x1b[31m contrôle",
    f"{MARKER} <script>alert('{MARKER}')</script> & 1=1; DROP TABLE answers; --",
    f"\u202eمدينة {MARKER} خضراء\u202c sur deux lignes\net\ttabulée",
    f"{MARKER} " + "très long " * 400,
    f"² ⑤ ٣ {MARKER}",
]
FORGED = [
    f"g:ok:fr:{MARKER}",
    f"g:ok:fr:<script>{MARKER}</script>",
    f"g:ok:xx::{MARKER}",
    f"g:join:{MARKER}",
    f"g:open:{MARKER}",
    f"g:lang:{MARKER}",
    f"g:forget:{MARKER}",
    f"d3:page:²{MARKER}",
    f"d3:pick:{MARKER}",
    f"d4:rank:{MARKER}",
    f"d5:edit:{MARKER}",
    f"{MARKER}\ud800\x00",
]


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of every logger, at DEBUG, whatever levels earlier tests left."""
    loggers = [logging.getLogger(), *logging.root.manager.loggerDict.values()]
    levels = {logger: logger.level for logger in loggers if isinstance(logger, logging.Logger)}
    for logger in levels:
        logger.setLevel(logging.NOTSET)
    caplog.set_level(logging.DEBUG)
    yield caplog
    for logger, level in levels.items():
        logger.setLevel(level)


def leaks(records: list[logging.LogRecord], marker: str = MARKER) -> list[str]:
    """The records that hold the marker anywhere, formatted as a log handler would see them."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    found = []
    for record in records:
        seen = f"{formatter.format(record)}\n{record.__dict__!r}\n{record.args!r}"
        if marker in seen:
            found.append(seen[:2000])
    return found


async def press_forged(resident: Phone) -> None:
    """Press every forged button, then wait until the bot has answered all of them."""
    for data in FORGED:
        await resident.press_data(resident.last, data)
    await resident.sandbox.send_text(resident.user_id, "/help")  # a resident's updates are handled in order
    await resident.sandbox.wait_for(lambda: "/agenda" in resident.text, timeout=TIMEOUT)


async def hostile_run(sandbox: BotApiSandbox) -> None:
    """Two residents type and press everything a resident or an attacker could."""
    en = words("en")
    stranger = Phone(sandbox, 9001, "fr")
    await stranger.send(f"/start {MARKER}<b>")
    await press_forged(stranger)
    await stranger.send(HOSTILE[1])
    await stranger.send(f"/start {MARKER}" + "x" * 58)

    resident = Phone(sandbox, 9002, "en")
    await accept(resident, en, start=f"/start {MARKER}")
    await press_forged(resident)
    await resident.tap(en._("Répondre ▶"))
    for text in HOSTILE:
        await resident.send(text)
    await resident.send("⑤")
    for text in HOSTILE:
        await resident.send(text)
    await resident.send_other(photo=PHOTO["photo"], caption=f"{MARKER} en légende")
    shown = len(resident.messages)
    typed = resident.messages[0].message_id - 1  # the resident's /start, just before the welcome
    await sandbox.edit_text(resident.user_id, typed, f"{MARKER} modifié")
    await sandbox.wait_for(lambda: len(resident.messages) > shown, timeout=TIMEOUT)
    await resident.send(f"{MARKER} 3 1 5 2 4")
    await resident.send("３ １ ５ ２ ４")
    await resident.tap(en._("✅ Je confirme"))
    await resident.send("/mydata")
    await sandbox.wait_for(lambda: "document" in resident.last.content, timeout=TIMEOUT)
    await resident.send(f"/forget {MARKER}")
    await resident.tap_in_place(en._("Oui, tout effacer"))


async def test_no_resident_input_in_any_log_record(
    debug_logs: pytest.LogCaptureFixture, sandbox: BotApiSandbox, settings: Settings, clock: FixedClock
) -> None:
    unlimited = settings.model_copy(update={"flood_limit": 10_000})  # flood control is tested elsewhere
    async with running(unlimited, clock):
        await hostile_run(sandbox)
    records = debug_logs.records
    assert any(record.levelno == logging.DEBUG for record in records), "the run is logged at DEBUG"
    assert [r.getMessage() for r in records if r.levelno >= logging.ERROR] == [], "every input was answered"
    assert leaks(records) == []


async def test_a_storage_error_caused_by_a_wish_is_logged_without_it(
    debug_logs: pytest.LogCaptureFixture,
    sandbox: BotApiSandbox,
    settings: Settings,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Were a wish stored as typed, the database would refuse it, and its error names the value
    (asyncpg quotes the first 40 characters of the refused parameter, SQLite the character):
    the failure is logged, and nothing of the wish with it."""
    monkeypatch.setattr(widgets, "plain_wish", lambda text: text)
    async with running(settings, clock):
        resident = Phone(sandbox, 9003, "fr")
        await accept(resident, words("fr"))
        await resident.tap(words("fr")._("Répondre ▶"))
        await resident.send("1")
        await resident.send(f"{MARKER} \x00 \ud800 une métropole qui refuse ce texte")
    errors = [record for record in debug_logs.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1, "the failure is logged"
    assert leaks(debug_logs.records) == []

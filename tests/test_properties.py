"""Property-based: random interleaved updates from many residents never break the bot's promises.

Hypothesis writes scripts of rounds. In each round several residents act at once: they type
(answers, numbers, commands, anything Unicode can hold), press a button of the latest screen,
press forged buttons, send stickers or locations, or edit a message. The real bot handles them
through the local Bot API server on a fresh database per script, and after every round:

- no exception escaped and nothing was logged as an error;
- every private text message (and edit, and non-text message) got exactly one text reply,
  and every button press was answered exactly once;
- every stored answer is whole (a paradox, a persona, a wish, a full ranking);
and at the end of the script:
- every answer a resident confirmed is in the export, and the export holds nothing else;
- a resident who ran /forget appears nowhere: in no table and in no export.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from bot.application import Fabrique
from bot.config import Settings
from bot.content import load_content
from bot.dialogs.questions import WISH_MAX, WISH_MIN
from bot.dialogs.text import visible_length
from bot.personas import NO_PERSONA
from bot.sandbox import BotApiSandbox
from bot.storage import Answer, Resident
from bot.synthesis.export import Exporter, ExportFilter, neutralise
from tests.conftest import TOKEN, FixedClock, postgres_database, running
from tests.handlers.test_other_updates import MESSAGE_KINDS
from tests.words import words

RESIDENTS = range(70_001, 70_009)
ROUND = timedelta(seconds=5)
"""Time between rounds: residents act at a human pace, under the flood limit."""

TYPED = st.sampled_from(
    [
        "/start", "/start p3", "/start affiche-gare", "/help", "/cancel", "/paradoxes", "/agenda",
        "/language", "/privacy", "/mydata", "/forget", "/stop", "/subscribe", "/inconnue", "/broadcast",
        "1", "2", "7", "12", "13", "0", "-1", "3 1 5 2 4", "5,4,3,2,1", "1 1 1 1 1", "2 5",
        "Une métropole où l’on respire, avec des tramways partout",
        "A metropolis where everyone finds a home they can afford",
        "<b>gras</b> & <i>pas fermé", "مدينة خضراء للجميع في ٢٠٣٠", "🌳" * 12, "x" * 1001,
        "²", "⑤", "٣", "３ １ ５ ２ ４", "9" * 5000, "\x00", "\ud800",
    ]
)  # fmt: skip
WRITTEN = st.text(st.characters(exclude_categories=()), min_size=1, max_size=300).filter(
    lambda written: written.strip()
)
"""Any text Telegram can carry: control characters and halves of characters (surrogates) too."""


@dataclass(frozen=True)
class Typed:
    text: str


@dataclass(frozen=True)
class Press:
    button: int
    """Which callback button of the latest screen, modulo their number."""


@dataclass(frozen=True)
class Progress:
    """What a willing resident does: the button that moves their answer on, or their wish."""

    wish: str


@dataclass(frozen=True)
class Forged:
    data: str


@dataclass(frozen=True)
class Other:
    kind: str


@dataclass(frozen=True)
class Edit:
    text: str


Action = Typed | Press | Progress | Forged | Other | Edit
CONTENT = load_content(None)
FORWARD = {
    label
    for t in (words("fr"), words("en"))
    for label in (
        t._("J’accepte"), t._("Répondre ▶"), t._("✅ Je confirme"), t._("Oui, tout effacer"), *(t.content(v.name) for v in CONTENT.values)
    )
} | {persona.name for persona in CONTENT.personas}  # fmt: skip
"""Labels of the buttons that move an answer forward (or carry out /forget)."""
ASKS_FOR_A_WISH = ("Question 2 sur 3.", "Question 2 of 3.")
ACTIONS = st.one_of(
    st.builds(Typed, st.one_of(TYPED, WRITTEN)),
    st.builds(Other, st.sampled_from(["location", "contact", "poll", "document", "dice"])),
    st.builds(Edit, WRITTEN),
)
PROGRESS = st.builds(
    lambda progress: [progress], st.builds(Progress, st.builds("En 2030 : {}".format, WRITTEN))
)
BURST = st.one_of(
    PROGRESS,
    PROGRESS,
    PROGRESS,
    st.builds(lambda press: [press], st.builds(Press, st.integers(0, 40))),
    st.builds(lambda press: [press], st.builds(Press, st.integers(0, 40))),
    st.builds(lambda forged: [forged], st.builds(Forged, st.text(min_size=1, max_size=30))),
    st.lists(ACTIONS, min_size=1, max_size=3),
)
"""What one resident does in one round: move on, press, or send one to three messages."""
SCRIPT = st.lists(
    st.dictionaries(st.sampled_from(RESIDENTS), BURST, min_size=1, max_size=len(RESIDENTS)),
    min_size=30,
    max_size=60,
)
LANGUAGES = st.lists(st.sampled_from(["fr", "en", None, "de"]), min_size=8, max_size=8)


@dataclass
class Run:
    """What a script did, and what the bot must therefore hold."""

    fabrique: Fabrique
    sandbox: BotApiSandbox
    clock: FixedClock
    updates: int = 0
    confirmed: dict[tuple[int, str], str] = field(default_factory=dict)
    """(resident, paradox) → the wish of their latest confirmed answer to it."""
    forgotten: set[int] = field(default_factory=set)
    known: set[int] = field(default_factory=set)


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def text_replies(run: Run, resident: int) -> int:
    return sum(1 for message in run.sandbox.bot_messages(resident) if message.text is not None)


def latest_buttons(run: Run, resident: int) -> tuple[int, list[dict[str, str]]] | None:
    for message in reversed(run.sandbox.bot_messages(resident)):
        buttons = [b for row in message.inline_keyboard for b in row if "callback_data" in b]
        if buttons:
            return message.message_id, buttons
    return None


def asks_for_a_wish(run: Run, resident: int) -> bool:
    latest = run.sandbox.bot_messages(resident)[-1:]
    return bool(latest) and any(ask in (latest[0].text or "") for ask in ASKS_FOR_A_WISH)


def press_target(run: Run, resident: int, action: Action) -> tuple[int, str] | None:
    """The message and callback data an action presses, when it presses a button."""
    shown = latest_buttons(run, resident)
    if shown is None:
        return None
    message_id, buttons = shown
    match action:
        case Press(index):
            return message_id, buttons[index % len(buttons)]["callback_data"]
        case Forged(data):
            return message_id, data
        case Progress() if not asks_for_a_wish(run, resident):
            forward = [b for b in buttons if b["text"] in FORWARD]
            return (message_id, forward[0]["callback_data"]) if forward else None
    return None


async def send(run: Run, resident: int, action: Action) -> bool:
    """Send the message an action sends, if any; whether one was sent."""
    sandbox = run.sandbox
    match action:
        case Typed(written):
            await sandbox.send_text(resident, written)
        case Other(kind):
            await sandbox.send_message(resident, **MESSAGE_KINDS[kind])
        case Edit(written):
            mine = [m for m in sandbox.messages(resident) if not m.from_bot and m.text]
            if not mine:
                return False
            await sandbox.edit_text(resident, mine[-1].message_id, written)
        case Progress(wish) if asks_for_a_wish(run, resident):
            await sandbox.send_text(resident, wish)
        case _:
            return False
    return True


async def play_round(run: Run, round_: dict[int, list[Action]]) -> None:
    sandbox = run.sandbox
    expected: dict[int, int] = {}
    queries: list[str] = []
    pressing: list[int] = []
    for resident, burst in round_.items():
        if resident in run.forgotten:
            continue
        expected[resident] = text_replies(run, resident)
        for action in burst:
            target = press_target(run, resident, action)
            if target is not None:
                pressing.append(resident)
                queries.append(await sandbox.press(resident, *target))
                run.updates += 1
            elif await send(run, resident, action):
                expected[resident] += 1
                run.updates += 1
    await sandbox.wait_for(lambda: not sandbox.pending_updates and sandbox.updates.long_polling, timeout=30)
    await asyncio.wait_for(run.fabrique.lines.idle(), timeout=30)

    for resident, replies in expected.items():
        if resident in pressing:
            continue  # a press may send any number of messages
        assert text_replies(run, resident) == replies, f"resident {resident}: one text reply per message"
    for query in queries:
        assert sandbox.callback_answer(query) is not None, "every press is answered"
    await check_storage(run, pressing)
    run.clock.moment += ROUND


async def check_storage(run: Run, pressing: list[int]) -> None:
    """Answers are whole; the answers confirmed this round (by a press) are noted."""
    content = run.fabrique.content
    values = sorted(value.id for value in content.values)
    async with run.fabrique.database.session() as session:
        residents = {r.telegram_id: r.id for r in (await session.scalars(select(Resident))).all()}
        for answer in (await session.scalars(select(Answer))).all():
            assert content.paradox(answer.paradox_id) is not None
            assert answer.persona_id == NO_PERSONA or content.persona(answer.persona_id) is not None
            assert visible_length(answer.wish) >= WISH_MIN and len(answer.wish) <= WISH_MAX
            assert sorted(answer.ranking.split(",")) == values
        for resident in pressing:
            latest = await session.scalar(
                select(Answer)
                .where(Answer.resident_id == residents.get(resident, -1))
                .order_by(Answer.submitted_at.desc())
                .limit(1)
            )
            if latest is not None and latest.submitted_at == run.clock.now():
                run.confirmed[(resident, latest.paradox_id)] = latest.wish
    run.forgotten |= run.known - residents.keys()
    run.known = set(residents) - run.forgotten


async def check_the_end(run: Run) -> None:
    out = io.StringIO()
    await Exporter(run.fabrique.database, run.fabrique.content).write(out, ExportFilter(), fmt="csv")
    exported = out.getvalue()
    rows = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
    assert len(rows) == len(run.confirmed), "the export holds the confirmed answers, and only them"
    assert sorted((row["paradox_id"], row["wish"]) for row in rows) == sorted(
        (paradox, neutralise(wish)) for (_, paradox), wish in run.confirmed.items()
    )
    async with run.fabrique.database.session() as session:
        tables = [
            row[0]
            for row in await session.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'table'")
                if run.fabrique.database.is_sqlite
                else text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
        ]
        rows_of_every_table = [
            str(row)
            for table in tables
            for row in (await session.execute(text(f'SELECT * FROM "{table}"'))).all()
        ]
    dump = " ".join(rows_of_every_table)
    for resident in run.forgotten:
        assert str(resident) not in dump, f"forgotten resident {resident} left a trace"
        assert str(resident) not in exported


@asynccontextmanager
async def fresh_bot(backend: str, languages: list[str | None]) -> AsyncIterator[Run]:
    with tempfile.TemporaryDirectory() as folder:
        sandbox = BotApiSandbox(token=TOKEN)
        async with (
            sandbox.serve(host="127.0.0.1", port=0) as url,
            database(backend, Path(folder)) as database_url,
        ):
            configured = Settings(
                _env_file=None,
                telegram_bot_token=TOKEN,
                telegram_api_url=url,
                database_url=database_url,
                per_chat_rate=100.0,
            )
            clock = FixedClock(datetime(2017, 4, 20, 10, 0, tzinfo=UTC))
            for resident, language in zip(RESIDENTS, languages, strict=True):
                sandbox.add_user(resident, f"Resident {resident}", language_code=language)
            async with running(configured, clock) as fabrique:
                yield Run(fabrique, sandbox, clock)


@asynccontextmanager
async def database(backend: str, folder: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'fabrique.sqlite3'}"
        return
    async with postgres_database() as url:
        yield url


SCRIPTS = {"sqlite": 70, "postgresql": 12}
"""Scripts per backend: about 190 updates each, so more than 10,000 updates on SQLite."""


@pytest.mark.parametrize("backend", list(SCRIPTS))
def test_random_residents_never_break_the_bots_promises(backend: str) -> None:
    total = 0

    @settings(
        max_examples=SCRIPTS[backend],
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(script=SCRIPT, languages=LANGUAGES)
    def check(script: list[dict[int, list[Action]]], languages: list[str | None]) -> None:
        nonlocal total

        async def play() -> int:
            errors = Errors()
            logging.getLogger().addHandler(errors)
            try:
                async with fresh_bot(backend, languages) as run:
                    first: dict[int, list[Action]] = {resident: [Typed("/start")] for resident in RESIDENTS}
                    for round_ in [first, *script]:
                        await play_round(run, round_)
                    await check_the_end(run)
                    errored = run.fabrique.metrics.registry.get_sample_value("fabrique_update_errors_total")
                    assert errored == 0
            finally:
                logging.getLogger().removeHandler(errors)
            assert [r.getMessage() for r in errors.records] == [], "nothing logged as an error"
            return run.updates

        total += asyncio.run(play())

    check()
    if backend == "sqlite":
        assert total >= 10_000, f"only {total} updates were generated"

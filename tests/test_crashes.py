"""SIGKILL at random moments while 30 residents answer: every input is answered, none twice
beyond one duplicate per resident per crash, and the export holds exactly the confirmed answers.
SIGKILL with a voting card on a resident's screen: its buttons and /avis still work, each vote is
stored once.

The bot runs as ``fabrique-bot run``, a real process, in polling and in webhook mode, on SQLite
and on PostgreSQL. Kills land when the residents' inputs reach thresholds drawn from a seeded
random generator (printed, so that a failure can be replayed with ``CRASH_SEED``).
"""

from __future__ import annotations

import asyncio
import csv
import os
import random
import signal
import sys
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.dialogs.questions import QUESTIONS
from bot.sandbox import BotApiSandbox
from bot.sandbox.models import Message
from bot.storage import Database, Repositories
from tests.conftest import TOKEN, postgres_database
from tests.dialogs.test_deliberation import STAFF, resident_who_shares
from tests.dialogs.test_resident_dialog import accept
from tests.journey import KEEP_IT, NOT_SAID, WISH
from tests.phone import Phone
from tests.test_cli import cli, environment, sqlite_url
from tests.web.test_server import SECRET, free_port
from tests.words import words

t = words("fr")
RESIDENTS = 30
KILLS = 5
STEP_TIMEOUT = 90.0
SEED = int(os.environ.get("CRASH_SEED", "20261130"))


@dataclass(frozen=True)
class Step:
    """One input of the journey, and how the resident knows the bot has answered it."""

    send: str = ""
    tap: str = ""
    answered: Callable[[Message], bool] = lambda _message: True


def has_button(label: str) -> Callable[[Message], bool]:
    return lambda message: message.find_button(label) is not None


def says(text: str) -> Callable[[Message], bool]:
    return lambda message: text in (message.text or "")


ONCE = [question for question in QUESTIONS if question.once]
JOURNEY = (
    Step(send="/start", answered=has_button(t._("J’accepte"))),
    Step(tap=t._("J’accepte"), answered=has_button(t._("Répondre ▶"))),
    Step(tap=t._("Répondre ▶"), answered=has_button("Malika")),
    Step(send="1", answered=says("Question 2")),
    Step(send=WISH, answered=says("Question 3")),
    Step(send="3 1 5 2 4", answered=has_button(t._("✅ Je confirme"))),
    Step(tap=t._("✅ Je confirme"), answered=has_button(t._(KEEP_IT))),
    Step(tap=t._(KEEP_IT), answered=has_button(t._("Oui, volontiers"))),
    *(  # the questions asked once, each declined; each answer is known by the next question
        Step(tap=tap, answered=says(t._(asked.prompt)))
        for tap, asked in zip((t._("Oui, volontiers"), *[t._(NOT_SAID)] * (len(ONCE) - 1)), ONCE, strict=True)
    ),
    Step(tap=t._(NOT_SAID), answered=has_button(t._("Paradoxe suivant ▶"))),
)


@dataclass
class Run:
    sandbox: BotApiSandbox
    inputs: int = 0
    thresholds: list[int] = field(default_factory=list)
    crossed: asyncio.Event = field(default_factory=asyncio.Event)

    def count_input(self) -> None:
        self.inputs += 1
        if self.thresholds and self.inputs >= self.thresholds[0]:
            self.crossed.set()


async def journey(run: Run, resident: int, wish: str) -> None:
    """The whole dialog, each input sent once; each step waits for the bot's answer however long
    a crash and a restart take."""
    sandbox = run.sandbox
    for step in JOURNEY:
        before = len(sandbox.bot_messages(resident))
        if step.send:
            await sandbox.send_text(resident, wish if step.send == WISH else step.send)
        else:
            holder = next(m for m in reversed(sandbox.bot_messages(resident)) if m.find_button(step.tap))
            button = holder.find_button(step.tap)
            assert button is not None
            await sandbox.press(resident, holder.message_id, button["callback_data"])
        run.count_input()

        def answered(before: int = before, step: Step = step) -> bool:
            new = sandbox.bot_messages(resident)[before:]
            return any(step.answered(message) for message in new)

        await sandbox.wait_for(answered, timeout=STEP_TIMEOUT)


@asynccontextmanager
async def database_for(backend: str, tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    if backend == "sqlite":
        yield {"DATA_DIR": str(tmp_path / "data")}
        return
    async with postgres_database() as url:
        yield {"DATABASE_URL": url}


async def serving(sandbox: BotApiSandbox, since: int) -> None:
    """Until a bot process started after call ``since`` takes updates: it long-polls, or has set
    its webhook (its server is up by then)."""
    await sandbox.wait_for(
        lambda: any(call.method in ("getUpdates", "setWebhook") for call in sandbox.api_calls[since:]),
        timeout=60,
    )


async def started(
    sandbox: BotApiSandbox, tmp_path: Path, variables: dict[str, str]
) -> asyncio.subprocess.Process:
    """``fabrique-bot run`` in a process of its own, once it takes updates."""
    since = len(sandbox.api_calls)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=environment(tmp_path, **variables),
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await serving(sandbox, since)
    return process


async def ended(process: asyncio.subprocess.Process) -> None:
    """Kill the bot if a failing test left it running."""
    if process.returncode is None:
        process.kill()
        await process.wait()


async def stopped(process: asyncio.subprocess.Process) -> None:
    """Stop the bot as an operator would, and check it stops cleanly."""
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), timeout=60) == 0


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_sigkill_at_random_moments_loses_no_input_and_doubles_none_beyond_the_bound(
    mode: str, backend: str, telegram: tuple[BotApiSandbox, str], tmp_path: Path
) -> None:
    sandbox, api = telegram
    seed = SEED + zlib.crc32(f"{mode}/{backend}".encode()) % 1000
    print(f"CRASH_SEED={seed}")
    chance = random.Random(seed)
    inputs = RESIDENTS * len(JOURNEY)
    run = Run(sandbox, thresholds=sorted(chance.sample(range(inputs // 10, inputs * 8 // 10), KILLS)))
    port = free_port()
    async with database_for(backend, tmp_path) as where:
        variables = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": api, **where}
        if mode == "webhook":
            variables |= {"WEBHOOK_URL": f"http://127.0.0.1:{port}", "WEBHOOK_SECRET": SECRET}
            variables["WEB_PORT"] = str(port)

        async def start() -> asyncio.subprocess.Process:
            return await started(sandbox, tmp_path, variables)

        residents = [7000 + n for n in range(RESIDENTS)]
        for resident in residents:
            sandbox.add_user(user_id=resident, first_name=f"Resident {resident}", language_code="fr")
        process = await start()
        try:
            walking: asyncio.Future[Any] = asyncio.gather(
                *(journey(run, r, f"{WISH} ({r})") for r in residents)
            )
            kills = 0
            while run.thresholds:
                crossed: asyncio.Future[Any] = asyncio.ensure_future(run.crossed.wait())
                await asyncio.wait({crossed, walking}, return_when=asyncio.FIRST_COMPLETED)
                if not crossed.done():
                    crossed.cancel()
                    break
                run.thresholds.pop(0)
                run.crossed.clear()
                if run.thresholds and run.inputs >= run.thresholds[0]:
                    run.crossed.set()
                process.send_signal(signal.SIGKILL)
                await process.wait()
                kills += 1
                process = await start()
            await walking
            assert kills == KILLS, f"{kills} kills happened before the residents were done"
            await stopped(process)
        finally:
            await ended(process)

        exported = await cli(tmp_path, "export", "answers.csv", **where)
        assert exported.returncode == 0, exported.stderr
        database = Database(where.get("DATABASE_URL") or sqlite_url(tmp_path / "data" / "fabrique.sqlite3"))
        try:
            async with database.session() as session:
                repos = Repositories(session)
                waiting, remembered = await repos.inbox.count()
                unsent = await repos.outbox.count()
        finally:
            await database.close()
    assert (waiting, unsent) == (0, 0), "nothing is left to handle or to send"
    assert remembered <= run.inputs + KILLS * RESIDENTS, "only ids of handled updates are kept"

    rows = (tmp_path / "answers.csv").read_text(encoding="utf-8-sig").splitlines()
    wishes = sorted(row["wish"] for row in csv.DictReader(rows))
    assert wishes == sorted(f"{WISH} ({r})" for r in residents), "the export holds exactly the answers"
    control = len(JOURNEY)  # each input of the journey is answered by exactly one new message
    for resident in residents:
        messages = sandbox.bot_messages(resident)
        thanked = [m for m in messages if "est enregistrée" in (m.text or "")]
        assert thanked, f"resident {resident}'s confirmed answer was thanked"
        assert control <= len(messages) <= control + KILLS, (
            f"resident {resident}: {len(messages)} messages for {control} inputs and {KILLS} crashes"
        )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_crash_with_a_voting_card_on_screen_loses_no_vote_and_doubles_none(
    backend: str, telegram: tuple[BotApiSandbox, str], tmp_path: Path
) -> None:
    """The bot is killed with a voting card on a resident's screen, then as a vote on it is
    changed, then after the next card is dealt: the card's buttons and /avis work after each
    restart, each vote is stored once with the last opinion given, and the resident gets no
    more than one duplicate message per crash."""
    sandbox, api = telegram
    wishes = {
        7101: "Une métropole où la mer est propre partout.",
        7102: "Des trains à l’heure de Martigues à Aix.",
    }
    async with database_for(backend, tmp_path) as where:
        variables = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": api, "STAFF_IDS": str(STAFF), **where}
        url = where.get("DATABASE_URL") or sqlite_url(tmp_path / "data" / "fabrique.sqlite3")
        kills = 0

        async def start() -> asyncio.subprocess.Process:
            return await started(sandbox, tmp_path, variables)

        async def crash(process: asyncio.subprocess.Process) -> asyncio.subprocess.Process:
            """Kill the bot and start it again; return once it has handled what it found waiting
            and made the calls it had not made (a reply sent again is the crash's duplicate)."""
            nonlocal kills
            process.send_signal(signal.SIGKILL)
            await process.wait()
            kills += 1
            process = await start()
            database = Database(url)
            try:
                async with asyncio.timeout(STEP_TIMEOUT):
                    while True:
                        async with database.session() as session:
                            repos = Repositories(session)
                            if (await repos.inbox.count())[0] == 0 and await repos.outbox.count() == 0:
                                return process
                        await asyncio.sleep(0.05)
            finally:
                await database.close()

        process = await start()
        try:
            for author, wish in wishes.items():
                await resident_who_shares(sandbox, author, wish)
            voter = await resident_who_shares(sandbox, 7103, "Une métropole sans bouchons.", share=False)
            staff = Phone(sandbox, STAFF, "fr")
            await staff.send("/moderate")
            await staff.tap(t._("✅ Publier"))
            await staff.tap(t._("✅ Publier"))
            before = len(voter.messages)

            shown = await voter.send("/avis")
            first = next(wish for wish in wishes.values() if wish in (shown.text or ""))
            process = await crash(process)  # the card on the screen
            card = await voter.tap_in_place(t._("👍 D’accord"))  # on the card, or its duplicate if resent
            assert first in (card.text or "")
            assert "✓ " + t._("👍 D’accord") in voter.buttons(card), "the card's buttons work after a restart"

            button = card.find_button(t._("👎 Pas d’accord"))
            assert button is not None
            query = await sandbox.press(voter.user_id, card.message_id, button["callback_data"])
            process = await crash(process)  # as the vote is changed: handled before the kill, or after
            await sandbox.wait_for(
                lambda: "✓ " + t._("👎 Pas d’accord") in voter.buttons(card), timeout=STEP_TIMEOUT
            )
            await sandbox.wait_for(lambda: sandbox.callback_answer(query) is not None, timeout=STEP_TIMEOUT)

            dealt = await voter.tap_in_place(t._("Suivant ▶"))  # the next card, on the same message
            second = next(wish for wish in wishes.values() if wish in (dealt.text or ""))
            assert second != first
            process = await crash(process)  # the next card on the screen
            again = await voter.send("/avis")
            assert second in (again.text or ""), "/avis after a restart shows the same card"
            await voter.tap_in_place(t._("🤷 Je ne sais pas"))
            new = len(voter.messages) - before
            assert 2 <= new <= 2 + kills, f"{new} messages for two /avis and {kills} crashes"

            await stopped(process)
        finally:
            await ended(process)

        database = Database(url)
        try:
            async with database.session() as session:
                repos = Repositories(session)
                resident = await repos.residents.by_telegram_id(7103)
                assert resident is not None
                votes = [(wish.text, vote.value) for vote, wish in await repos.deliberation.votes(resident)]
                waiting, _ = await repos.inbox.count()
                unsent = await repos.outbox.count()
        finally:
            await database.close()
    assert kills == 3
    assert votes == [(first, -1), (second, 0)], "each vote once, with the last opinion given"
    assert (waiting, unsent) == (0, 0), "nothing is left to handle or to send"


async def test_a_crash_before_a_press_is_forgotten_makes_its_answer_again_and_nothing_worse(
    telegram: tuple[BotApiSandbox, str], tmp_path: Path
) -> None:
    """A press's answer and the removal of its buttons are forgotten only with the message that
    follows them (one commit per press): killed while that message is on its way, the bot makes
    them again, Telegram refuses them, and the resident gets the next screen with no apology."""
    sandbox, api = telegram
    resident = 7500
    async with database_for("sqlite", tmp_path) as where:
        variables = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": api, **where}

        async def start() -> asyncio.subprocess.Process:
            return await started(sandbox, tmp_path, variables)

        process = await start()
        try:
            phone = Phone(sandbox, resident, "fr")
            await accept(phone, t)
            holder = next(
                m for m in reversed(sandbox.bot_messages(resident)) if m.find_button(t._("Répondre ▶"))
            )
            button = holder.find_button(t._("Répondre ▶"))
            assert button is not None
            sandbox.faults.slow("sendMessage", delay=5.0, chat_id=resident)
            query = await sandbox.press(resident, holder.message_id, button["callback_data"])

            def answers() -> list[bool]:
                return [c.ok for c in sandbox.api_calls if c.params.get("callback_query_id") == query]

            def edits() -> list[bool]:
                return [
                    c.ok
                    for c in sandbox.api_calls
                    if c.method == "editMessageReplyMarkup"
                    and str(c.params.get("message_id")) == str(holder.message_id)
                ]

            await sandbox.wait_for(lambda: answers() == [True] and edits() == [True], timeout=30)
            process.send_signal(signal.SIGKILL)  # the next screen is on its way, slowly
            await process.wait()
            process = await start()
            await sandbox.wait_for(
                lambda: any(m.find_button("Malika") for m in sandbox.bot_messages(resident)), timeout=30
            )
            assert edits() == [True, False], "made again after the crash, and refused: nothing changes"
            assert answers()[0] and not any(answers()[1:]), "an answer made again is refused"
            assert not any("Oups" in (m.text or "") for m in sandbox.bot_messages(resident))
            await stopped(process)
        finally:
            await ended(process)

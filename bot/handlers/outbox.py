"""Sending the outbox: a line's calls in order, each one's outcome durable before the next.

So the only message whose fate a crash can hide is the one in flight in each line: after a
restart it is made again (at most one duplicate per resident per crash), and nothing is ever
missed. A call made whose outcome cannot be written (the database failing: a full disk) is not
made again when this process takes its line up again, only its outcome is written, once the
database can be (another process taking the line, or a restart, makes it again).
Calls that are harmless to make twice (answering a press, editing a message: Telegram
refuses the second one) are forgotten with the call that follows them, in one commit: a crash
may make them again as well. Outcomes of all lines are written together (group commit). A call
Telegram refuses for good (an edit of a message that is gone, a resident who blocked the bot)
is given up, so that what follows still goes out; answers to button presses that Telegram would
now refuse as too old are dropped unsent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.clock import Clock
from bot.handlers import transport
from bot.metrics import Metrics
from bot.storage import Database
from bot.storage.batching import GroupCommit
from bot.storage.queues import Call, Outgoing

log = logging.getLogger(__name__)
ANSWER_WITHIN = timedelta(seconds=10)
"""Past this, Telegram refuses to answer a button press or an inline query: the answer is dropped."""
ANSWERS = frozenset({"answerCallbackQuery", "answerInlineQuery"})
RETRY_FIRST = 0.5
RETRY_AT_MOST = 30.0
_FILES = {"sendDocument": "document", "sendPhoto": "photo"}


@dataclass
class Unit:
    """What the handlers of one update want sent: written to the outbox with its state change."""

    calls: list[Call] = field(default_factory=list)
    failed: bool = False
    apology: list[Call] = field(default_factory=list)
    """Sent instead of ``calls`` when a handler failed (its changes are rolled back)."""


_UNIT: ContextVar[Unit | None] = ContextVar("fabrique_unit", default=None)


@contextmanager
def collecting(unit: Unit) -> Iterator[Unit]:
    """Handlers run inside this block add their calls to ``unit``."""
    token = _UNIT.set(unit)
    try:
        yield unit
    finally:
        _UNIT.reset(token)


def current_unit() -> Unit:
    unit = _UNIT.get()
    if unit is None:
        raise RuntimeError("a reply was rendered outside the handling of an update")
    return unit


def retry_seconds(error: RetryAfter) -> float:
    """How long Telegram asked to wait (python-telegram-bot gives an int or a timedelta)."""
    delay = error.retry_after
    return float(delay) if isinstance(delay, int | float) else delay.total_seconds()


async def perform(bot: ExtBot[Any], call: Call) -> object:
    """Make one stored call as it was stored (through python-telegram-bot, so that the pacing
    applies); its result as Telegram's JSON."""
    params = {name: value for name, value in call.params.items() if name != "filename"}
    if call.method in _FILES:
        assert call.file is not None
        params[_FILES[call.method]] = InputFile(call.file, filename=call.params.get("filename"))
    return await transport.call(bot, call.method, params)


Shown = tuple[int, int]
"""A message with buttons that reached a line: (line, message id)."""
Apology = Callable[[int], Awaitable[Call]]
"""The message sent to a line in place of one Telegram refused."""
NEEDED = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
"""Calls a resident must not silently miss: one refused is replaced by an apology."""
REPEATABLE = ANSWERS | {"editMessageReplyMarkup", "editMessageText"}
"""Calls whose second making changes nothing the resident sees (Telegram refuses it). This holds
because nothing edits a message between the call that edits it and the next call of its line:
a pressed message is edited before anything is sent, and nothing else edits residents'
messages."""


class Sender:
    def __init__(
        self, bot: ExtBot[Any], database: Database, clock: Clock, metrics: Metrics, apology: Apology
    ) -> None:
        self._bot = bot
        self._apology = apology
        self._database = database
        self._clock = clock
        self._metrics = metrics
        self._outcomes: GroupCommit[tuple[list[int], Shown | None], int | None] = GroupCommit(self._record)
        self._unrecorded: dict[tuple[int, int], int | None] = {}
        """Calls made whose outcome is not durable yet (the database failing: a full disk), by
        line and id, with the message each sent: when this process takes their line up again,
        they are not made again. By line: once a call's outcome is committed, SQLite may give
        its id to another line's call before this line forgets its entry (a line's calls are
        sent one after the other, so its own entries are gone before it reuses an id)."""

    async def send(self, calls: list[Outgoing]) -> None:
        """Make the calls in order; each is forgotten (durably) before the next is made, or with
        it when it is :data:`REPEATABLE`. A message sent with buttons becomes the resident's live
        keyboard, and the previous one loses its buttons (at once, and not again after a crash:
        a stale press is told it is stale)."""
        made: list[int] = []
        for index, outgoing in enumerate(calls):
            key = (outgoing.line, outgoing.id)
            if key in self._unrecorded:
                sent = self._unrecorded[key]
            else:
                sent = self._unrecorded[key] = await self._make(outgoing)
            made.append(outgoing.id)
            shown = (outgoing.line, sent) if sent is not None and outgoing.call.keyboard else None
            if shown is None and outgoing.call.method in REPEATABLE and index < len(calls) - 1:
                continue
            retired = await self._outcomes.submit((made, shown))
            for call_id in made:
                del self._unrecorded[outgoing.line, call_id]
            made = []
            if retired is not None:
                await self._make_once(
                    Call("editMessageReplyMarkup", {"chat_id": outgoing.line, "message_id": retired})
                )

    async def _make_once(self, call: Call) -> None:
        try:
            await perform(self._bot, call)
        except TelegramError as exc:
            log.info("%s refused: %s", call.method, type(exc).__name__)

    async def _make(self, outgoing: Outgoing) -> int | None:
        """Make the call (again while the network fails); the id of the message it sent, if any."""
        call = outgoing.call
        if call.method in ANSWERS and self._clock.now() - outgoing.created_at > ANSWER_WITHIN:
            self._metrics.dropped.inc()
            return None
        delay = RETRY_FIRST
        while True:
            try:
                result = await perform(self._bot, call)
            except RetryAfter as exc:
                await asyncio.sleep(retry_seconds(exc))
            except Forbidden:
                log.info("%s refused: the resident blocked the bot", call.method)
                self._metrics.dropped.inc()
                return None
            except BadRequest as exc:
                # Refused for good: a message gone or unchanged, a press too old, a bug of ours.
                log.info("%s refused: %s", call.method, type(exc).__name__)
                self._metrics.dropped.inc()
                if call.method in NEEDED:
                    self._metrics.errors.inc()
                    await self._make_once(await self._apology(outgoing.line))
                return None
            except NetworkError as exc:
                log.warning("%s failed, trying again in %.1f s: %s", call.method, delay, type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_AT_MOST)
            except TelegramError as exc:
                log.warning("%s refused: %s", call.method, type(exc).__name__)
                self._metrics.dropped.inc()
                return None
            else:
                sent = result.get("message_id") if isinstance(result, dict) else None
                return sent if isinstance(sent, int) else None

    async def _record(self, outcomes: list[tuple[list[int], Shown | None]]) -> list[int | None]:
        """Forget the calls made; record new live keyboards, answering the ones they replace."""
        async with self._database.transaction() as repos:
            await repos.outbox.done(call_id for made, _ in outcomes for call_id in made)
            shown = [outcome for _, outcome in outcomes if outcome is not None]
            replaced = iter(await repos.dialogs.show_keyboards(shown))
            return [next(replaced) if outcome is not None else None for _, outcome in outcomes]

"""The inbox's Telegram side: updates are stored before Telegram is told they arrived, then each
is handled in one transaction together with the replies it causes.

In polling mode the next ``getUpdates`` (which confirms the batch before it) is only asked for
once the batch is stored; in webhook mode the HTTP answer waits for the insert. Updates are
stored as Telegram sent them and read once, when handled: one that python-telegram-bot cannot
read (a field it does not know made required) is counted, logged by the error's type only, and
skipped, so that it never holds up the updates behind it. Handling runs python-telegram-bot's
handlers as usual, but what they send is written to the outbox (see :mod:`bot.handlers.outbox`)
and only sent once the transaction has committed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram._utils.types import JSONDict
from telegram.error import InvalidToken, RetryAfter
from telegram.ext import Application

from bot.clock import Clock
from bot.handlers import transport
from bot.handlers.concurrency import is_update, kind_of, line_of, sender_of, update_id
from bot.handlers.outbox import Apology, Unit, collecting, retry_seconds
from bot.metrics import Metrics
from bot.services.abuse import FloodControl
from bot.services.lines import Lines
from bot.storage import Database
from bot.storage.batching import GroupCommit
from bot.storage.queues import Call, Outgoing, Received

log = logging.getLogger(__name__)
RETRY_AT_MOST = 30.0


def received(update: JSONDict) -> Received:
    """An update as Telegram sent it (its id checked to be a number), ready for the inbox."""
    return Received(int(update["update_id"]), line_of(update), json.dumps(update))


def unreadable(exc: Exception, metrics: Metrics) -> None:
    """Count and log an update that could not be read, without any of its content."""
    metrics.errors.inc()
    log.error("unreadable update dropped: %s", type(exc).__name__)


class Intake:
    """Stores updates in the inbox, then hands the new ones to their lines."""

    def __init__(self, database: Database, clock: Clock, lines: Lines) -> None:
        self._database = database
        self._clock = clock
        self._lines = lines
        self._one_by_one: GroupCommit[Received, None] = GroupCommit(self._store)

    def failure(self, exc: BaseException) -> str:
        """What to log of a failure to store updates (see ``Database.failure``)."""
        return self._database.failure(exc)

    async def store(self, updates: Sequence[JSONDict]) -> None:
        """A whole ``getUpdates`` batch, in one insert."""
        await self._store([received(update) for update in updates])

    async def store_one(self, update: JSONDict) -> None:
        """One webhook request's update; concurrent requests share a commit."""
        await self._one_by_one.submit(received(update))

    async def _store(self, rows: list[Received]) -> list[None]:
        """Store the rows and hand the new ones (not redeliveries of rows stored already) to
        their lines as soon as they are committed, with no wait between the two: a line that
        takes its updates from memory has each one once, whatever the caller becomes."""
        unique = list({row.update_id: row for row in rows}.values())  # one update sent twice at once
        async with self._database.transaction() as repos:
            stored = await repos.inbox.store(unique, self._clock.now())
        self._lines.hand(row for row in unique if row.update_id in stored)
        return [None] * len(rows)


class Poller:
    """Long polling that confirms a batch to Telegram only once it is stored."""

    def __init__(
        self, application: Application[Any, Any, Any, Any, Any, Any], intake: Intake, lines: Lines
    ) -> None:
        self._bot = application.bot
        self._intake = intake
        self._lines = lines
        self._task: asyncio.Task[None] | None = None

    def start(self, *, timeout: int, allowed_updates: list[str]) -> None:
        self._task = asyncio.create_task(self._poll(timeout, allowed_updates), name="polling")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _poll(self, poll_seconds: int, allowed_updates: list[str]) -> None:
        offset: int | None = None
        delay = 1.0
        while True:
            await self._lines.room()
            try:
                asked = {"offset": offset, "timeout": poll_seconds, "allowed_updates": allowed_updates}
                answer = await transport.call(self._bot, "getUpdates", asked, read_timeout=poll_seconds + 10)
                if not isinstance(answer, list):
                    raise TypeError("getUpdates did not answer a list")
                updates = [item for item in answer if is_update(item)]
                if len(updates) < len(answer):
                    log.error("getUpdates gave %d items that are not updates", len(answer) - len(updates))
                await self._intake.store(updates)
            except RetryAfter as exc:
                await asyncio.sleep(retry_seconds(exc))
                continue
            except InvalidToken:
                log.error("polling stopped: Telegram refused the bot token")
                return
            except Exception as exc:  # the network, Telegram, the database: all tried again
                log.warning("polling failed, trying again in %.0f s: %s", delay, self._intake.failure(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_AT_MOST)
                continue
            delay = 1.0
            ids = [number for number in map(update_id, answer) if number is not None]
            if ids:  # confirmed, the skipped ones too
                offset = max(ids) + 1


class _Failed(Exception):
    """A handler failed: the update's changes are rolled back and only the apology is kept."""


class _AlreadyHandled(Exception):
    """Another process handled this update first."""


class Handling:
    """One update, one transaction: state changes, the inbox row and the replies commit together."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        database: Database,
        clock: Clock,
        flood: FloodControl,
        metrics: Metrics,
        apology: Apology,
    ) -> None:
        self._application = application
        self._apology = apology
        self._database = database
        self._clock = clock
        self._flood = flood
        self._metrics = metrics

    async def handle(self, row: Received) -> list[Outgoing]:
        try:
            update = Update.de_json(json.loads(row.payload), self._application.bot)
        except Exception as exc:
            unreadable(exc, self._metrics)
            return await self._finish(row, [])
        self._metrics.updates.labels(kind_of(update)).inc()
        sender = sender_of(update)
        if sender is not None and not self._flood.admit(sender):
            self._metrics.flooded.inc()
            return await self._finish(row, [])
        unit = Unit()
        with self._metrics.latency.time():
            try:
                async with self._database.unit_of_work():
                    with collecting(unit):
                        await self._application.process_update(update)
                    if unit.failed:
                        raise _Failed
                    return await self._commit(row, unit.calls)
            except _AlreadyHandled:
                return []
            except _Failed:
                return await self._finish(row, unit.apology)
            except Exception as exc:  # the commit itself failed, e.g. a value the database refused
                if self._database.problem(exc) is not None:
                    raise  # the database cannot be written (a full disk): the line takes it up again
                self._metrics.errors.inc()
                log.error("update failed: %s", self._database.failure(exc))
                return await self._finish(row, [await self._apology(row.line)] if row.line else [])

    async def _commit(self, row: Received, calls: list[Call]) -> list[Outgoing]:
        """Mark the update handled and write its calls to the outbox (in the unit of work, if any)."""
        async with self._database.transaction() as repos:
            if not await repos.inbox.mark_handled(row.update_id, self._clock.now()):
                raise _AlreadyHandled
            return await repos.outbox.add(row.line, calls, self._clock.now())

    async def _finish(self, row: Received, calls: list[Call]) -> list[Outgoing]:
        """Mark the update handled with only ``calls`` to send (none, or an apology)."""
        try:
            return await self._commit(row, calls)
        except _AlreadyHandled:
            return []

"""Residents' lines: each resident's updates handled strictly in order, residents side by side.

A line's work lives in the database: updates waiting in the inbox, calls waiting in the
outbox. A process takes a line (see :class:`~bot.storage.locks.LineLocks`), first sends what
the line still has to send, then handles its updates one by one, sending each one's replies
before the next. New updates wake their line at once; a scan every second finds lines that
another process left behind, and, at start, those this process left when it stopped or died.

On SQLite, which serves one process, the updates the intake stored are also handed to their
line in memory: a line this process left with nothing to send or handle takes them from
there, without reading the inbox and the outbox again (one read fewer for each update of a
resident acting alone). After a failure, or when the scan finds the line, it reads them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta

from bot.clock import Clock
from bot.storage import Database, Repositories
from bot.storage.locks import LineLocks
from bot.storage.queues import Outgoing, Received

log = logging.getLogger(__name__)
SCAN_EVERY = 1.0
REMEMBER_HANDLED = timedelta(hours=1)
"""How long a handled update's id is kept, to recognise Telegram redelivering it."""
PRUNE_EVERY = 60

Handle = Callable[[Received], Awaitable[list[Outgoing]]]
Send = Callable[[list[Outgoing]], Awaitable[None]]


class Lines:
    def __init__(self, database: Database, clock: Clock, handle: Handle, send: Send, *, limit: int) -> None:
        self._database = database
        self._clock = clock
        self._handle = handle
        self._send = send
        self._locks = LineLocks(database)
        self._room = asyncio.Semaphore(limit)
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()
        self._handed: dict[int, list[Received]] = {}
        """Updates stored and handed over, by line, until the line takes them."""
        self._settled: set[int] = set()
        """Lines this process left with nothing to send or handle (SQLite only, see above)."""
        self._stopping = False
        self._scanner: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._changed = asyncio.Condition()
        self._limit = limit

    @property
    def active(self) -> int:
        """How many lines are being worked on."""
        return len(self._workers)

    def start(self) -> None:
        """Scan now (what an earlier run left) and every second from now on."""
        self._scanner = asyncio.create_task(self._scan_forever(), name="lines-scan")

    def hand(self, updates: Iterable[Received]) -> None:
        """These updates are newly stored in the inbox: their lines take them up."""
        lines: dict[int, None] = {}
        for received in updates:
            lines[received.line] = None
            if self._database.is_sqlite:
                self._handed.setdefault(received.line, []).append(received)
        self._wake(lines)

    def _wake(self, lines: Iterable[int]) -> None:
        for line in lines:
            if line in self._workers:
                self._again.add(line)
            else:
                self._again.discard(line)
                self._spawn(line)

    async def room(self) -> None:
        """Until fewer lines than the limit are active: polling waits here (backpressure)."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self._workers) < self._limit)

    async def idle(self) -> None:
        """Until no line has work in this process (for tests and benchmarks)."""
        await self._idle.wait()

    async def stop(self) -> None:
        """Finish the updates each line has taken up (and send their replies), then stop; what
        is left waits in the database for the next start."""
        self._stopping = True
        if self._scanner is not None:
            self._scanner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scanner
        while self._workers:  # a line woken while its worker was ending starts again
            await asyncio.gather(*self._workers.values(), return_exceptions=True)
        await self._locks.close()

    def _spawn(self, line: int, *, received: bool = False) -> None:
        """Start a line's worker; once stopping, only for updates received before the stop."""
        if self._stopping and not received:
            return
        self._idle.clear()
        self._workers[line] = asyncio.create_task(self._work(line), name="line")

    async def _work(self, line: int) -> None:
        try:
            if await self._locks.acquire(line):
                try:
                    async with self._room:
                        await self._drain(line)
                finally:
                    await self._locks.release(line)
        except Exception as exc:
            log.error("a line failed; the scan will take it up again: %s", self._database.failure(exc))
        finally:
            del self._workers[line]
            if line in self._again:
                self._again.discard(line)
                self._spawn(line, received=True)
            if not self._workers:
                self._idle.set()
            async with self._changed:
                self._changed.notify_all()

    async def _drain(self, line: int) -> None:
        """Send what the line still has to send, handle what it received; once stopping, finish
        what was already read (updates received before the stop) and no more."""
        while True:
            unsent, waiting = await self._work_of(line)
            if not unsent and not waiting:
                self._settle(line)
                return
            await self._send(unsent)
            for received in waiting:
                await self._send(await self._handle(received))
            self._settle(line)
            if self._stopping or line not in self._again:
                return  # nothing new was stored meanwhile (another process's rows: the scan)
            self._again.discard(line)

    def _settle(self, line: int) -> None:
        """The line has nothing left to send or handle but what will be handed to it."""
        if self._database.is_sqlite:
            self._settled.add(line)

    async def _work_of(self, line: int) -> tuple[list[Outgoing], list[Received]]:
        """What the line has to send and to handle: the updates handed over if this process
        left it settled, else as the database has them."""
        if line in self._settled:
            self._settled.discard(line)  # until this pass ends as it should
            return [], sorted(self._handed.pop(line, []), key=lambda received: received.update_id)
        async with self._database.session() as session:
            unsent, waiting = await Repositories(session).outbox.work(line)
        read = {received.update_id for received in waiting}
        later = [received for received in self._handed.pop(line, []) if received.update_id not in read]
        if later:  # stored while the database was read (the others are in what was read)
            self._handed[line] = later
        return unsent, waiting

    async def _scan_forever(self) -> None:
        scans = 0
        while True:
            try:
                await self._scan(prune=scans % PRUNE_EVERY == 0)
            except Exception as exc:
                log.error("scanning the inbox failed; trying again: %s", self._database.failure(exc))
            scans += 1
            await asyncio.sleep(SCAN_EVERY)

    async def _scan(self, *, prune: bool) -> None:
        async with self._database.session() as session:
            busy = await Repositories(session).inbox.busy_lines()
        for line in busy - self._workers.keys():
            self._settled.discard(line)
            self._spawn(line)
        if prune:
            async with self._database.transaction() as repos:
                await repos.inbox.prune(self._clock.now() - REMEMBER_HANDLED)

"""Retention: after a set date, answers are no longer linked to the residents who gave them.

Until ``RETENTION_UNTIL`` (a date, in Paris time) each answer keeps a link to its resident,
so that a resident can see (/mydata), change or erase (/forget) their own answers. From the
day after, the purge cuts every link for good, destroys the key behind the export's
pseudonyms (earlier exports can no longer be tied to anyone) and deletes dialog drafts left
untouched since that date. The bot runs it on its own every hour; ``fabrique-bot purge`` runs
it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.clock import PARIS, Clock
from bot.storage import Database
from bot.storage.repositories import destroy_secret
from bot.synthesis.export import PSEUDONYM_KEY

log = logging.getLogger(__name__)
CHECK_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Purge:
    unlinked: int
    """Answers whose link to a resident was cut."""
    drafts: int
    """Dialog drafts deleted."""


class Retention:
    def __init__(self, database: Database, clock: Clock, until: date | None) -> None:
        self.database = database
        self.clock = clock
        self.until = until
        self._wake = asyncio.Event()
        self._checked = asyncio.Condition()
        self._checks = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def end(self) -> datetime | None:
        """When links stop being kept: midnight in Paris after ``until``."""
        if self.until is None:
            return None
        return datetime.combine(self.until + timedelta(days=1), time(), tzinfo=PARIS)

    def due(self) -> bool:
        end = self.end
        return end is not None and self.clock.now() >= end

    async def purge(self) -> Purge:
        """Cut the links now (the caller checked :meth:`due`)."""
        cutoff = self.end
        assert cutoff is not None, "no retention date"
        async with self.database.transaction() as repos:
            # Dialog states first: a resident's update locks theirs before their answers,
            # reminders and votes, so the purge takes them in that order too (else each waits
            # for the other: PostgreSQL's deadlock).
            drafts = await repos.dialogs.delete_untouched_since(cutoff)
            unlinked = await repos.answers.unlink_all()
            await repos.reminders.unlink_all()
            await repos.inbox.prune(self.clock.now())  # the ids of handled updates, and their senders
            await destroy_secret(repos.session, PSEUDONYM_KEY)
        return Purge(unlinked, drafts)

    async def purge_if_due(self) -> Purge | None:
        return await self.purge() if self.due() else None

    def start(self) -> None:
        """Run the purge now and every hour from now on, in the background, once due."""
        if self.until is not None and self._task is None:
            self._task = asyncio.create_task(self._run(), name="retention")

    async def check_now(self) -> None:
        """Have the background task check at once, and wait until it has (the clock moved)."""
        async with self._checked:
            before = self._checks
            self._wake.set()
            await self._checked.wait_for(lambda: self._checks > before)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                done = await self.purge_if_due()
                if done is not None and (done.unlinked or done.drafts):
                    log.info(
                        "retention purge: %d answers unlinked, %d drafts deleted", done.unlinked, done.drafts
                    )
            except Exception as exc:
                log.error("retention purge failed; it will be tried again: %s", self.database.failure(exc))
            self._wake.clear()
            async with self._checked:
                self._checks += 1
                self._checked.notify_all()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=CHECK_EVERY.total_seconds())

"""Residents' lines: each update handled once, in order, whether handed over in memory or read
back from the inbox after a failure."""

import asyncio
import json
from datetime import UTC, datetime

from bot.services.lines import Lines
from bot.storage import Database, Repositories
from bot.storage.queues import Outgoing, Received
from tests.conftest import FixedClock

LINE = 6101


def update(number: int) -> Received:
    return Received(number, LINE, json.dumps({"update_id": number}))


class Handler:
    """Marks updates handled as :class:`~bot.handlers.inbox.Handling` does, and fails once on
    the updates it is told to."""

    def __init__(self, database: Database, clock: FixedClock, *, failing: set[int]) -> None:
        self._database = database
        self._clock = clock
        self.failing = failing
        self.handled: list[int] = []

    async def handle(self, received: Received) -> list[Outgoing]:
        if received.update_id in self.failing:
            self.failing.discard(received.update_id)
            raise OSError("the handling failed")
        async with self._database.transaction() as repos:
            if await repos.inbox.mark_handled(received.update_id, self._clock.now()):
                self.handled.append(received.update_id)
        return []


async def nothing_to_send(_: list[Outgoing]) -> None:
    return None


async def stored(database: Database, clock: FixedClock, *updates: Received) -> list[Received]:
    """Stored as the intake stores them: those new to the inbox."""
    async with database.transaction() as repos:
        new = await repos.inbox.store(updates, clock.now())
    return [received for received in updates if received.update_id in new]


async def test_updates_handed_over_are_handled_once_in_order_and_a_failure_reads_the_inbox_again(
    database: Database,
) -> None:
    clock = FixedClock(datetime(2026, 12, 2, 12, tzinfo=UTC))
    handler = Handler(database, clock, failing={2})
    lines = Lines(database, clock, handler.handle, nothing_to_send, limit=10)
    lines.hand(await stored(database, clock, update(1)))
    await asyncio.wait_for(lines.idle(), 10)
    lines.hand(await stored(database, clock, update(3), update(2)))  # out of order in a batch
    await asyncio.wait_for(lines.idle(), 10)
    assert handler.handled == [1], "update 2 failed: nothing after it goes first"
    lines.hand(await stored(database, clock, update(4), update(1)))  # update 1 again: a redelivery
    await asyncio.wait_for(lines.idle(), 10)
    assert handler.handled == [1, 2, 3, 4], "after the failure the line read 2 and 3 back"
    async with database.session() as session:
        assert await Repositories(session).inbox.pending(LINE) == []
    await lines.stop()

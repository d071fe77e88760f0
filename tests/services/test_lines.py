"""Residents' lines fed by the intake: each update handled once, in order, whether handed over
in memory or read back from the inbox after a failure; redeliveries are not handled again."""

import asyncio
from datetime import UTC, datetime

from bot.handlers.inbox import Intake
from bot.services.lines import Lines
from bot.storage import Database, Repositories
from bot.storage.queues import Outgoing, Received
from tests.conftest import FixedClock

LINE = 6101


def update(number: int) -> dict[str, object]:
    """A message from the resident, as Telegram sends it."""
    chat = {"id": LINE, "type": "private"}
    sender = {"id": LINE, "is_bot": False, "first_name": "R"}
    return {"update_id": number, "message": {"message_id": number, "date": 0, "chat": chat, "from": sender}}


class Handler:
    """Marks updates handled as :class:`~bot.handlers.inbox.Handling` does, and fails once on
    the updates it is told to."""

    def __init__(self, database: Database, clock: FixedClock, *, failing: set[int]) -> None:
        self._database = database
        self._clock = clock
        self.failing = failing
        self.taken: list[int] = []
        """Every update the line gave to the handler, in turn."""

    async def handle(self, received: Received) -> list[Outgoing]:
        self.taken.append(received.update_id)
        if received.update_id in self.failing:
            self.failing.discard(received.update_id)
            raise OSError("the handling failed")
        async with self._database.transaction() as repos:
            assert await repos.inbox.mark_handled(received.update_id, self._clock.now())
        return []


async def nothing_to_send(_: list[Outgoing]) -> None:
    return None


async def test_each_update_is_handled_once_in_order_and_a_failed_line_reads_the_inbox_again(
    database: Database,
) -> None:
    clock = FixedClock(datetime(2026, 12, 2, 12, tzinfo=UTC))
    handler = Handler(database, clock, failing={2})
    lines = Lines(database, clock, handler.handle, nothing_to_send, limit=10)
    intake = Intake(database, clock, lines)

    async def store(*numbers: int) -> None:
        await intake.store([update(number) for number in numbers])
        await asyncio.wait_for(lines.idle(), 10)

    await store(1)
    await store(3, 2)  # out of order in a batch
    assert handler.taken == [1, 2], "update 2 failed: update 3 waits behind it"
    await store(4, 1)  # update 1 again: a redelivery
    assert handler.taken == [1, 2, 2, 3, 4], "after the failure the line read 2 and 3 back"
    await store(1, 4, 5)
    await asyncio.gather(intake.store_one(update(6)), intake.store_one(update(6)))  # sent twice at once
    await asyncio.wait_for(lines.idle(), 10)
    assert handler.taken == [1, 2, 2, 3, 4, 5, 6], "redeliveries are not handled again"
    async with database.session() as session:
        assert await Repositories(session).outbox.work(LINE) == ([], [])
    await lines.stop()

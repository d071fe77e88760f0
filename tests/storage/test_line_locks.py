"""A resident's line is worked on by one process at a time, across processes, on PostgreSQL."""

import asyncio

import pytest

from bot.storage import Database
from bot.storage.locks import LineLocks


async def test_a_line_held_by_one_process_is_refused_to_another_until_freed(database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("SQLite serves one process: its locks live in memory")
    other_process = Database(str(database.engine.url.render_as_string(hide_password=False)))
    mine, theirs = LineLocks(database), LineLocks(other_process)
    try:
        lines = list(range(9001, 9041))
        # Taken at the same moment, they share one statement; each still gets its own answer.
        assert await asyncio.gather(*(mine.acquire(line) for line in lines)) == [True] * 40
        assert not await mine.acquire(9001), "a worker of this process already has it"
        got = await asyncio.gather(*(theirs.acquire(line) for line in [*lines[:3], 9100]))
        assert got == [False, False, False, True]
        await asyncio.gather(*(mine.release(line) for line in lines[:2]))
        again = await asyncio.gather(*(theirs.acquire(line) for line in lines[:3]))
        assert again == [True, True, False], "freed lines are theirs to take, the others still held"
    finally:
        await mine.close()
        await theirs.close()
        await other_process.close()

"""A resident's row is the lock each of their updates takes: a transaction that waited for it
reads their dialog state as the transaction it waited for left it."""

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest

from bot.storage import Database

TIMEOUT = 10


async def until_one_waits_for_a_lock(database: Database) -> None:
    """Until a session of the database waits for a row lock (PostgreSQL)."""
    url = database.engine.url
    admin = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
    query = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'"
    try:
        async with asyncio.timeout(TIMEOUT):
            while True:
                if await admin.fetchval(query, url.database):
                    return
                await asyncio.sleep(0.01)
    finally:
        await admin.close()


async def test_a_resident_read_after_waiting_for_their_lock_comes_with_their_state_as_left(
    database: Database,
) -> None:
    if database.is_sqlite:
        pytest.skip("SQLite's writers take turns: none waits for a row")
    now = datetime.now(UTC)
    async with database.transaction() as repos:
        await repos.dialogs.of(await repos.residents.add(42, "fr", "v1", now), now)
    holding = asyncio.Event()

    async def first() -> None:
        async with database.transaction() as repos:
            resident = await repos.residents.by_telegram_id(42)
            assert resident is not None
            (await repos.dialogs.of(resident, now)).step = "wish"  # written at the commit
            holding.set()
            await until_one_waits_for_a_lock(database)

    async def second() -> str:
        await holding.wait()
        async with database.transaction() as repos:
            resident = await repos.residents.by_telegram_id(42)
            assert resident is not None
            return (await repos.dialogs.of(resident, now)).step

    _, step = await asyncio.gather(first(), second())
    assert step == "wish", "not the state as it was before the wait"

"""A resident's update locks their row and their dialog state's first: a transaction that waited
for them reads the state as the one it waited for left it, and whatever else locks them takes
them in the same order (no deadlock)."""

import asyncio
from datetime import UTC, date, datetime

import asyncpg
import pytest

from bot.services.retention import Retention
from bot.storage import Database
from bot.storage.models import Answer
from tests.conftest import FixedClock

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


async def test_the_retention_purge_waits_for_a_residents_update_without_a_deadlock(
    database: Database,
) -> None:
    if database.is_sqlite:
        pytest.skip("SQLite's writers take turns: none waits for a row")
    before = datetime(2026, 5, 1, tzinfo=UTC)
    async with database.transaction() as repos:
        resident = await repos.residents.add(42, "fr", "v1", before)
        await repos.dialogs.of(resident, before)
        answer = Answer(
            resident_id=resident.id, paradox_id="p1", persona_id="malika", wish="…", ranking="1 2 3 4 5",
            language="fr", source=None, consent_version="v1", submitted_at=before,
        )  # fmt: skip
        await repos.answers.save(answer)
    purge = Retention(database, FixedClock(datetime(2026, 7, 1, tzinfo=UTC)), until=date(2026, 6, 1))
    holding = asyncio.Event()

    async def update() -> None:
        async with database.transaction() as repos:
            resident = await repos.residents.by_telegram_id(42)
            assert resident is not None
            holding.set()
            await until_one_waits_for_a_lock(database)  # the purge, for this resident's state
            await repos.answers.describe(resident, {"commune": "13055"})  # their answer, now

    async def purging() -> int:
        await holding.wait()
        return (await purge.purge()).unlinked

    _, unlinked = await asyncio.gather(update(), purging())
    assert unlinked == 1

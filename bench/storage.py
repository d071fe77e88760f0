"""The storage's hot paths, each measured alone: what the choices made in ``bot/storage`` buy.

One process; after a line naming the machine, one JSON line per figure (CPU time; the median
of alternating rounds, so that the machine's other work falls on both sides alike):

1. ``update_transactions``: a typical update's three transactions, each update alone —
   storing it, handling it (the resident and their state, their answers, the inbox and the
   outbox), marking its calls sent — on SQLite, and on PostgreSQL if given. Cases: ``direct``,
   the hot statements as ``bot/storage/direct.py`` runs them (on SQLite on the session's
   connection, on PostgreSQL through the session); ``session``, through the session's
   ``execute`` (on SQLite :mod:`bot.storage.inline`'s); on PostgreSQL, ``connection``, on the
   session's connection. (On PostgreSQL an update also reads its line's work; its line's locks
   and the transactions of the intake and of the calls sent are shared by the updates arriving
   together.)
2. ``short_read`` (PostgreSQL): a read of two statements through ``Database.session``, run
   without a transaction as it is, and in one: this process's CPU only (the server's work and
   the round trips' wait are not in it).
3. ``lines_scan``: the lines' scan every second (``InboxRepository.busy_lines``) over an hour
   of 100 updates/s (360,000 in the inbox, 100 waiting), with the partial index on the waiting
   updates and without it (wall time, best of five).

    python bench/storage.py [--postgres postgresql+asyncpg://u:p@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Executable, Result, insert, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from throughput import fresh_postgres

from bot.storage import Database, Repositories, direct
from bot.storage.queues import Call, InboxUpdate, Received

NOW = datetime(2026, 12, 2, tzinfo=UTC)
RESIDENTS = 200
ROUNDS = 6


@asynccontextmanager
async def closing(url: str) -> AsyncIterator[Database]:
    database = Database(url)
    try:
        yield database
    finally:
        await database.close()


@asynccontextmanager
async def databases(postgres: str | None) -> AsyncIterator[list[Database]]:
    """A fresh SQLite file, and a fresh PostgreSQL database if a server is given."""
    with tempfile.TemporaryDirectory() as folder:
        async with closing(f"sqlite+aiosqlite:///{folder}/bench.sqlite3") as sqlite:
            if not postgres:
                yield [sqlite]
                return
            async with fresh_postgres(postgres) as url, closing(url) as database:
                yield [sqlite, database]


async def median_cpu(cases: Mapping[str, Callable[[], Awaitable[None]]], repeat: int) -> dict[str, float]:
    """Each case's CPU µs per call, the median of :data:`ROUNDS` rounds taken in turn."""
    taken: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(ROUNDS):
        for name, case in cases.items():
            started = time.process_time()
            for _ in range(repeat):
                await case()
            taken[name].append((time.process_time() - started) * 1e6 / repeat)
    return {name: round(statistics.median(values)) for name, values in taken.items()}


class Substitute:
    """Another way for ``direct.execute`` to run the statements — through the session's own
    ``execute``, or on its connection — counting its calls, so that a caller that no longer
    goes through ``direct.execute`` is noticed."""

    def __init__(self, on_the_connection: bool) -> None:
        self.on_the_connection = on_the_connection
        self.calls = 0

    async def __call__(self, session: AsyncSession, statement: Executable, values: Any = None) -> Result[Any]:
        self.calls += 1
        if self.on_the_connection:
            return await (await session.connection()).execute(statement, values)
        return await session.execute(statement, values)


async def update_transactions(database: Database) -> dict[str, Any]:
    async with database.transaction() as repos:
        for i in range(RESIDENTS):
            await repos.dialogs.of(await repos.residents.add(1000 + i, "fr", "v1", NOW), NOW)
    count = 0

    async def one() -> None:
        nonlocal count
        count += 1
        line = 1000 + count % RESIDENTS
        async with database.transaction() as repos:
            await repos.inbox.store([Received(count, line, "{}")], NOW)
        async with database.transaction() as repos:
            resident = await repos.residents.by_telegram_id(line)
            assert resident is not None
            state = await repos.dialogs.of(resident, NOW)
            await repos.answers.recent(resident)
            state.version += 1
            await repos.inbox.mark_handled(count, NOW)
            calls = [Call("answerCallbackQuery", {"id": "1"}), Call("sendMessage", {"chat_id": line})]
            sent = await repos.outbox.add(line, calls, NOW)
        async with database.transaction() as repos:
            await repos.outbox.done(call.id for call in sent)
            await repos.dialogs.show_keyboards([(line, count)])

    async def through(execute: Callable[..., Awaitable[Result[Any]]]) -> None:
        direct.execute = execute  # type: ignore[assignment]  # the one difference between the cases
        try:
            await one()
        finally:
            direct.execute = run_directly

    run_directly = direct.execute
    substitutes = {"session": Substitute(on_the_connection=False)}
    if not database.is_sqlite:  # on SQLite, direct.py's way
        substitutes["connection"] = Substitute(on_the_connection=True)
    for _ in range(300):
        await one()
    ways: dict[str, Callable[..., Awaitable[Result[Any]]]] = {"direct": run_directly, **substitutes}
    cases = {name: partial(through, execute) for name, execute in ways.items()}
    figures = await median_cpu(cases, 500)
    for substitute in substitutes.values():
        assert substitute.calls >= 8 * ROUNDS * 500, "the statements no longer go through direct.execute"
    return {"cpu_us_per_update": figures}


async def short_read(database: Database) -> dict[str, Any]:
    in_transaction = async_sessionmaker(database.engine, expire_on_commit=False)
    first, second = text("SELECT 1"), text("SELECT 2")

    async def read(session: AsyncSession) -> None:
        await session.execute(first)
        await session.execute(second)

    async def without() -> None:
        async with database.session() as session:
            await read(session)

    async def within() -> None:
        async with in_transaction() as session:
            await read(session)

    cases = {"without_transaction": without, "in_transaction": within}
    for case in cases.values():
        for _ in range(300):
            await case()
    return {"cpu_us_per_read": await median_cpu(cases, 500)}


async def lines_scan(database: Database) -> dict[str, Any]:
    hour, waiting_every, first = 360_000, 3_600, 10**9  # ids after the other figures' updates
    rows = [
        {
            "update_id": first + i,
            "line": i % 29_989,  # prime to 3,600: every waiting update on its own line
            "payload": None if i % waiting_every else "{}",
            "received_at": NOW + timedelta(seconds=i / 100),
            "handled_at": None if i % waiting_every == 0 else NOW + timedelta(seconds=i / 100),
        }
        for i in range(hour)
    ]
    async with database.transaction() as repos:
        for start in range(0, hour, 10_000):
            await repos.session.execute(insert(InboxUpdate), rows[start : start + 10_000])
    if not database.is_sqlite:
        async with database.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE inbox"))

    async def best() -> float:
        times = []
        for _ in range(5):
            async with database.session() as session:
                started = time.perf_counter()
                busy = await Repositories(session).inbox.busy_lines()
                times.append(time.perf_counter() - started)
        assert len(busy) == hour // waiting_every
        return round(min(times) * 1000, 2)

    with_index = await best()
    async with database.transaction() as repos:
        await repos.session.execute(text("DROP INDEX ix_inbox_waiting"))
    return {"ms_per_scan": {"partial_index": with_index, "without": await best()}}


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres", default=os.environ.get("TEST_POSTGRES_URL"), help="admin URL of a PostgreSQL server"
    )
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    async with databases(args.postgres) as found:
        for database in found:
            await database.upgrade()
            name = database.engine.dialect.name
            figures = [update_transactions, lines_scan] + ([] if database.is_sqlite else [short_read])
            for figure in figures:
                result = await figure(database)
                print(json.dumps({"figure": figure.__name__, "database": name, **result}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())

"""SQLite on the event loop's thread (``bot.storage.inline``): while another process holds the
write lock (``fabrique-bot purge``, a ``sqlite3`` shell), a write waits in a thread, the event
loop goes on, and the write is made once the lock is free; a resident's message sent meanwhile
is answered then."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.application import Fabrique
from bot.storage import Database, Resident
from tests.phone import Phone
from tests.words import words


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: PostgreSQL's driver waits for its server without a thread."""
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'fabrique.sqlite3'}"


@contextmanager
def write_lock(database: Database) -> Iterator[sqlite3.Connection]:
    """SQLite's write lock, held by another connection as another process would."""
    assert database.file is not None
    holder = sqlite3.connect(database.file, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield holder
    finally:
        holder.close()


async def waiting_write(database: Database) -> asyncio.Task[None]:
    """A resident's arrival written while another process holds the lock, up to its wait (the
    event loop goes on meanwhile: this coroutine is run again)."""

    async def write() -> None:
        async with database.transaction() as repos:
            await repos.residents.add(900_001, "fr", "v", datetime(2017, 4, 20, 10, tzinfo=UTC))

    writing = asyncio.create_task(write())
    for _ in range(20):
        await asyncio.sleep(0)
    return writing


async def residents(database: Database) -> int:
    async with database.session() as session:
        return int((await session.execute(select(func.count()).select_from(Resident))).scalar_one())


async def test_a_write_waits_for_the_lock_without_holding_up_the_event_loop(database: Database) -> None:
    with write_lock(database) as holder:
        writing = await waiting_write(database)
        assert not writing.done(), "waiting in a thread, not failed, not blocking this loop"
        assert await residents(database) == 0, "reads go on meanwhile"
        holder.execute("COMMIT")
        await asyncio.wait_for(writing, timeout=10)
    assert await residents(database) == 1


async def test_a_message_sent_while_another_process_writes_is_answered_after(
    phone: Callable[..., Phone], bot: Fabrique
) -> None:
    resident = phone(1001, "fr")
    sandbox = resident.sandbox
    with write_lock(bot.database) as holder:
        calls = len(sandbox.api_calls)
        await sandbox.send_text(resident.user_id, "/start")
        # The bot fetches the update; storing it waits for the lock, so it stays unconfirmed.
        await sandbox.wait_for(lambda: any(c.method == "getUpdates" for c in sandbox.api_calls[calls:]))
        assert sandbox.pending_updates and not resident.messages
        holder.execute("COMMIT")
        reply = await resident.wait_for_message(lambda _: True, after=0)
    assert words("fr")._("J’accepte") in resident.buttons(reply), reply.text


async def test_a_write_cancelled_while_it_waits_leaves_the_lock_free(database: Database) -> None:
    """The bot stopping while a write waits for another process: once that process is done, the
    write's thread takes the lock, and it is given back at once, not kept by a pooled connection."""
    with write_lock(database) as holder:
        writing = await waiting_write(database)
        writing.cancel()
        holder.execute("COMMIT")
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(writing, timeout=10)
    assert database.file is not None
    other = sqlite3.connect(database.file, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")  # would fail at once were the lock still held
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert await residents(database) == 0

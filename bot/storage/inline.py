"""SQLite for the residents' updates, called on the event loop's thread.

aiosqlite runs every call in a thread of its own and wakes the event loop for each result:
SQLAlchemy makes three or four such calls per statement (cursor, execute, fetch, close), and
each round trip costs more than the statement itself, which reads or writes a few rows of a
file in the page cache. This process's writers take turns anyway (``Database.writing``), so
nothing is gained by waiting in a thread. Two ways here:

- :class:`Session`, for transactions and short reads (``Database.transaction``,
  ``Database.session``): an ``AsyncSession`` whose statements run through SQLAlchemy's plain,
  synchronous session on a plain engine, with none of its asyncio layer (a greenlet per call,
  a switch per driver call: more than SQLite's own work for a resident's few rows);
- :class:`Connection`, a driver in the shape SQLAlchemy's aiosqlite dialect expects, whose calls
  return at once (coroutines that never suspend), for the rest of the ``AsyncEngine``'s uses
  (the broadcasts' delivery log, the schema's upgrade).

One case waits: another process holding SQLite's write lock (``fabrique-bot purge``, a shell).
The call (or the session's BEGIN and first read) is tried at once (no busy timeout); if SQLite
answers busy, it is made again in a thread with the usual timeout, and the event loop goes on
meanwhile.

What this costs: a write that takes long holds up the event loop too, where before it held up
only the other writes. Those are rare and bounded: the standings' census once a minute (36 ms
at 10,000 answers, 0.5 s at a million: ``bench/README.md``), a broadcast's recipients written
once, the retention date's unlinking once, SQLite's checkpoints of its log. Reads that may take
long (exports, statistics, the report) are made in a thread (``Database.reading``).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, TypeVar, cast

import sqlalchemy
from sqlalchemy.ext.asyncio import AsyncSession

from bot.logs import trace

log = logging.getLogger(__name__)

T = TypeVar("T")


class Connection:
    """The aiosqlite ``Connection`` calls SQLAlchemy makes, done at once."""

    def __init__(self, connection: sqlite3.Connection, busy_ms: int) -> None:
        self._connection: sqlite3.Connection | None = connection
        self._busy_ms = busy_ms

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    @property
    def isolation_level(self) -> str | None:
        return self._open().isolation_level

    async def run(self, call: Callable[..., T], *args: Any) -> T:
        """``call(*args)`` now; if SQLite is busy, again in a thread, waiting up to the timeout."""
        return await now_or_waiting(partial(call, *args), partial(self._waiting, call, *args), self._undo)

    def _waiting(self, call: Callable[..., T], *args: Any) -> T:
        with waiting_for_the_lock(self._open(), self._busy_ms):
            return call(*args)

    def _undo(self) -> None:
        connection = self._connection
        if connection is not None and connection.in_transaction:
            connection.rollback()

    def cursor(self) -> _Opening:
        return _Opening(Cursor(self, self._open().cursor()))

    async def commit(self) -> None:
        await self.run(self._open().commit)

    async def rollback(self) -> None:
        self._open().rollback()

    async def close(self) -> None:
        self.stop()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._open().create_function(*args, **kwargs)

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _Opening:
    """What ``Connection.cursor()`` gives: ``async with``-able, as aiosqlite's."""

    def __init__(self, cursor: Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> Cursor:
        return self._cursor

    async def __aexit__(self, *_: object) -> None:
        await self._cursor.close()


class Cursor:
    """The aiosqlite ``Cursor`` calls SQLAlchemy makes, done at once."""

    def __init__(self, connection: Connection, cursor: sqlite3.Cursor) -> None:
        self._connection = connection
        self._cursor = cursor

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        await self._connection.run(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Sequence[Any]) -> Cursor:
        """Not made again if SQLite is busy: the rows before might be written twice. (Writes
        run in transactions begun with the write lock: none is busy halfway.)"""
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


async def connect(*args: Any, busy_ms: int, **options: Any) -> Connection:
    """A connection for SQLAlchemy's ``async_creator``, from the ``sqlite3.connect`` arguments
    its dialect makes of the URL (see :func:`opened`)."""
    return Connection(opened(*args, **options), busy_ms)


def opened(*args: Any, **options: Any) -> sqlite3.Connection:
    """A SQLite connection in autocommit mode (transactions are begun explicitly), with no busy
    timeout on the event loop (see :func:`now_or_waiting`)."""
    options |= {"isolation_level": None, "check_same_thread": False}
    connection: sqlite3.Connection = sqlite3.connect(*args, **options)
    connection.execute("PRAGMA busy_timeout=0")
    return connection


def _busy(exc: Exception) -> bool:
    """Whether SQLite answered busy (another process holds the write lock), as sqlite3's error
    or wrapped in SQLAlchemy's."""
    error = getattr(exc, "orig", exc)
    return (
        isinstance(error, sqlite3.OperationalError) and error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
    )


async def now_or_waiting(call: Callable[[], T], waiting: Callable[[], T], undo: Callable[[], None]) -> T:
    """``call()`` now; if SQLite is busy, ``waiting()`` in a thread, which waits for the lock up
    to the timeout while the event loop goes on.

    Cancelled meanwhile (the bot stopping), it still waits for the thread, which SQLite holds
    until the lock comes or the timeout passes, then ``undo()``-es whatever it began: the
    connection is given back neither in use nor holding the write lock."""
    try:
        return call()
    except Exception as exc:
        if not _busy(exc):
            raise
    thread = asyncio.ensure_future(asyncio.to_thread(waiting))
    try:
        return await asyncio.shield(thread)
    except asyncio.CancelledError:
        await asyncio.wait([thread])
        undo()
        raise


@contextmanager
def waiting_for_the_lock(connection: sqlite3.Connection, busy_ms: int) -> Iterator[None]:
    """SQLite's usual wait for another process's lock, around a call made in a thread."""
    connection.execute(f"PRAGMA busy_timeout={busy_ms}")
    try:
        yield
    finally:
        connection.execute("PRAGMA busy_timeout=0")


class Session(AsyncSession):
    """An ``AsyncSession`` whose statements run at once, with no greenlet.

    SQLAlchemy's asyncio layer runs each call of a session in a greenlet of its own and switches
    out of it for each of the driver's calls: for the few rows of a resident's update, that
    costs more than SQLite itself. This session sits on a connection of a plain (synchronous)
    engine over the same file, whose transaction it joins (:func:`begin`): the owner of the
    connection commits it. ``begin_nested`` and ``refresh`` still work through the greenlet (the
    driver never waits); ``connection()`` and ``bind`` do not: statements go through
    :meth:`execute`. Results are read at once, as the repositories do."""

    def __init__(self, connection: sqlalchemy.Connection) -> None:
        super().__init__(expire_on_commit=False, join_transaction_mode="rollback_only")
        self.sync_session.bind = connection

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync_session.execute(*args, **kwargs)

    async def scalars(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync_session.scalars(*args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync_session.scalar(*args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync_session.get(*args, **kwargs)

    async def flush(self, objects: Sequence[Any] | None = None) -> None:
        self.sync_session.flush(objects)

    def direct(self, statement: sqlalchemy.Executable, values: Any) -> sqlalchemy.Result[*tuple[Any, ...]]:
        """``statement`` on the connection itself (see :mod:`bot.storage.direct`)."""
        connection = self.sync_session.bind
        assert isinstance(connection, sqlalchemy.Connection), "used after its block"
        return connection.execute(statement, values)


class Kept:
    """The connections of a plain engine, kept between sessions: taking one from SQLAlchemy's
    pool and giving it back (its checks, its reset, its events) costs several times a
    resident's statements. One is taken per session, as many as sessions run at once (the
    engine opens more as needed: it pools none itself); given back, it is rolled back to no
    transaction (SQLite's own too, whatever a failed commit left) and kept, up to :data:`KEEP`,
    or closed; one that cannot be rolled back is dropped."""

    KEEP = 5
    """How many idle connections are kept; more are closed once given back."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self._engine = engine
        self._idle: list[sqlalchemy.Connection] = []
        self._closed = False

    @contextmanager
    def taken(self) -> Iterator[sqlalchemy.Connection]:
        connection = self._idle.pop() if self._idle else self._engine.connect()
        try:
            yield connection
        finally:
            self._give_back(connection)

    def _give_back(self, connection: sqlalchemy.Connection) -> None:
        try:
            if not connection.invalidated:
                connection.rollback()  # SQLAlchemy's transaction, even one a failed commit left inactive
                raw = cast(sqlite3.Connection, connection.connection.driver_connection)
                if raw.in_transaction:  # SQLAlchemy skips the driver's rollback for an inactive one
                    raw.rollback()
        except Exception as exc:  # not raised: the session's own outcome is what matters
            log.warning("a SQLite connection could not be rolled back; it is dropped: %s", trace(exc))
            connection.invalidate()
        if connection.invalidated or self._closed or len(self._idle) >= self.KEEP:
            connection.close()
        else:
            self._idle.append(connection)

    def close(self) -> None:
        """Close the idle connections now, and those in use when they are given back."""
        self._closed = True
        while self._idle:
            self._idle.pop().close()
        self._engine.dispose()


_SNAPSHOT = "SELECT 1 FROM sqlite_master LIMIT 1"
"""A read that takes the transaction's snapshot (a deferred BEGIN takes none)."""


async def begin(connection: sqlalchemy.Connection, busy_ms: int) -> None:
    """Begin ``connection``'s transaction (the engine's ``begin`` listener says how) and take
    its snapshot now, or in a thread once SQLite is no longer busy (another process holding the
    write lock, or recovering the log after a crash). Once the snapshot is taken, the
    transaction's reads do not meet a busy database."""
    raw = cast(sqlite3.Connection, connection.connection.driver_connection)

    def now() -> None:
        if not connection.in_transaction():
            connection.begin()
        raw.execute(_SNAPSHOT).close()

    def waiting() -> None:
        with waiting_for_the_lock(raw, busy_ms):
            now()

    def undo() -> None:
        if connection.in_transaction():
            connection.rollback()

    await now_or_waiting(now, waiting, undo)

"""The database engine, its sessions, and schema upgrades through Alembic."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from contextvars import ContextVar
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, NullPool, create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bot.errors import ConfigError, OperatorError, unreachable
from bot.logs import trace
from bot.storage import inline
from bot.storage.repositories import Repositories

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x0FAB_0001
WRITE = "fabrique_write"
"""Execution option marking a connection that will write (see ``_sqlite_begin``)."""
BUSY_SECONDS = 10
"""How long SQLite waits for another process's write to end before saying it is locked."""
POSTGRES_LOGIN = {"28P01": "password", "28000": "user"}
"""SQLSTATEs of a refused login, and what the operator should check in ``DATABASE_URL``."""
UNKNOWN_DATABASE = "3D000"


class Schema(Enum):
    """Where a database stands against this version's migrations."""

    ABSENT = "absent"  # no SQLite file
    EMPTY = "empty"  # no migration applied: not the bot's database, or never started
    OTHER = "other"  # an older (or newer) version's schema
    CURRENT = "current"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    if dbapi_connection.isolation_level is not None:  # aiosqlite's (inline ones are made so)
        dbapi_connection.isolation_level = None  # transactions are begun by _sqlite_begin below
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_waits(dbapi_connection: Any, _record: object) -> None:
    """A connection in a thread of its own waits for another process's write in SQLite's busy
    handler (on the event loop's thread, :mod:`bot.storage.inline` waits in a thread)."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
    cursor.close()


def _sqlite_query_only(dbapi_connection: Any, _record: object) -> None:
    """A connection that reads only: a write through it (a bug: writes go through
    ``Database.transaction``) fails instead of being rolled back unseen."""
    dbapi_connection.execute("PRAGMA query_only=ON")


def _inline_engine(opened: Callable[[], Any], begin: str) -> Engine:
    """A plain engine for :class:`inline.Session`, whose transactions start with ``begin``.
    Its connections are kept by :class:`inline.Kept`, so it pools none: it opens one when
    asked, never waiting (that would block the event loop), and closes it when given back."""
    engine = create_engine("sqlite://", creator=opened, poolclass=NullPool, hide_parameters=True)
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", partial(_sqlite_begin_with, begin))
    return engine


def _replace_if_closed(dbapi_connection: Any, _record: object, _proxy: object) -> None:
    """A pooled connection PostgreSQL closed (a restart, an administrator ending sessions) is
    replaced when taken. asyncpg knows it without a round trip: the server's goodbye reached its
    socket while it sat in the pool (``pool_pre_ping`` paid a round trip for every session, a
    tenth of an update's CPU). A connection lost without a goodbye (a host gone) is found by its
    first statement, which fails: that update is answered with an apology, or tried again if the
    failure came before it was handled."""
    if closed_by_the_server(dbapi_connection):
        raise DisconnectionError("closed by the server")


def closed_by_the_server(dbapi_connection: Any) -> bool:
    """Whether PostgreSQL closed this connection (asyncpg's, as SQLAlchemy adapts it)."""
    return bool(dbapi_connection.driver_connection.is_closed())


def _sqlite_begin(connection: Connection) -> None:
    """Writers take SQLite's write lock up front (BEGIN IMMEDIATE), so that concurrent updates
    queue on it instead of failing when a read would have to become a write; readers begin
    deferred, so a long export never holds up residents."""
    immediate = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _sqlite_begin_with(statement: str, connection: Connection) -> None:
    """Begin an inline engine's transaction straight on the driver (SQLAlchemy's statement
    machinery costs several times SQLite's BEGIN); its failure as SQLAlchemy reports one."""
    try:
        connection.connection.driver_connection.execute(statement)  # type: ignore[union-attr]
    except sqlite3.Error as exc:
        raise DBAPIError.instance(statement, None, exc, sqlite3.Error, hide_parameters=True) from None


def _sqlite_file(url: URL) -> Path | None:
    """The absolute path of a SQLite database file (``file:`` URIs included); None if not SQLite."""
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    name = url.database.removeprefix("file:") if url.query.get("uri") == "true" else url.database
    return Path(name).absolute()


class _Unit:
    """The transaction of a unit of work, begun when first asked for."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.stack = AsyncExitStack()
        self._repositories: Repositories | None = None

    async def repositories(self) -> Repositories:
        if self._repositories is None:
            self._repositories = await self.stack.enter_async_context(self.database._begin())
        return self._repositories


_UNIT: ContextVar[_Unit | None] = ContextVar("fabrique_unit_of_work", default=None)


class Database:
    """One engine per process; :meth:`transaction` is the unit of work for one update.

    Nothing is created before :meth:`upgrade`: reading a database that is not there fails
    (see :meth:`schema`) instead of creating an empty one."""

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise ConfigError("DATABASE_URL is malformed (see README.md)") from None
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.file = _sqlite_file(parsed)
        self.location = str(self.file) if self.file else parsed.render_as_string(hide_password=True)
        """Where the database is, safe to print: the SQLite file, or the URL without its password."""
        self._inline: inline.Kept | None = None
        self._inline_reads: inline.Kept | None = None
        # hide_parameters: a failed statement's error and log name no value, so never a resident's text.
        if self.is_sqlite:
            self.reader = create_async_engine(parsed, hide_parameters=True)
            args, options = self.reader.dialect.create_connect_args(parsed)
            connect = partial(inline.connect, *args, busy_ms=BUSY_SECONDS * 1000, **options)
            self.engine = create_async_engine(parsed, async_creator=connect, hide_parameters=True)
            opened = partial(inline.opened, *args, **options)
            self._inline = inline.Kept(_inline_engine(opened, "BEGIN IMMEDIATE"))
            reads = _inline_engine(opened, "BEGIN")
            event.listen(reads, "connect", _sqlite_query_only)
            self._inline_reads = inline.Kept(reads)
            for engine in (self.engine.sync_engine, self.reader.sync_engine):
                event.listen(engine, "connect", _sqlite_pragmas)
                event.listen(engine, "begin", _sqlite_begin)
            event.listen(self.reader.sync_engine, "connect", _sqlite_waits)
        else:
            self.engine = self.reader = create_async_engine(parsed, hide_parameters=True)
            event.listen(self.engine.sync_engine, "checkout", _replace_if_closed)
        """On PostgreSQL, ``engine`` serves everything. On SQLite, transactions and short reads
        go through :class:`inline.Session` on the kept connections of plain engines (``_inline``,
        ``_inline_reads``, on the event loop's thread), ``engine`` serves the broadcasts'
        delivery log and the schema (:mod:`bot.storage.inline` too), and ``reader`` the reads
        that may take long — exports, statistics, the report — (aiosqlite's thread: the updates
        go on meanwhile)."""
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Short reads on PostgreSQL run without a transaction: each statement sees what was
        # committed before it, as the callers expect, and BEGIN and ROLLBACK would cost two
        # round trips more (bench/storage.py: short_read).
        self._reads = async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )
        self._reading = async_sessionmaker(self.reader, expire_on_commit=False)
        self._write_lock = asyncio.Lock()

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        """Around a transaction that writes. SQLite has one writer at a time: this process's
        writers take turns here, instead of in SQLite's busy handler, which sleeps in steps of
        up to 100 ms. PostgreSQL locks rows itself."""
        if not self.is_sqlite:
            yield
            return
        async with self._write_lock:
            yield

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repositories]:
        """Everything inside commits together, or not at all. Inside :meth:`unit_of_work`, it
        is the unit's transaction, committed at the unit's end."""
        unit = _UNIT.get()
        if unit is not None and unit.database is self:  # not another engine's (a worker thread's)
            yield await unit.repositories()
            return
        async with self._begin() as repos:
            yield repos

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[None]:
        """One transaction for everything inside, begun at its first use (so that work that
        only reads, such as an export, holds no write lock) and committed at the end, or
        rolled back if the block raises."""
        unit = _Unit(self)
        token = _UNIT.set(unit)
        try:
            async with unit.stack:
                yield
        finally:
            _UNIT.reset(token)

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[Repositories]:
        async with self.writing(), self._write_session() as session:
            repos = Repositories(session)
            yield repos
            await repos.finish()

    @asynccontextmanager
    async def _write_session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction that will write, committed at the end unless the block raises."""
        if self._inline is not None:
            async with self._inline_session(write=True) as inlined:
                yield inlined
            return
        async with self._sessions() as session, session.begin():
            await session.connection(execution_options={WRITE: True})
            yield session

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session to read a few rows, not necessarily from one snapshot (on PostgreSQL each
        statement sees what was committed when it ran; on SQLite, it reads on the event loop's
        thread, where it cannot write: writes go through :meth:`transaction`)."""
        if self._inline is not None:
            async with self._inline_session(write=False) as inlined:
                yield inlined
            return
        async with self._reads() as session:
            yield session

    @asynccontextmanager
    async def _inline_session(self, *, write: bool) -> AsyncIterator[inline.Session]:
        """A SQLite session in a transaction of its own, begun at once (writers with the write
        lock), committed at the end if ``write`` and the block did not raise, else rolled back."""
        kept = self._inline if write else self._inline_reads
        assert kept is not None
        with kept.taken() as connection:
            await inline.begin(connection, BUSY_SECONDS * 1000)
            session = inline.Session(connection)
            try:
                yield session
                if write:
                    session.sync_session.commit()  # flushes; the connection's transaction is its own
                    connection.commit()
            finally:
                session.sync_session.close()
                session.sync_session.bind = None  # used after its block, it fails (the connection is
                # another session's by then)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads that may take long: exports, statistics, the report (on
        SQLite, read in a thread, so that the residents' updates go on meanwhile)."""
        async with self._reading() as session:
            yield session

    async def upgrade(self) -> None:
        """Create the database if needed and bring its schema to the latest migration, in a
        write transaction: a database that cannot be written fails here, at start."""
        if self.file is not None:
            try:
                self.file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OperatorError(
                    f"cannot create the folder of the SQLite database {self.file}: {exc.strerror} "
                    "(set DATA_DIR to a folder the bot's user can write)"
                ) from None
        async with self.writing(), self.engine.connect() as connection:
            await connection.execution_options(**{WRITE: True})
            async with connection.begin():
                await connection.run_sync(_upgrade)

    async def schema(self) -> Schema:
        """Where the schema stands; creates nothing (a missing SQLite file stays missing)."""
        if self.file is not None and not self.file.exists():
            return Schema.ABSENT
        async with self.engine.connect() as connection:
            current = await connection.run_sync(_current_heads)
        if not current:
            return Schema.EMPTY
        return Schema.CURRENT if current == _heads() else Schema.OTHER

    async def is_at_head(self) -> bool:
        return await self.schema() is Schema.CURRENT

    async def close(self) -> None:
        await self.engine.dispose()
        await self.reader.dispose()
        for kept in (self._inline, self._inline_reads):
            if kept is not None:
                kept.close()

    @contextmanager
    def reported(self) -> Iterator[None]:
        """Turn the database failures an operator fixes into one :class:`OperatorError` that
        names the database (never its password) and what to check."""
        try:
            yield
        except (DBAPIError, OSError) as exc:
            problem = self.problem(exc)
            if problem is None and self.is_sqlite and isinstance(exc, DBAPIError):
                problem = f"the SQLite database {self.location} failed: {exc.orig}"
            if problem is None:
                raise
            raise OperatorError(problem) from None

    def problem(self, exc: BaseException) -> str | None:
        """One line for a database failure an operator fixes (a refused login, a server out of
        reach, a full disk…), naming the database (never its password) and what to check; None
        for others. SQLite's and PostgreSQL's messages used here hold no values."""
        if isinstance(exc, DBAPIError):
            if self.is_sqlite:
                return _sqlite_problem(str(exc.orig), self.location)
            problem = _postgres_problem(getattr(exc.orig, "sqlstate", None))
            return None if problem is None else f"the database at {self.location} {problem}"
        reason = None if self.is_sqlite or not isinstance(exc, OSError) else unreachable(exc)
        if reason is None:
            return None
        return (
            f"cannot reach the database at {self.location}: {reason} "
            "(is PostgreSQL running there? check the host and port in DATABASE_URL)"
        )

    def failure(self, exc: BaseException) -> str:
        """What to log of a failure met while running: :meth:`problem`'s line, else where it
        happened (:func:`bot.logs.trace`, with no message)."""
        return self.problem(exc) or trace(exc)


def _postgres_problem(sqlstate: str | None) -> str | None:
    if sqlstate in POSTGRES_LOGIN:
        return f"refused the login: check the {POSTGRES_LOGIN[sqlstate]} in DATABASE_URL"
    if sqlstate == UNKNOWN_DATABASE:
        return "does not exist on that server: create it, or fix its name in DATABASE_URL"
    return None


def _sqlite_problem(message: str, where: str) -> str | None:
    """One line for a SQLite error an operator fixes; SQLite's messages hold no values."""
    if "locked" in message:
        return (
            f"the SQLite database {where} stayed locked by another process for {BUSY_SECONDS} s: "
            "try again, or end that process's transaction (a sqlite3 shell left open?)"
        )
    if "readonly" in message:
        return (
            f"the SQLite database {where} is read-only: "
            "the bot's user must be able to write the file and its folder"
        )
    if "unable to open" in message:
        return (
            f"cannot open the SQLite database {where}: it must be a file the bot's user can write, "
            "in a folder it can write (see DATA_DIR)"
        )
    if "not a database" in message:
        return f"{where} is not a SQLite database: point DATA_DIR (or DATABASE_URL) at the bot's database"
    if "disk is full" in message or "disk I/O error" in message:
        return (
            f"cannot write the SQLite database {where} ({message}): free space on its disk; "
            "what residents send waits until it can be stored, and is answered then"
        )
    return None


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":  # processes starting together upgrade one at a time
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    # A write that changes nothing: a read-only file or server fails now, not at a resident's answer.
    connection.exec_driver_sql("UPDATE alembic_version SET version_num = version_num")


def _heads() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def _current_heads(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())

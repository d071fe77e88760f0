"""The database engine, its sessions, and schema upgrades through Alembic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bot.errors import ConfigError
from bot.storage.repositories import Repositories

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x0FAB_0001
WRITE = "fabrique_write"
"""Execution option marking a connection that will write (see ``_sqlite_begin``)."""


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun by _sqlite_begin below
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """Writers take SQLite's write lock up front (BEGIN IMMEDIATE), so that concurrent updates
    queue on it instead of failing when a read would have to become a write; readers begin
    deferred, so a long export never holds up residents."""
    immediate = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """One engine per process; :meth:`transaction` is the unit of work for one update."""

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise ConfigError("DATABASE_URL is malformed (see README.md)") from None
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_async_engine(parsed, pool_pre_ping=not self.is_sqlite)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
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
        """Everything inside commits together, or not at all."""
        async with self.writing(), self._sessions() as session, session.begin():
            await session.connection(execution_options={WRITE: True})
            yield Repositories(session)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def upgrade(self) -> None:
        """Bring the schema to the latest migration."""
        async with self.engine.begin() as connection:
            await connection.run_sync(_upgrade)

    async def is_at_head(self) -> bool:
        async with self.engine.connect() as connection:
            return await connection.run_sync(_at_head)

    async def close(self) -> None:
        await self.engine.dispose()


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":  # processes starting together upgrade one at a time
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _at_head(connection: Connection) -> bool:
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    return set(MigrationContext.configure(connection).get_current_heads()) == heads

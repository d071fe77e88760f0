"""Which process works on a resident's line: at most one at a time, across processes.

On PostgreSQL, a line is held with a session-level advisory lock on one connection kept for
the purpose: if the process dies, the server ends the session and every line it held is free
at once, with no lease to wait out. SQLite serves one process, so its locks live in memory.
Lines taken or freed at the same moment share one statement (a group commit's batching): the
lock connection is one, and a statement per line made it every update's queue when the bot
was busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, INTEGER
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.batching import GroupCommit
from bot.storage.database import Database, closed_by_the_server

log = logging.getLogger(__name__)
LOCK_CLASS = 0x0FAB
"""The first key of every line's advisory lock (the migrations use the one-key form)."""


_KEYS = bindparam("keys", type_=ARRAY(INTEGER))
_TAKE = text("SELECT k FROM unnest(:keys) AS k WHERE pg_try_advisory_lock(:class, k)").bindparams(_KEYS)
_FREE = text("SELECT pg_advisory_unlock(:class, k) FROM unnest(:keys) AS k").bindparams(_KEYS)


def _key(line: int) -> int:
    """A line as the second, 32-bit key of its lock (lines that share one just take turns)."""
    return (line % 2**32) - 2**31


class LineLocks:
    """Held lines of this process; on PostgreSQL, also held against other processes."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._held: set[int] = set()
        self._connection: AsyncConnection | None = None
        self._raw: Any = None
        """The lock connection's driver-level connection, to see whether the server closed it."""
        self._turn = asyncio.Lock()
        self._taking: GroupCommit[int, bool] = GroupCommit(self._take)
        self._freeing: GroupCommit[int, None] = GroupCommit(self._free)

    async def acquire(self, line: int) -> bool:
        """Take the line unless someone holds it (this process included)."""
        if line in self._held:
            return False
        self._held.add(line)  # at once: no other worker of this process asks for it meanwhile
        if self._database.is_sqlite:
            return True
        taken = False
        try:
            taken = await self._taking.submit(line)
        finally:
            if not taken:
                self._held.discard(line)
        return taken

    async def release(self, line: int) -> None:
        if line not in self._held:
            return
        try:
            if not self._database.is_sqlite:
                await self._freeing.submit(line)
        finally:  # freed or not, this process may take it again (locks stack in one session)
            self._held.discard(line)

    async def _take(self, lines: list[int]) -> list[bool]:
        keys = [_key(line) for line in lines]
        taken = set(await self._execute(_TAKE, {"keys": keys, "class": LOCK_CLASS}))
        return [key in taken for key in keys]

    async def _free(self, lines: list[int]) -> list[None]:
        await self._execute(_FREE, {"keys": [_key(line) for line in lines], "class": LOCK_CLASS})
        return [None] * len(lines)

    async def close(self) -> None:
        """Free every line (closing the session frees its advisory locks)."""
        self._held.clear()
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def _execute(self, statement: object, values: dict[str, object]) -> list[int]:
        async with self._turn:
            if self._connection is not None and closed_by_the_server(self._raw):
                log.info(
                    "the server closed the line locks' connection; %d lines held lose their lock",
                    len(self._held),
                )
                await self._drop()
            if self._connection is None:
                connection = await self._database.engine.connect()
                self._connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
                self._raw = await connection.get_raw_connection()
            try:
                result = await self._connection.execute(statement, values)  # type: ignore[call-overload]
            except Exception:
                # Probably a lost connection, whose locks the server has freed: the next
                # statement opens a new one.
                await self._drop()
                raise
            return [row[0] for row in result]

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()

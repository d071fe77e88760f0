"""Which process works on a resident's line: at most one at a time, across processes.

On PostgreSQL, a line is held with a session-level advisory lock on one connection kept for
the purpose: if the process dies, the server ends the session and every line it held is free
at once, with no lease to wait out. SQLite serves one process, so its locks live in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, INTEGER
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.database import Database

LOCK_CLASS = 0x0FAB
"""The first key of every line's advisory lock (the migrations use the one-key form)."""


def _key(line: int) -> int:
    """A line as the second, 32-bit key of its lock (lines that share one just take turns)."""
    return (line % 2**32) - 2**31


class LineLocks:
    """Held lines of this process; on PostgreSQL, also held against other processes."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._held: set[int] = set()
        self._connection: AsyncConnection | None = None
        self._turn = asyncio.Lock()

    async def acquire(self, lines: Iterable[int]) -> set[int]:
        """Take the lines that nobody holds; returns those taken."""
        wanted = [line for line in dict.fromkeys(lines) if line not in self._held]
        if not wanted:
            return set()
        if self._database.is_sqlite:
            taken = set(wanted)
        else:
            keys = {_key(line): line for line in wanted}
            statement = text(
                "SELECT k FROM unnest(:keys) AS k WHERE pg_try_advisory_lock(:class, k)"
            ).bindparams(bindparam("keys", type_=ARRAY(INTEGER)))
            rows = await self._execute(statement, {"keys": list(keys), "class": LOCK_CLASS})
            taken = {keys[key] for key in rows}
        self._held |= taken
        return taken

    async def release(self, line: int) -> None:
        if line not in self._held:
            return
        if not self._database.is_sqlite:
            statement = text("SELECT pg_advisory_unlock(:class, :key)")
            await self._execute(statement, {"class": LOCK_CLASS, "key": _key(line)})
        self._held.discard(line)

    async def close(self) -> None:
        """Free every line (closing the session frees its advisory locks)."""
        self._held.clear()
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def _execute(self, statement: object, values: dict[str, object]) -> list[int]:
        async with self._turn:
            if self._connection is None:
                connection = await self._database.engine.connect()
                self._connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            result = await self._connection.execute(statement, values)  # type: ignore[call-overload]
            return [row[0] for row in result]

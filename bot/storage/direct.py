"""Core statements run on a SQLite session's connection, past the ORM's execution of them (its
events, its autoflush, its wrapping of the result): for the few statements every update runs,
on rows the ORM holds no objects of (the inbox, the outbox, residents and dialog states held
as rows). A typical update's three transactions cost 8 to 21 % less CPU this way on SQLite
(bench/storage.py); on PostgreSQL it gains nothing, and they go through the session.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable, Result
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import inline


def dialect(session: AsyncSession) -> str:
    """The name of the database the session is on: ``sqlite`` or ``postgresql``."""
    return session.get_bind().dialect.name


async def execute(
    session: AsyncSession, statement: Executable, values: Any = None
) -> Result[*tuple[Any, ...]]:
    """Run ``statement`` (with one set of ``values``, or a list of them) in the session's
    transaction: on SQLite's inline session, on its connection."""
    if isinstance(session, inline.Session):
        return session.direct(statement, values)
    # PostgreSQL: on the connection, as through the session, within this machine's noise
    # (bench/storage.py): reaching the connection costs what the ORM's execution would.
    return await session.execute(statement, values)

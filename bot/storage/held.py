"""Rows read and written as plain objects of their model, outside the ORM's unit of work.

The resident and their dialog state are read and written for every update: the ORM's identity
map and flush cost more than the statements themselves (a dialog state read and written, 1.17 ms
through the ORM against 0.66 to 0.73 ms as a row, in one process), so these two are read as
rows, and the columns that changed are written when the transaction ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Table, Update, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import direct
from bot.storage.models import Base

M = TypeVar("M", bound=Base)


@cache
def _update(table: Table, key: str, columns: tuple[str, ...]) -> Update:
    """The UPDATE of these columns of one row (built once per set of columns)."""
    values: dict[str, Any] = {column: bindparam(f"new_{column}") for column in columns}
    return update(table).where(table.c[key] == bindparam("the_key")).values(values)


class Held(Generic[M]):
    """The rows of one table handed out in a transaction, each with its values as read."""

    def __init__(self, session: AsyncSession, model: type[M], key: str) -> None:
        self._session = session
        self._model = model
        self._table = cast(Table, model.__table__)
        self._key = key
        self.columns = tuple(column.key for column in self._table.columns)
        self._held: dict[Any, tuple[M, tuple[Any, ...]]] = {}

    def get(self, key: object) -> M | None:
        """The object handed out for this key in this transaction, if any."""
        held = self._held.get(key)
        return None if held is None else held[0]

    def hold(self, item: M) -> M:
        """``item``, whose values are the row's as stored; the object already handed out for
        its row instead, if any (one object per row, as with the ORM)."""
        key = getattr(item, self._key)
        if key not in self._held:
            self._held[key] = (item, self.values(item))
        return self._held[key][0]

    def hold_row(self, row: Sequence[Any]) -> M:
        """:meth:`hold` the object of a row read with the table's columns, in their order."""
        return self.hold(self._model(**dict(zip(self.columns, row, strict=True))))

    def values(self, item: M) -> tuple[Any, ...]:
        """``item``'s values, in the table's order of columns."""
        return tuple(getattr(item, column) for column in self.columns)

    def forget(self, key: object) -> None:
        """The row is gone: nothing is to be written to it."""
        self._held.pop(key, None)

    async def save(self) -> None:
        """Write the columns that changed in the objects handed out (only those: a change
        another transaction made to the others stands, as with the ORM)."""
        for item, before in self._held.values():
            changed = tuple(
                column
                for column, was, now in zip(self.columns, before, self.values(item), strict=True)
                if now != was
            )
            if changed:
                values = {f"new_{column}": getattr(item, column) for column in changed}
                values["the_key"] = getattr(item, self._key)
                await direct.execute(self._session, _update(self._table, self._key, changed), values)
        self._held.clear()

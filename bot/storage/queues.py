"""The inbox and the outbox: what was received from Telegram and what is still to be sent.

An update is stored in the inbox before Telegram is told it arrived, and marked handled in the
same transaction as the state change it causes; the Bot API calls that report that change are
written to the outbox in that transaction too, and deleted once Telegram has answered them.
Both hold what residents wrote only until then: a handled update keeps its id alone (so that a
redelivery is recognised), and a sent call is gone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Executable,
    Index,
    Insert,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    null,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage import direct
from bot.storage.models import Base, UTCDateTime


class InboxUpdate(Base):
    """An update from Telegram. ``payload`` (its JSON) is emptied once it is handled."""

    __tablename__ = "inbox"
    __table_args__ = (
        Index("ix_inbox_line_update", "line", "update_id"),
        # The updates still to handle: the scan's every second (the handled ones are kept an hour).
        Index(
            "ix_inbox_waiting",
            "line",
            sqlite_where=text("handled_at IS NULL"),
            postgresql_where=text("handled_at IS NULL"),
        ),
    )

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    line: Mapped[int] = mapped_column(BigInteger)
    """Whose updates are handled in order: the user's id, else the chat's, else 0."""
    payload: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class OutboxCall(Base):
    """A Bot API call that an update caused, sent in ``id`` order within its line."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_line_id", "line", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(40))
    params: Mapped[str] = mapped_column(Text)
    file: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    keyboard: Mapped[bool] = mapped_column(Boolean, default=False)
    """A message whose buttons become the resident's live keyboard once it is sent."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class Received:
    """An update as the inbox stores it."""

    update_id: int
    line: int
    payload: str


@dataclass(frozen=True)
class Call:
    """A Bot API call to make: its method, JSON parameters and, for uploads, the file's bytes."""

    method: str
    params: dict[str, Any]
    file: bytes | None = None
    keyboard: bool = False
    """Sent, it is the resident's live keyboard (and the previous one loses its buttons)."""


@dataclass(frozen=True)
class Outgoing:
    """A call read back from the outbox."""

    id: int
    line: int
    call: Call
    created_at: datetime


_INBOX, _OUTBOX = cast(Table, InboxUpdate.__table__), cast(Table, OutboxCall.__table__)
# The statements of every update, built once (SQLAlchemy Core: no ORM state to keep, and a
# statement's cache key is computed once, not at each execution).
_HANDLED = (
    update(_INBOX)
    .where(_INBOX.c.update_id == bindparam("the_update"), _INBOX.c.handled_at.is_(None))
    .values(handled_at=bindparam("the_moment"), payload=None)
)
_STORE: dict[str, Executable] = {
    # Built once: one statement for a batch of updates all the same (SQLAlchemy's "insertmany
    # values"); one built for each batch, with its rows in it, cost more than storing them.
    name: dialect.insert(_INBOX).on_conflict_do_nothing().returning(_INBOX.c.update_id)
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_ADD: dict[str, tuple[Insert, Callable[[Iterable[int]], list[int]]]] = {
    # SQLite: one statement for all of an update's calls, whose ids come back in no set order.
    # Each new row's rowid is one more than the largest in the table, so they grow in the order
    # the rows are written, which is the order the line sends them in: sorted, they are the
    # calls' in turn. (``sort_by_parameter_order`` made it one statement per call there.)
    "sqlite": (insert(_OUTBOX).returning(_OUTBOX.c.id), sorted),
    # PostgreSQL: SQLAlchemy's own way, one statement too, the ids in the calls' order.
    "postgresql": (insert(_OUTBOX).returning(_OUTBOX.c.id, sort_by_parameter_order=True), list),
}
_WORK = union_all(
    select(
        literal_column("0").label("inbound"),
        _OUTBOX.c.id,
        _OUTBOX.c.method,
        _OUTBOX.c.params,
        _OUTBOX.c.file,
        _OUTBOX.c.keyboard,
        _OUTBOX.c.created_at,
    ).where(_OUTBOX.c.line == bindparam("the_line")),
    select(
        literal_column("1"),
        _INBOX.c.update_id,
        null().label("method"),
        _INBOX.c.payload,
        null().label("file"),
        null().label("keyboard"),
        null().label("created_at"),
    ).where(_INBOX.c.line == bindparam("the_line"), _INBOX.c.handled_at.is_(None)),
).order_by("inbound", "id")
"""A line's calls to send, then its updates to handle, each oldest first: one statement."""
_SENT = delete(_OUTBOX).where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)))


class InboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def store(self, updates: Sequence[Received], now: datetime) -> set[int]:
        """Store updates; one already there (a redelivery) is left as it is. The ids of those
        that were not."""
        if not updates:
            return set()
        rows = [
            {"update_id": u.update_id, "line": u.line, "payload": u.payload, "received_at": now}
            for u in updates
        ]
        stored = await direct.execute(self._session, _STORE[direct.dialect(self._session)], rows)
        return set(stored.scalars())

    async def mark_handled(self, update_id: int, now: datetime) -> bool:
        """Mark an update handled and forget its content; False if it already was."""
        done = await direct.execute(self._session, _HANDLED, {"the_update": update_id, "the_moment": now})
        return bool(done.rowcount)  # type: ignore[attr-defined]

    async def busy_lines(self) -> set[int]:
        """Lines with an update to handle or a call to send."""
        waiting = select(InboxUpdate.line).where(InboxUpdate.handled_at.is_(None))
        unsent = select(OutboxCall.line)
        rows = await self._session.execute(waiting.union(unsent))
        return set(rows.scalars())

    async def prune(self, handled_before: datetime) -> int:
        """Forget the ids of updates handled before ``handled_before`` (Telegram no longer
        redelivers them)."""
        handled = delete(InboxUpdate).where(
            InboxUpdate.received_at < handled_before,  # no later than handled: its index finds them
            InboxUpdate.handled_at < handled_before,
        )
        done = await self._session.execute(handled)
        return int(done.rowcount)  # type: ignore[attr-defined]

    async def count(self) -> tuple[int, int]:
        """How many updates wait, and how many handled ids are remembered."""
        waiting = func.count().filter(InboxUpdate.handled_at.is_(None))
        row = (await self._session.execute(select(waiting, func.count()))).one()
        return int(row[0]), int(row[1]) - int(row[0])

    async def forget_line(self, line: int) -> None:
        """Unlink a line's updates from it (``/forget``): handled ones keep their ids alone, so
        that a redelivery is still recognised."""
        await self._session.execute(update(InboxUpdate).where(InboxUpdate.line == line).values(line=0))


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, line: int, calls: Iterable[Call], now: datetime) -> list[Outgoing]:
        """Write calls to be sent after the commit, in the order given (one statement)."""
        calls = list(calls)
        if not calls:
            return []
        params = [json.dumps(c.params) for c in calls]
        rows = [
            {"line": line, "method": c.method, "params": text, "file": c.file, "keyboard": c.keyboard,
             "created_at": now}
            for c, text in zip(calls, params, strict=True)
        ]  # fmt: skip
        adding, in_order = _ADD[direct.dialect(self._session)]
        ids = in_order((await direct.execute(self._session, adding, rows)).scalars())
        # As read back after a restart: the parameters as JSON gives them.
        return [
            Outgoing(id, line, Call(c.method, json.loads(text), c.file, c.keyboard), now)
            for id, c, text in zip(ids, calls, params, strict=True)
        ]

    async def work(self, line: int) -> tuple[list[Outgoing], list[Received]]:
        """What the line has to do: the calls still to send, then the updates still to handle
        (in the inbox), oldest first."""
        unsent: list[Outgoing] = []
        waiting: list[Received] = []
        rows = await direct.execute(self._session, _WORK, {"the_line": line})
        for inbound, number, method, body, file, keyboard, created_at in rows:
            if inbound:  # an update, by its id
                waiting.append(Received(number, line, body or "{}"))
            else:  # a call, by its id
                call = Call(method, json.loads(body), file, keyboard)
                unsent.append(Outgoing(number, line, call, created_at))
        return unsent, waiting

    async def done(self, ids: Iterable[int]) -> None:
        """The calls were answered (or given up): they are not sent again."""
        await direct.execute(self._session, _SENT, {"ids": list(ids)})

    async def count(self) -> int:
        return int(await self._session.scalar(select(func.count()).select_from(OutboxCall)) or 0)

    async def forget_line(self, line: int) -> None:
        """Drop what was still to be sent to a line (``/forget``)."""
        await self._session.execute(delete(OutboxCall).where(OutboxCall.line == line))

"""Repository of broadcasts and their deliveries, with claims that are safe across processes."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, delete, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.storage.models import Broadcast, Delivery, Reminder, Resident, SenderLease

DRAFT = "draft"
SCHEDULED = "scheduled"
SENDING = "sending"
PAUSED = "paused"
DONE = "done"
CANCELLED = "cancelled"

PENDING = "pending"
CLAIMED = "claimed"
IN_FLIGHT = "sending"
SENT = "sent"
BLOCKED = "blocked"
FAILED = "failed"
UNFINISHED = (PENDING, CLAIMED, IN_FLIGHT)


@dataclass(frozen=True)
class Claimed:
    """A delivery reserved by this sender: where to send and in which language."""

    delivery_id: int
    chat_id: int
    language: str
    attempts: int
    reminder_id: int | None = None
    """Set for a reminder (see :mod:`bot.storage.reminders`)."""


class BroadcastRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def draft_of(self, author_id: int) -> Broadcast | None:
        query = select(Broadcast).where(Broadcast.author_id == author_id, Broadcast.state == DRAFT)
        return (await self._session.scalars(query.order_by(Broadcast.id.desc()).limit(1))).first()

    async def add(self, broadcast: Broadcast) -> Broadcast:
        self._session.add(broadcast)
        await self._session.flush()
        return broadcast

    async def get(self, broadcast_id: int, *, lock: bool = False) -> Broadcast | None:
        query = select(Broadcast).where(Broadcast.id == broadcast_id)
        if lock:
            query = query.with_for_update()
        return (await self._session.scalars(query)).one_or_none()

    async def recent(self, limit: int = 10) -> list[Broadcast]:
        query = (
            select(Broadcast)
            .where(Broadcast.state != DRAFT)
            .order_by(Broadcast.scheduled_at.is_(None), Broadcast.id.desc())
            .limit(limit)
        )
        return list((await self._session.scalars(query)).all())

    async def in_state(self, *states: str) -> list[Broadcast]:
        query = select(Broadcast).where(Broadcast.state.in_(states)).order_by(Broadcast.id)
        return list((await self._session.scalars(query)).all())

    async def due(self, now: datetime) -> list[Broadcast]:
        """Scheduled broadcasts whose time has come, locked so one process starts each."""
        query = (
            select(Broadcast)
            .where(Broadcast.state == SCHEDULED, Broadcast.scheduled_at <= now)
            .order_by(Broadcast.scheduled_at)
            .with_for_update(skip_locked=True)
        )
        return list((await self._session.scalars(query)).all())

    async def next_scheduled(self) -> datetime | None:
        query = select(func.min(Broadcast.scheduled_at)).where(Broadcast.state == SCHEDULED)
        return (await self._session.execute(query)).scalar()

    async def audience(self) -> dict[str, int]:
        """Subscribed residents per language."""
        query = (
            select(Resident.language, func.count())
            .where(Resident.subscribed.is_(True))
            .group_by(Resident.language)
        )
        return {str(language): int(count) for language, count in (await self._session.execute(query)).all()}

    async def write_recipients(self, broadcast: Broadcast) -> int:
        """One pending delivery per subscribed resident, in one statement."""
        chosen = select(
            literal(broadcast.id), Resident.id, Resident.language, literal(PENDING), literal(0)
        ).where(Resident.subscribed.is_(True))
        await self._session.execute(
            insert(Delivery).from_select(
                ["broadcast_id", "resident_id", "language", "state", "attempts"], chosen
            )
        )
        count = select(func.count()).where(Delivery.broadcast_id == broadcast.id)
        broadcast.total = int((await self._session.execute(count)).scalar_one())
        return broadcast.total

    async def claim(self, broadcast_id: int, sender: str, now: datetime, limit: int) -> list[Claimed]:
        """Reserve up to ``limit`` pending deliveries; other processes skip the locked rows."""
        ready = (
            select(Delivery.id)
            .where(
                Delivery.broadcast_id == broadcast_id,
                Delivery.state == PENDING,
                or_(Delivery.not_before.is_(None), Delivery.not_before <= now),
            )
            .order_by(Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list((await self._session.scalars(ready)).all())
        if not ids:
            return []
        await self._session.execute(
            update(Delivery).where(Delivery.id.in_(ids)).values(state=CLAIMED, sender=sender)
        )
        rows = await self._session.execute(
            select(Delivery.id, Resident.telegram_id, Delivery.language, Delivery.attempts)
            .join(Resident, Resident.id == Delivery.resident_id)
            .where(Delivery.id.in_(ids))
            .order_by(Delivery.id)
        )
        return [Claimed(*row) for row in rows.all()]

    async def release(self, broadcast_id: int, sender: str) -> None:
        """Give back what this sender claimed but did not start."""
        await self._session.execute(
            update(Delivery)
            .where(
                Delivery.broadcast_id == broadcast_id,
                Delivery.sender == sender,
                Delivery.state == CLAIMED,
            )
            .values(state=PENDING, sender=None)
        )

    async def cancel_unsent(self, broadcast_id: int) -> None:
        await self._session.execute(
            update(Delivery)
            .where(Delivery.broadcast_id == broadcast_id, Delivery.state.in_((PENDING, CLAIMED)))
            .values(state=CANCELLED, sender=None)
        )

    async def counts(self, broadcast_id: int) -> dict[str, int]:
        query = (
            select(Delivery.state, func.count())
            .where(Delivery.broadcast_id == broadcast_id)
            .group_by(Delivery.state)
        )
        return {str(state): int(count) for state, count in (await self._session.execute(query)).all()}

    async def failures(self, broadcast_id: int) -> dict[str, int]:
        query = (
            select(Delivery.error, func.count())
            .where(Delivery.broadcast_id == broadcast_id, Delivery.state == FAILED)
            .group_by(Delivery.error)
        )
        return {str(error): count for error, count in (await self._session.execute(query)).all()}

    async def renew_lease(self, sender: str, expires_at: datetime) -> None:
        lease = await self._session.get(SenderLease, sender)
        if lease is None:
            self._session.add(SenderLease(sender=sender, expires_at=expires_at))
        else:
            lease.expires_at = expires_at

    async def end_lease(self, sender: str) -> None:
        await self._session.execute(delete(SenderLease).where(SenderLease.sender == sender))

    async def recover(self, now: datetime) -> int:
        """Take back the deliveries of senders that died (lease expired or gone).

        A claimed delivery was never attempted: it is simply pending again. A delivery in
        flight may or may not have reached the resident: it is sent again (at most one
        such message per crashed sender, with a window of one).
        """
        live = select(SenderLease.sender).where(SenderLease.expires_at > now)
        orphaned = and_(
            Delivery.state.in_((CLAIMED, IN_FLIGHT)),
            or_(Delivery.sender.is_(None), Delivery.sender.not_in(live)),
        )
        result = await self._session.execute(
            update(Delivery).where(orphaned).values(state=PENDING, sender=None)
        )
        await self._session.execute(delete(SenderLease).where(SenderLease.expires_at <= now))
        return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Outcome:
    """What became of one delivery, written together with the start of the next ones."""

    delivery_id: int
    state: str
    attempts: int
    error: str | None = None
    sent_at: datetime | None = None
    not_before: datetime | None = None
    unsubscribe: int | None = None
    """The Telegram id of a resident who blocked the bot."""
    reminder_id: int | None = None
    """The reminder this delivery carries, if it is one: a sent one is recorded as reminded."""


_RECORD = (
    update(Delivery)
    .where(Delivery.id == bindparam("b_id"))
    .values(
        state=bindparam("b_state"),
        attempts=bindparam("b_attempts"),
        error=bindparam("b_error"),
        sent_at=bindparam("b_sent_at"),
        not_before=bindparam("b_not_before"),
        sender=None,
    )
)
_REMINDED = update(Reminder).where(Reminder.id == bindparam("r_id")).values(sent_at=bindparam("r_sent_at"))


class DeliveryLog:
    """The sender's write path, on one connection: one short transaction per group of messages.

    Each transaction records the outcomes of the group just sent and marks the next group as
    in flight; a group is as large as the sender's window, so at most that many deliveries
    can be in flight, with an unknown outcome, when a process dies.
    """

    def __init__(
        self, connection: AsyncConnection, writing: Callable[[], AbstractAsyncContextManager[None]]
    ) -> None:
        self._connection = connection
        self._writing = writing

    async def advance(self, done: list[Outcome], starting: list[int]) -> None:
        async with self._writing():
            await self._advance(done, starting)

    async def _advance(self, done: list[Outcome], starting: list[int]) -> None:
        run = self._connection.execute
        if done:
            await run(
                _RECORD,
                [
                    {"b_id": o.delivery_id, "b_state": o.state, "b_attempts": o.attempts, "b_error": o.error,
                     "b_sent_at": o.sent_at, "b_not_before": o.not_before}
                    for o in done
                ],
            )  # fmt: skip
            reminded = [
                {"r_id": o.reminder_id, "r_sent_at": o.sent_at}
                for o in done
                if o.reminder_id is not None and o.state == SENT
            ]
            if reminded:
                await run(_REMINDED, reminded)
            blocked = [o.unsubscribe for o in done if o.unsubscribe is not None]
            if blocked:
                await run(update(Resident).where(Resident.telegram_id.in_(blocked)).values(subscribed=False))
        if starting:
            await run(update(Delivery).where(Delivery.id.in_(starting)).values(state=IN_FLIGHT))
        await self._connection.commit()

    async def state_of(self, broadcast_id: int) -> str | None:
        state = await self._connection.scalar(select(Broadcast.state).where(Broadcast.id == broadcast_id))
        await self._connection.commit()
        return state

    async def announcing(self) -> bool:
        """Whether an announcement is being sent: reminders give way to it."""
        sending = await self._connection.scalar(
            select(Broadcast.id).where(Broadcast.state == SENDING).limit(1)
        )
        await self._connection.commit()
        return sending is not None

"""Repository of reminders: answers due for one, their deliveries (sent by the broadcast engine)
and what residents did after. Claims are safe across processes, as the broadcasts' are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.broadcasts import CANCELLED, CLAIMED, PENDING
from bot.storage.models import Delivery, DialogState, Reminder, Resident


@dataclass(frozen=True)
class Ready:
    """A reminder's delivery whose time has come, locked, with what deciding to send it needs."""

    delivery: Delivery
    reminder: Reminder
    resident: Resident
    state: DialogState | None


class ReminderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def due(self, now: datetime, limit: int) -> list[tuple[DialogState, Resident]]:
        """Answers in progress due for their reminder, locked so that one process takes each. A
        resident whose update is being handled (their row locked) is left for the next pass:
        the engine never waits for a resident's turn, so the two never wait for each other."""
        query = (
            select(DialogState, Resident)
            .join(Resident, Resident.id == DialogState.resident_id)
            .where(DialogState.remind_at <= now)
            .order_by(DialogState.remind_at)
            .limit(limit)
            .with_for_update(of=[DialogState, Resident], skip_locked=True)
        )
        return [(state, resident) for state, resident in (await self._session.execute(query)).all()]

    async def add(self, resident: Resident, state: DialogState, now: datetime, send_at: datetime) -> Reminder:
        """The reminder of the resident's answer in progress, and its delivery, pending until ``send_at``."""
        assert state.paradox_id is not None
        reminder = Reminder(
            resident_id=resident.id,
            paradox_id=state.paradox_id,
            version=state.version,
            left_at=state.updated_at,
            created_at=now,
        )
        self._session.add(reminder)
        await self._session.flush()
        self._session.add(
            Delivery(
                reminder_id=reminder.id,
                resident_id=resident.id,
                language=resident.language,
                state=PENDING,
                attempts=0,
                not_before=send_at,
            )
        )
        return reminder

    async def ready(self, now: datetime, limit: int) -> list[Ready]:
        """Up to ``limit`` pending reminder deliveries whose time has come, with their residents
        locked; other processes, and residents' turns under way, are skipped."""
        locked = (
            select(Delivery.id)
            .join(Resident, Resident.id == Delivery.resident_id)
            .where(
                Delivery.broadcast_id.is_(None),
                Delivery.state == PENDING,
                or_(Delivery.not_before.is_(None), Delivery.not_before <= now),
            )
            .order_by(Delivery.id)
            .limit(limit)
            .with_for_update(of=[Delivery, Resident], skip_locked=True)
        )
        ids = list((await self._session.scalars(locked)).all())
        if not ids:
            return []
        rows = await self._session.execute(
            select(Delivery, Reminder, Resident, DialogState)
            .join(Reminder, Reminder.id == Delivery.reminder_id)
            .join(Resident, Resident.id == Delivery.resident_id)
            .outerjoin(DialogState, DialogState.resident_id == Resident.id)
            .where(Delivery.id.in_(ids))
            .order_by(Delivery.id)
        )
        return [Ready(*row) for row in rows.all()]

    async def release(self, sender: str) -> None:
        """Give back the reminders this sender claimed but did not start."""
        await self._session.execute(
            update(Delivery)
            .where(Delivery.broadcast_id.is_(None), Delivery.sender == sender, Delivery.state == CLAIMED)
            .values(state=PENDING, sender=None)
        )

    async def withdraw(self, reminder_id: int) -> bool:
        """Cancel the reminder if it is still waiting to be sent; whether it was."""
        result = await self._session.execute(
            update(Delivery)
            .where(Delivery.reminder_id == reminder_id, Delivery.state == PENDING)
            .values(state=CANCELLED)
        )
        return bool(getattr(result, "rowcount", 0))

    async def resume(self, reminder_id: int, now: datetime) -> None:
        """The resident came back to the reminded answer."""
        await self._session.execute(
            update(Reminder)
            .where(Reminder.id == reminder_id, Reminder.resumed_at.is_(None))
            .values(resumed_at=now)
        )

    async def complete(self, reminder_id: int, now: datetime) -> None:
        """The resident confirmed the reminded answer (counted only if the reminder went out)."""
        await self._session.execute(
            update(Reminder)
            .where(Reminder.id == reminder_id, Reminder.sent_at.is_not(None))
            .values(completed_at=now, resumed_at=func.coalesce(Reminder.resumed_at, now))
        )

    async def owned(self, reminder_id: int, resident: Resident) -> Reminder | None:
        """The reminder, if it is this resident's."""
        query = select(Reminder).where(Reminder.id == reminder_id, Reminder.resident_id == resident.id)
        return (await self._session.scalars(query)).one_or_none()

    async def of(self, resident: Resident) -> list[Reminder]:
        """The resident's reminders that went out, oldest first."""
        query = (
            select(Reminder)
            .where(Reminder.resident_id == resident.id, Reminder.sent_at.is_not(None))
            .order_by(Reminder.id)
        )
        return list((await self._session.scalars(query)).all())

    async def unlink_all(self) -> None:
        """Cut every reminder's link to its resident (the retention purge)."""
        await self._session.execute(
            update(Reminder).where(Reminder.resident_id.is_not(None)).values(resident_id=None)
        )

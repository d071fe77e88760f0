"""Repositories: the only code that writes SQL. Services receive them inside a transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.broadcasts import BroadcastRepository
from bot.storage.models import Answer, AppSecret, DialogState, Resident
from bot.storage.queues import InboxRepository, OutboxRepository


class ResidentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def by_telegram_id(self, telegram_id: int) -> Resident | None:
        """The resident, row-locked until the transaction ends (on databases that lock rows)."""
        query = select(Resident).where(Resident.telegram_id == telegram_id).with_for_update()
        return (await self._session.scalars(query)).one_or_none()

    async def add(self, telegram_id: int, language: str, consent_version: str, now: datetime) -> Resident:
        resident = Resident(
            telegram_id=telegram_id,
            language=language,
            consent_version=consent_version,
            consented_at=now,
            subscribed=False,
            created_at=now,
        )
        self._session.add(resident)
        await self._session.flush()
        return resident

    async def language_of(self, telegram_id: int) -> str | None:
        """The language the resident chose, without locking anything; None for a stranger."""
        query = select(Resident.language).where(Resident.telegram_id == telegram_id)
        return (await self._session.scalars(query)).one_or_none()

    async def erase(self, resident: Resident) -> None:
        """Delete the resident: their dialog state and deliveries go with them, and their
        answers stay with no link to them (the foreign key is set to NULL)."""
        await self._session.execute(
            update(Answer).where(Answer.resident_id == resident.id).values(resident_id=None)
        )
        await self._session.delete(resident)
        await self._session.flush()


class DialogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def of(self, resident: Resident, now: datetime) -> DialogState:
        """The resident's dialog state, created idle at first use."""
        state = await self._session.get(DialogState, resident.id)
        if state is None:
            state = DialogState(
                resident_id=resident.id,
                version=0,
                step="idle",
                persona_page=0,
                ranking="",
                return_to_summary=False,
                updated_at=now,
            )
            self._session.add(state)
        return state

    async def show_keyboard(self, telegram_id: int, message_id: int) -> int | None:
        """Record ``message_id`` as the resident's live keyboard; the message it replaces, if any."""
        query = (
            select(DialogState)
            .join(Resident, Resident.id == DialogState.resident_id)
            .where(Resident.telegram_id == telegram_id)
            .with_for_update(of=DialogState)
        )
        state = (await self._session.scalars(query)).one_or_none()
        if state is None:
            return None
        previous, state.keyboard_message_id = state.keyboard_message_id, message_id
        return previous if previous != message_id else None

    async def delete_untouched_since(self, cutoff: datetime) -> int:
        """Delete the dialog states (and their drafts) nobody has used since ``cutoff``."""
        result = await self._session.execute(delete(DialogState).where(DialogState.updated_at < cutoff))
        return int(result.rowcount)  # type: ignore[attr-defined]


class AnswerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def of(self, resident: Resident) -> list[Answer]:
        """The resident's confirmed answers, most recent first."""
        query = (
            select(Answer)
            .where(Answer.resident_id == resident.id)
            .order_by(Answer.submitted_at.desc(), Answer.id.desc())
        )
        return list((await self._session.scalars(query)).all())

    async def unlink_all(self) -> int:
        """Cut every answer's link to its resident; the number of answers that had one."""
        result = await self._session.execute(
            update(Answer).where(Answer.resident_id.is_not(None)).values(resident_id=None)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def save(self, answer: Answer) -> Answer:
        """Store an answer, replacing the resident's earlier answer to the same paradox."""
        query = select(Answer).where(
            Answer.resident_id == answer.resident_id, Answer.paradox_id == answer.paradox_id
        )
        existing = (await self._session.scalars(query)).one_or_none()
        if existing is not None:
            for column in ("persona_id", "wish", "ranking", "language", "source"):
                setattr(existing, column, getattr(answer, column))
            existing.consent_version = answer.consent_version
            existing.submitted_at = answer.submitted_at
            answer = existing
        else:
            self._session.add(answer)
        await self._session.flush()
        return answer


class Repositories:
    """The repositories of one transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.residents = ResidentRepository(session)
        self.dialogs = DialogRepository(session)
        self.answers = AnswerRepository(session)
        self.broadcasts = BroadcastRepository(session)
        self.inbox = InboxRepository(session)
        self.outbox = OutboxRepository(session)


async def secret(session: AsyncSession, name: str, make: Callable[[], str]) -> str:
    """The secret called ``name``, created with ``make()`` the first time it is asked for."""
    existing = await session.get(AppSecret, name)
    if existing is not None:
        return existing.value
    try:
        async with session.begin_nested():
            session.add(AppSecret(name=name, value=make()))
    except IntegrityError:  # another process created it first
        pass
    stored = await session.get(AppSecret, name, populate_existing=True)
    assert stored is not None
    return stored.value


async def destroy_secret(session: AsyncSession, name: str) -> None:
    """Delete a secret: whatever was derived from it can no longer be recomputed."""
    await session.execute(delete(AppSecret).where(AppSecret.name == name))

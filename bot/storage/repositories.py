"""Repositories: the only code that writes SQL. Services receive them inside a transaction."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import direct
from bot.storage.broadcasts import BroadcastRepository
from bot.storage.deliberation import DeliberationRepository
from bot.storage.held import Held
from bot.storage.models import Answer, AppSecret, DialogState, Resident, Vote
from bot.storage.queues import InboxRepository, OutboxRepository
from bot.storage.reminders import ReminderRepository
from bot.storage.tallies import TallyRepository
from bot.storage.theme_counts import ThemeCountRepository


class ResidentRepository:
    """Residents are read as rows, and what changes in them is written when the transaction
    ends (see :mod:`bot.storage.held`)."""

    def __init__(self, session: AsyncSession, states: Held[DialogState]) -> None:
        self._session = session
        self.held = Held(session, Resident, "id")
        self._states = states

    async def by_telegram_id(self, telegram_id: int) -> Resident | None:
        """The resident, row-locked until the transaction ends (on databases that lock rows);
        the same object each time it is asked for in a transaction. Their dialog state is read
        in the same statement, for :meth:`DialogRepository.of`: on PostgreSQL, locked too, so
        that a statement that waited for the resident's lock reads the state as it is after the
        wait, not before (a resident with no state yet is read alone, in a second statement);
        on SQLite, whose writers take turns, without a lock."""
        values = {"telegram_id": telegram_id}
        dialect = direct.dialect(self._session)
        count = len(self.held.columns)
        row = (await direct.execute(self._session, _WITH_STATE[dialect], values)).one_or_none()
        if row is None and dialect == "postgresql":  # no resident, or no state of theirs yet
            row = (await direct.execute(self._session, _BY_TELEGRAM_ID, values)).one_or_none()
        elif row is not None and row[count] is not None:  # the state's first column, resident_id
            self._states.hold_row(row[count:])
        return None if row is None else self.held.hold_row(row[:count])

    async def add(self, telegram_id: int, language: str, consent_version: str, now: datetime) -> Resident:
        values = {
            "telegram_id": telegram_id,
            "language": language,
            "consent_version": consent_version,
            "consented_at": now,
            "subscribed": False,
            "created_at": now,
        }
        return self.held.hold_row((await direct.execute(self._session, _ADD_RESIDENT, values)).one())

    async def language_of(self, telegram_id: int) -> str | None:
        """The language the resident chose, without locking anything; None for a stranger."""
        query = select(Resident.language).where(Resident.telegram_id == telegram_id)
        return (await self._session.scalars(query)).one_or_none()

    async def erase(self, resident: Resident) -> None:
        """Delete the resident: their dialog state, deliveries and votes go with them, the wishes
        they shared are withdrawn, and their answers stay with no link to them."""
        deliberation = DeliberationRepository(self._session)
        await deliberation.withdraw_all(resident)
        await deliberation.forget_votes(resident)
        await AnswerRepository(self._session).unlink([resident.id])
        await self._session.execute(delete(Resident).where(Resident.id == resident.id))
        self.held.forget(resident.id)
        self._states.forget(resident.id)  # deleted with them


_STATES, _RESIDENTS = cast(Table, DialogState.__table__), cast(Table, Resident.__table__)
_ANSWERS = cast(Table, Answer.__table__)
# Built once: they run for every update, or every message sent with buttons.
_BY_TELEGRAM_ID = (
    select(_RESIDENTS).where(_RESIDENTS.c.telegram_id == bindparam("telegram_id")).with_for_update()
)
_WITH_STATE = {
    "sqlite": select(_RESIDENTS, _STATES)
    .outerjoin(_STATES, _STATES.c.resident_id == _RESIDENTS.c.id)
    .where(_RESIDENTS.c.telegram_id == bindparam("telegram_id")),
    "postgresql": select(_RESIDENTS, _STATES)  # no lock on an outer join's missing side
    .join(_STATES, _STATES.c.resident_id == _RESIDENTS.c.id)
    .where(_RESIDENTS.c.telegram_id == bindparam("telegram_id"))
    .with_for_update(of=[_RESIDENTS, _STATES]),
}
_ADD_RESIDENT = insert(_RESIDENTS).returning(*_RESIDENTS.c)
"""Only the values given: the others are the columns' defaults, as the database returns them."""
_LIVE_KEYBOARDS = (
    select(_RESIDENTS.c.telegram_id, _STATES.c.resident_id, _STATES.c.keyboard_message_id)
    .join(_RESIDENTS, _RESIDENTS.c.id == _STATES.c.resident_id)
    .where(_RESIDENTS.c.telegram_id.in_(bindparam("the_residents", expanding=True)))
    .with_for_update(of=_STATES)
)
_SHOW_KEYBOARD = (
    update(_STATES)
    .where(_STATES.c.resident_id == bindparam("the_state"))
    .values(keyboard_message_id=bindparam("the_message"))
)
_RECENT_ANSWERS = (
    select(_ANSWERS)
    .where(_ANSWERS.c.resident_id == bindparam("the_resident"))
    .order_by(_ANSWERS.c.submitted_at.desc(), _ANSWERS.c.id.desc())
)


_STATE_OF = select(_STATES).where(_STATES.c.resident_id == bindparam("the_resident"))
_ADD_STATE = insert(_STATES)


class DialogRepository:
    """Dialog states are read as rows and what changes in them is written when the transaction
    ends (see :mod:`bot.storage.held`)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.held = Held(session, DialogState, "resident_id")

    async def of(self, resident: Resident, now: datetime) -> DialogState:
        """The resident's dialog state, created idle at first use; the same object each time it
        is asked for in a transaction."""
        state = self.held.get(resident.id)
        if state is not None:
            return state
        row = (await direct.execute(self._session, _STATE_OF, {"the_resident": resident.id})).one_or_none()
        if row is not None:
            return self.held.hold_row(row)
        state = DialogState(resident_id=resident.id, version=0, step="idle", updated_at=now)
        values = dict(zip(self.held.columns, self.held.values(state), strict=True))
        await direct.execute(self._session, _ADD_STATE, [values])
        return self.held.hold(state)

    async def show_keyboards(self, shown: list[tuple[int, int]]) -> list[int | None]:
        """Record each ``(telegram id, message id)`` as that resident's live keyboard, in order;
        for each, the message it replaces, if any. Two statements, however many are shown.
        (In a transaction of its own: no dialog state of this session is to be kept in step.)"""
        if not shown:
            return []
        rows = await direct.execute(
            self._session, _LIVE_KEYBOARDS, {"the_residents": [line for line, _ in shown]}
        )
        live = {line: (state, previous) for line, state, previous in rows}
        replaced: list[int | None] = []
        changes: dict[int, int] = {}
        for line, message in shown:
            if line not in live or live[line][1] == message:
                replaced.append(None)
                continue
            state, previous = live[line]
            replaced.append(previous)
            live[line] = (state, message)
            changes[state] = message
        if changes:
            values = [{"the_state": state, "the_message": message} for state, message in changes.items()]
            await direct.execute(self._session, _SHOW_KEYBOARD, values)
        return replaced

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

    async def recent(self, resident: Resident) -> list[Row[Any]]:
        """The resident's confirmed answers as read-only rows (no ORM objects: this is read for
        every update), most recent first."""
        return list(await direct.execute(self._session, _RECENT_ANSWERS, {"the_resident": resident.id}))

    async def describe(self, resident: Resident, columns: dict[str, Any]) -> None:
        """Set what the resident said of themselves (their commune, their age band…) on their
        answers, where it stays once the resident is forgotten."""
        details = json.loads(columns.get("details") or "{}")
        for answer in await self.of(resident):
            for column, value in columns.items():
                if column != "details":
                    setattr(answer, column, value)
            if details:
                answer.details = json.dumps(json.loads(answer.details or "{}") | details, ensure_ascii=False)

    async def unlink_all(self) -> int:
        """Cut every answer's and vote's link to its resident; the number of answers that had one."""
        linked = Answer.resident_id.is_not(None)
        count = (await self._session.execute(select(func.count()).where(linked))).scalar_one()
        residents = (
            select(Answer.resident_id)
            .where(linked)
            .union(select(Vote.resident_id).where(Vote.resident_id.is_not(None)))
        )
        await self.unlink(list((await self._session.scalars(residents)).all()))
        return int(count)

    async def unlink(self, resident_ids: list[int | None]) -> None:
        """Cut these residents' answers and votes from them. Each resident's get a random number
        in common (negative, so never a resident's id), so that they still count as one
        respondent; the number is drawn here and kept nowhere else."""
        if not resident_ids:
            return
        keys = [{"resident": rid, "key": -1 - secrets.randbits(62)} for rid in resident_ids]
        for model in (Answer, Vote):
            table = cast(Table, model.__table__)  # Core: one UPDATE per resident, not per row
            query = (
                update(table)
                .where(table.c.resident_id == bindparam("resident"))
                .values(resident_id=None, respondent=bindparam("key"))
            )
            await self._session.execute(query, keys)

    async def save(self, answer: Answer) -> Answer:
        """Store an answer, replacing the resident's earlier answer to the same paradox."""
        query = select(Answer).where(
            Answer.resident_id == answer.resident_id, Answer.paradox_id == answer.paradox_id
        )
        existing = (await self._session.scalars(query)).one_or_none()
        if existing is not None:
            for column in Answer.__table__.columns.keys():  # noqa: SIM118 (names, not columns)
                if column not in ("id", "resident_id", "paradox_id"):
                    setattr(existing, column, getattr(answer, column))
            answer = existing
        else:
            self._session.add(answer)
        await self._session.flush()
        return answer


class Repositories:
    """The repositories of one transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialogs = DialogRepository(session)
        self.residents = ResidentRepository(session, self.dialogs.held)
        self.answers = AnswerRepository(session)
        self.broadcasts = BroadcastRepository(session)
        self.inbox = InboxRepository(session)
        self.outbox = OutboxRepository(session)
        self.deliberation = DeliberationRepository(session)
        self.reminders = ReminderRepository(session)
        self.tallies = TallyRepository(session)
        self.theme_counts = ThemeCountRepository(session)

    async def finish(self) -> None:
        """Write what this transaction changed outside the ORM (residents, dialog states):
        called just before it commits."""
        await self.residents.held.save()
        await self.dialogs.held.save()


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

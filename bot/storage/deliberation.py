"""Repository of shared wishes, their moderation and the votes residents cast on them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import direct
from bot.storage.models import Answer, Resident, SharedWish, Vote, WishExtremity

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
AGREE, DISAGREE, PASS = 1, -1, 0
ROWS_AT_ONCE = 500
"""Extremities written by one statement (SQLite takes at most 32,766 parameters in one)."""


@dataclass(frozen=True)
class Tally:
    """The votes a shared wish has received so far."""

    wish_id: int
    agree: int
    disagree: int
    passed: int
    extremity: float = 0.0
    """How far the wish separates opinions, as the last analysis found it (0: not analysed)."""

    @property
    def votes(self) -> int:
        return self.agree + self.disagree + self.passed


class DeliberationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def share(self, answer: Answer, now: datetime) -> SharedWish:
        """Offer the answer's wish for other residents to weigh, once staff approve it."""
        await self.withdraw(answer)
        wish = SharedWish(
            answer_id=answer.id,
            paradox_id=answer.paradox_id,
            persona_id=answer.persona_id,
            text=answer.wish,
            state=PENDING,
            shared_at=now,
        )
        self._session.add(wish)
        await self._session.flush()
        return wish

    async def withdraw(self, answer: Answer) -> None:
        """The answer's wish is no longer offered (votes already cast on it stay, anonymous)."""
        await self._session.execute(
            update(SharedWish)
            .where(SharedWish.answer_id == answer.id, SharedWish.state != WITHDRAWN)
            .values(state=WITHDRAWN, answer_id=None)
        )

    async def withdraw_all(self, resident: Resident) -> None:
        """Every wish the resident shared is withdrawn (``/forget``)."""
        theirs = select(Answer.id).where(Answer.resident_id == resident.id)
        await self._session.execute(
            update(SharedWish).where(SharedWish.answer_id.in_(theirs)).values(state=WITHDRAWN, answer_id=None)
        )

    async def shared(self, resident: Resident) -> dict[int, SharedWish]:
        """The resident's shared wishes still offered (or waiting), by answer id."""
        query = (
            select(SharedWish)
            .join(Answer, Answer.id == SharedWish.answer_id)
            .where(Answer.resident_id == resident.id, SharedWish.state != WITHDRAWN)
        )
        return {wish.answer_id: wish for wish in (await self._session.scalars(query)).all() if wish.answer_id}

    async def waiting(self) -> int:
        return int(
            (
                await self._session.execute(select(func.count()).where(SharedWish.state == PENDING))
            ).scalar_one()
        )

    async def claim(
        self, staff_id: int, now: datetime, lease: timedelta, after: int = 0
    ) -> SharedWish | None:
        """The next pending wish (after ``after``, then from the start) for this moderator, held
        for ``lease``: another moderator is not given it meanwhile."""
        free = or_(
            SharedWish.claimed_until.is_(None),
            SharedWish.claimed_until < now,
            SharedWish.claimed_by == staff_id,
        )
        for start in (after, 0):
            query = (
                select(SharedWish.id)
                .where(SharedWish.state == PENDING, SharedWish.id > start, free)
                .order_by(SharedWish.id)
                .limit(5)
            )
            for wish_id in (await self._session.scalars(query)).all():
                taken = await self._session.execute(
                    update(SharedWish)
                    .where(SharedWish.id == wish_id, SharedWish.state == PENDING, free)
                    .values(claimed_by=staff_id, claimed_until=now + lease)
                )
                if taken.rowcount:  # type: ignore[attr-defined]
                    return await self._session.get(SharedWish, wish_id, populate_existing=True)
        return None

    async def decide(
        self, wish_id: int, staff_id: int, state: str, reason: str | None, now: datetime
    ) -> bool:
        """Approve or reject a wish this moderator holds; False when it is no longer theirs."""
        done = await self._session.execute(
            update(SharedWish)
            .where(SharedWish.id == wish_id, SharedWish.state == PENDING, SharedWish.claimed_by == staff_id)
            .values(state=state, reason=reason, moderated_at=now, claimed_by=None, claimed_until=None)
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]

    async def release(self, wish_id: int, staff_id: int) -> None:
        await self._session.execute(
            update(SharedWish)
            .where(SharedWish.id == wish_id, SharedWish.claimed_by == staff_id)
            .values(claimed_by=None, claimed_until=None)
        )

    async def approved(self, wish_id: int | None) -> SharedWish | None:
        wish = await self._session.get(SharedWish, wish_id) if wish_id else None
        return wish if wish is not None and wish.state == APPROVED else None

    async def tallies(self, resident: Resident) -> list[Tally]:
        """The approved wishes the resident may still weigh — not theirs, not already voted —
        with their votes so far and their extremity at the last analysis."""
        theirs = select(Answer.id).where(Answer.resident_id == resident.id)
        seen = select(Vote.wish_id).where(Vote.resident_id == resident.id)
        agree, disagree, passed = (
            func.coalesce(func.sum(case((Vote.value == value, 1), else_=0)), 0).cast(Integer)
            for value in (AGREE, DISAGREE, PASS)
        )
        extremity = func.coalesce(func.max(WishExtremity.extremity), 0.0)
        query = (
            select(SharedWish.id, agree, disagree, passed, extremity)
            .outerjoin(Vote, Vote.wish_id == SharedWish.id)
            .outerjoin(WishExtremity, WishExtremity.wish_id == SharedWish.id)
            .where(
                SharedWish.state == APPROVED,
                or_(SharedWish.answer_id.is_(None), SharedWish.answer_id.not_in(theirs)),
                SharedWish.id.not_in(seen),
            )
            .group_by(SharedWish.id)
            .order_by(SharedWish.id)
        )
        return [
            Tally(wish, agree, disagree, passed, float(extremity))
            for wish, agree, disagree, passed, extremity in (await self._session.execute(query)).all()
        ]

    async def remember_extremity(self, extremity: Mapping[int, float], now: datetime) -> None:
        """Keep an analysis' extremity of each wish, for the dealer; the wishes that analysis did
        not see lose theirs. Two analyses writing at once end with the values of one of them."""
        dialect = postgresql if direct.dialect(self._session) == "postgresql" else sqlite
        rows = [{"wish_id": w, "extremity": value, "analysed_at": now} for w, value in extremity.items()]
        for start in range(0, len(rows), ROWS_AT_ONCE):
            insert = dialect.insert(WishExtremity).values(rows[start : start + ROWS_AT_ONCE])
            await self._session.execute(
                insert.on_conflict_do_update(
                    index_elements=[WishExtremity.wish_id],
                    set_={"extremity": insert.excluded.extremity, "analysed_at": insert.excluded.analysed_at},
                )
            )
        await self._session.execute(delete(WishExtremity).where(WishExtremity.analysed_at < now))

    async def extremities(self) -> dict[int, float]:
        """Each wish's extremity at the last analysis."""
        rows = await self._session.execute(select(WishExtremity.wish_id, WishExtremity.extremity))
        return {wish: float(value) for wish, value in rows.all()}

    async def vote(self, resident: Resident, wish_id: int, value: int, now: datetime) -> None:
        """Record the resident's vote on a wish, replacing the one they gave it before."""
        existing = (
            await self._session.scalars(
                select(Vote).where(Vote.wish_id == wish_id, Vote.resident_id == resident.id)
            )
        ).one_or_none()
        if existing is None:
            self._session.add(Vote(wish_id=wish_id, resident_id=resident.id, value=value, voted_at=now))
        else:
            existing.value, existing.voted_at = value, now
        await self._session.flush()

    async def vote_of(self, resident: Resident, wish_id: int) -> int | None:
        """The resident's vote on a wish, if they gave one."""
        query = select(Vote.value).where(Vote.wish_id == wish_id, Vote.resident_id == resident.id)
        return (await self._session.scalars(query)).one_or_none()

    async def votes(self, resident: Resident) -> list[tuple[Vote, SharedWish]]:
        """The resident's votes with the wishes they weighed, oldest first."""
        query = (
            select(Vote, SharedWish)
            .join(SharedWish, SharedWish.id == Vote.wish_id)
            .where(Vote.resident_id == resident.id)
            .order_by(Vote.voted_at, Vote.id)
        )
        return [(vote, wish) for vote, wish in (await self._session.execute(query)).all()]

    async def forget_votes(self, resident: Resident) -> None:
        await self._session.execute(delete(Vote).where(Vote.resident_id == resident.id))

"""Repository of the themes' counts: each theme's wishes and respondents from the last
computation of the themes over every confirmed answer, kept for ``/resultats``, which cannot
load the model that reads the wishes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Answer, ThemeCount


@dataclass(frozen=True)
class ThemeTally:
    """A theme's wishes and respondents in one computation of the themes."""

    theme_id: str
    label: str
    """As the codebook wrote it."""
    wishes: int
    respondents: int
    all_wishes: int
    """The wishes that computation read, of every theme or none."""

    @property
    def share(self) -> float:
        """The theme's share of the wishes (a wish may have two themes: shares add up to more
        than one)."""
        return self.wishes / self.all_wishes if self.all_wishes else 0.0


class ThemeCountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def replace(self, tallies: Sequence[ThemeTally], read: int, now: datetime) -> None:
        """Keep ``tallies`` instead of the last ones, if the computation they come from read
        ``read`` wishes and that is every confirmed answer (a computation over some of them —
        a paradox, a period — or one an answer has been added since is not the consultation's)."""
        if (await self._session.execute(select(func.count()).select_from(Answer))).scalar_one() != read:
            return
        await self._session.execute(delete(ThemeCount))
        if tallies:
            await self._session.execute(
                insert(ThemeCount),
                [{**asdict(tally), "computed_at": now} for tally in tallies],
            )

    async def most_frequent(self, least: int, count: int) -> list[ThemeTally]:
        """The ``count`` themes with the most respondents (then wishes, then by id) among those
        with at least ``least`` respondents, from the last computation kept."""
        query = (
            select(ThemeCount)
            .where(ThemeCount.respondents >= least)
            .order_by(ThemeCount.respondents.desc(), ThemeCount.wishes.desc(), ThemeCount.theme_id)
            .limit(count)
        )
        return [
            ThemeTally(row.theme_id, row.label, row.wishes, row.respondents, row.all_wishes)
            for row in (await self._session.scalars(query)).all()
        ]

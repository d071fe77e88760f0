"""The value rankings counted in SQL: how many answers gave each ranking, overall, by persona and by
territory, with how many respondents each group has, without reading the answers one by one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, func, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Answer

Ballot = tuple[str, ...]
"""A ranking of the values, most important first."""


def respondent() -> Any:
    """One respondent per resident, forgotten or not (an answer unlinked before forgotten
    residents kept a respondent number counts as its own)."""
    return func.coalesce(Answer.resident_id, Answer.respondent, literal(0) - Answer.id)


GroupKey = tuple[str, str]
"""A group of answers: ``("everyone", "")``, ``("persona", id)`` or ``("territory", id)``."""


@dataclass
class Tally:
    """The answers of one group: how many gave each ranking, and how many respondents they are."""

    respondents: int = 0
    rankings: dict[Ballot, int] = field(default_factory=dict)


Census = dict[GroupKey, Tally]
"""The answers ranking the current values, counted at one moment, by group."""


@dataclass(frozen=True)
class Counted:
    """One answer as the tallies count it: its ranking and the groups it falls in."""

    ballot: Ballot
    persona: str
    territory: str | None

    @property
    def groups(self) -> tuple[GroupKey, ...]:
        """Everyone, its persona's, and its territory's if it has one."""
        territory = (("territory", self.territory),) if self.territory is not None else ()
        return (("everyone", ""), ("persona", self.persona), *territory)


class TallyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def census(
        self, candidates: tuple[str, ...], persona: str | None = None, territory: str | None = None
    ) -> Census:
        """Every answer ranking exactly ``candidates`` (the current values), counted by ranking
        and group, with each group's respondents; only the answers of ``persona`` or
        ``territory`` when given.

        One statement (so one consistent view of the answers, on PostgreSQL too) returning at
        most one row per ranking, persona and territory, whatever the number of answers. An
        answer ranking other values (the values changed since) is left out, as the statistics
        leave it out: if there are any, they are known once counted, and the census is taken
        again without them.
        """
        scope = []
        if persona is not None:
            scope.append(Answer.persona_id == persona)
        if territory is not None:
            scope.append(Answer.territory == territory)
        wanted = sorted(candidates)
        excluded: list[str] = []
        while True:
            where = [*scope, Answer.ranking.not_in(excluded)] if excluded else scope
            with self._session.no_autoflush:  # the standings account for the resident's own changes
                rows = (await self._session.execute(_census(where))).all()
            rankings = {row.ranking for row in rows if row.part == "ranking"}
            other = sorted(ranking for ranking in rankings if sorted(ranking.split(",")) != wanted)
            if not other:
                return _gathered(rows)
            excluded += other

    async def answers_of(self, resident_id: int) -> list[Counted]:
        """The resident's answers as :meth:`census` counts them (whatever values they rank)."""
        query = select(Answer.ranking, Answer.persona_id, Answer.territory).where(
            Answer.resident_id == resident_id
        )
        rows = await self._session.execute(query)
        return [
            Counted(tuple(ranking.split(",")), persona, territory) for ranking, persona, territory in rows
        ]


def _census(where: Sequence[ColumnElement[bool]]) -> Select[Any]:
    """Rows (part, ranking, persona, territory, n): answers by ranking, persona and territory, then
    the respondents of everyone, of each persona and of each territory, in two rows each: the
    residents of linked answers, then the respondents of unlinked ones. Together they are
    :func:`respondent`'s distinct values (resident ids are positive, the others negative), but
    the first, the most, are counted on an index (``0010``), not by sorting the answers."""
    rankings = (
        select(
            literal("ranking").label("part"),
            Answer.ranking,
            Answer.persona_id,
            Answer.territory,
            func.count(),
        )
        .where(*where)
        .group_by(Answer.ranking, Answer.persona_id, Answer.territory)
    )
    linked = func.count(func.distinct(Answer.resident_id))
    unlinked = func.count(func.distinct(func.coalesce(Answer.respondent, literal(0) - Answer.id)))
    parts: list[Select[*tuple[Any, ...]]] = [rankings]
    for part, column in (("everyone", None), ("persona", Answer.persona_id), ("territory", Answer.territory)):
        persona = Answer.persona_id if column is Answer.persona_id else null()
        territory = Answer.territory if column is Answer.territory else null()
        for count, only in ((linked, []), (unlinked, [Answer.resident_id.is_(None)])):
            counted = select(literal(part), null(), persona, territory, count).where(*where, *only)
            parts.append(counted.group_by(column) if column is not None else counted)
    union: CompoundSelect[*tuple[Any, ...]] = union_all(*parts)
    return select(union.subquery())


def _gathered(rows: Sequence[Any]) -> Census:
    census: Census = {}
    ballots: dict[str, Ballot] = {}
    for part, ranking, persona, territory, n in rows:
        if part == "ranking":
            ballot = ballots.get(ranking) or ballots.setdefault(ranking, tuple(ranking.split(",")))
            for group in Counted(ballot, persona, territory).groups:
                tally = census.setdefault(group, Tally())
                tally.rankings[ballot] = tally.rankings.get(ballot, 0) + n
            continue
        key = {"everyone": "", "persona": persona, "territory": territory}[part]
        if key is not None:  # answers with no territory are in no territory's group
            census.setdefault((part, key), Tally()).respondents += n
    return census

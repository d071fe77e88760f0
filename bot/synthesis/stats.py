"""The headline figures of the consultation, for the synthesis team.

Participation (per paradox, per day, per source), the personas chosen, and the value ranking
aggregated three ways (Borda, first places, Schulze) overall, per persona and per paradox.
In every breakdown, a group of fewer than :data:`SMALL_GROUP` respondents is suppressed, so
that no figure can point at a handful of people.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from bot.clock import PARIS
from bot.content import Content
from bot.i18n import Translator
from bot.personas import NO_PERSONA
from bot.storage import Answer, Database
from bot.synthesis.export import ExportFilter
from bot.synthesis.ranking import Aggregate, Ranking, aggregate_counts

SMALL_GROUP = 5
"""Groups with fewer respondents than this are shown as « < 5 »."""
SUPPRESSED = f"< {SMALL_GROUP}"
"""What a suppressed figure shows instead of the number, in every language."""


@dataclass
class _Group:
    respondents: set[int] = field(default_factory=set)
    answers: int = 0
    ballots: Counter[tuple[str, ...]] = field(default_factory=Counter)

    def add(self, respondent: int, ballot: tuple[str, ...]) -> None:
        self.respondents.add(respondent)
        self.answers += 1
        self.ballots[ballot] += 1


@dataclass(frozen=True)
class Breakdown:
    """One group of a breakdown: its key, its size, and the figures unless suppressed."""

    key: str
    respondents: int
    answers: int
    ranking: Aggregate | None

    @property
    def suppressed(self) -> bool:
        return self.respondents < SMALL_GROUP


@dataclass(frozen=True)
class Stats:
    respondents: int
    answers: int
    overall: Aggregate | None
    per_paradox: list[Breakdown]
    per_persona: list[Breakdown]
    per_day: list[Breakdown]
    per_source: list[Breakdown]


def _breakdowns(
    groups: dict[str, _Group], order: Iterable[str], candidates: tuple[str, ...]
) -> list[Breakdown]:
    result = []
    for key in order:
        group = groups.get(key, _Group())
        size = len(group.respondents)
        ranking = aggregate_counts(candidates, group.ballots) if size >= SMALL_GROUP else None
        result.append(Breakdown(key, size, group.answers, ranking))
    return result


async def compute(database: Database, content: Content, where: ExportFilter | None = None) -> Stats:
    """Read every matching answer once and compute all the figures."""
    candidates = tuple(value.id for value in content.values)
    everyone = _Group()
    by: dict[str, dict[str, _Group]] = {
        name: defaultdict(_Group) for name in ("paradox", "persona", "day", "source")
    }
    columns = (
        Answer.id,
        Answer.resident_id,
        Answer.paradox_id,
        Answer.persona_id,
        Answer.ranking,
        Answer.submitted_at,
        Answer.source,
    )
    query = (where or ExportFilter()).apply(select(*columns)).execution_options(yield_per=5000)
    async with database.session() as session:
        async for (
            answer_id,
            resident_id,
            paradox,
            persona,
            ranking,
            submitted,
            source,
        ) in await session.stream(query):
            respondent = resident_id if resident_id is not None else -answer_id  # anonymised: one each
            ballot = tuple(ranking.split(","))
            if sorted(ballot) != sorted(candidates):
                continue  # the values changed since this answer: it cannot be ranked with the others
            everyone.add(respondent, ballot)
            by["paradox"][paradox].add(respondent, ballot)
            by["persona"][persona].add(respondent, ballot)
            by["day"][submitted.astimezone(PARIS).date().isoformat()].add(respondent, ballot)
            by["source"][source or ""].add(respondent, ballot)
    size = len(everyone.respondents)
    return Stats(
        respondents=size,
        answers=everyone.answers,
        overall=aggregate_counts(candidates, everyone.ballots) if size >= SMALL_GROUP else None,
        per_paradox=_breakdowns(by["paradox"], [p.id for p in content.paradoxes], candidates),
        per_persona=_breakdowns(by["persona"], [*(p.id for p in content.personas), NO_PERSONA], candidates),
        per_day=_breakdowns(by["day"], sorted(by["day"]), candidates),
        per_source=_breakdowns(
            by["source"], sorted(by["source"], key=lambda s: (-by["source"][s].answers, s)), candidates
        ),
    )


@dataclass(frozen=True)
class Table:
    """A titled table of text cells: what every rendering (chat, terminal, HTML) shows."""

    title: str
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]]
    note: str = ""


def _count(t: Translator, group: Breakdown) -> str:
    return SUPPRESSED if group.suppressed else t.number(group.answers)


def _order(t: Translator, content: Content, ranking: Ranking) -> str:
    def name(value_id: str) -> str:
        value = content.value(value_id)
        return t.content(value.name) if value else value_id

    return " > ".join(" = ".join(name(v) for v in tier) for tier in ranking)


def _pair(t: Translator, ranking: Aggregate, a: str, b: str) -> str:
    return "—" if a == b else t.number(ranking.pairwise[a][b])


def _position(ranking: Ranking, value_id: str) -> str:
    place = 1
    for tier in ranking:
        if value_id in tier:
            return f"={place}" if len(tier) > 1 else str(place)
        place += len(tier)
    return ""


def tables(stats: Stats, content: Content, t: Translator) -> list[Table]:
    """The figures as tables, labelled in the reader's language."""
    paradox_names = {p.id: f"{i}. {t.content(p.title)}" for i, p in enumerate(content.paradoxes, start=1)}
    persona_names = {p.id: t.content(p.name) for p in content.personas} | {
        NO_PERSONA: t._("Aucun d’entre eux")
    }
    answers = t._("Réponses")
    result = [
        Table(
            t._("Participation"),
            (t._("Résidents ayant répondu"), t._("Réponses confirmées")),
            [(t.number(stats.respondents), t.number(stats.answers))],
        ),
        Table(t._("Réponses par paradoxe"), (t._("Paradoxe"), answers),
              [(paradox_names.get(g.key, g.key), _count(t, g)) for g in stats.per_paradox]),
        Table(t._("Réponses par jour"), (t._("Jour"), answers),
              [(t.date(date.fromisoformat(g.key)), _count(t, g)) for g in stats.per_day]),
        Table(t._("Réponses par source"), (t._("Source"), answers),
              [(g.key or t._("(directe)"), _count(t, g)) for g in stats.per_source]),
        Table(t._("Habitants choisis"), (t._("Habitant"), answers),
              [(persona_names.get(g.key, g.key), _count(t, g)) for g in stats.per_persona]),
    ]  # fmt: skip
    overall = stats.overall
    note = t._("Les groupes de moins de {n} répondants ne sont pas détaillés.", n=SMALL_GROUP)
    if overall is None:
        result.append(Table(t._("Classement des valeurs"), (), [], note))
        return result
    winner = content.value(overall.condorcet_winner or "")
    condorcet = (
        t._("Gagnant de Condorcet : {value}.", value=t.content(winner.name))
        if winner
        else t._("Pas de gagnant de Condorcet : les préférences forment un cycle.")
        if overall.has_condorcet_cycle
        else t._("Pas de gagnant de Condorcet.")
    )
    result.append(
        Table(
            t._("Classement des valeurs, ensemble des réponses"),
            (t._("Valeur"), t._("Points Borda"), t._("Rang Borda"), t._("1res places"), t._("Rang Schulze")),
            [
                (
                    t.content(value.name),
                    t.number(overall.borda[value.id]),
                    _position(overall.borda_ranking, value.id),
                    t.number(overall.first_places[value.id]),
                    _position(overall.schulze_ranking, value.id),
                )
                for value in content.values
            ],
            condorcet,
        )
    )
    names = [t.content(value.name) for value in content.values]
    result.append(
        Table(
            t._("Préférences deux à deux (ligne préférée à colonne, nombre de réponses)"),
            ("", *names),
            [
                (
                    names[i],
                    *(("—" if a == b else t.number(overall.pairwise[a.id][b.id])) for b in content.values),
                )
                for i, a in enumerate(content.values)
            ],
        )
    )
    for title, groups, labels in (
        (t._("Classement des valeurs par habitant choisi"), stats.per_persona, persona_names),
        (t._("Classement des valeurs par paradoxe"), stats.per_paradox, paradox_names),
    ):
        result.append(
            Table(
                title,
                ("", t._("Répondants"), t._("Borda"), t._("Schulze")),
                [
                    (
                        labels.get(g.key, g.key),
                        SUPPRESSED if g.suppressed else t.number(g.respondents),
                        "—" if g.ranking is None else _order(t, content, g.ranking.borda_ranking),
                        "—" if g.ranking is None else _order(t, content, g.ranking.schulze_ranking),
                    )
                    for g in groups
                ],
                note,
            )
        )
    return result


def as_text(table: Table) -> str:
    """A table as aligned plain text, for a terminal or a monospace block."""
    lines = [table.title]
    if table.headers:
        grid = [table.headers, *table.rows]
        widths = [max(len(row[i]) for row in grid) for i in range(len(table.headers))]
        for index, row in enumerate(grid):
            lines.append(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )
            if index == 0:
                lines.append("  ".join("-" * width for width in widths))
    if table.note:
        lines.append(table.note)
    return "\n".join(lines)

"""The headline figures of the consultation, for the synthesis team.

Participation (per paradox, per day, per source), one breakdown per declared question's
breakdown (the personas chosen, the territories, the age bands), how representative the
respondents are of the population, and the value ranking aggregated three ways (Borda, first
places, Schulze) overall — also weighted by territory — per persona and per paradox. In every
breakdown, a group of fewer than :data:`SMALL_GROUP` respondents is suppressed, so that no
figure can point at a handful of people.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from bot.clock import PARIS
from bot.content import Content
from bot.dialogs.question import Breakdown as Declared
from bot.dialogs.question import Question, Reader
from bot.dialogs.questions import QUESTIONS
from bot.i18n import I18n, Translator
from bot.places import OUTSIDE, Places, load_places
from bot.storage import Answer, Database
from bot.synthesis.export import SMALL_GROUP, ExportFilter, respondent
from bot.synthesis.ranking import Aggregate, Ranking, WeightedAggregate, aggregate_counts, aggregate_weighted
from bot.synthesis.representativeness import Representativeness, representativeness
from bot.synthesis.weighting import PostStratification, post_stratification, weighted_ballots

NOT_SAID = ""
"""The group of respondents who did not answer a question."""
WEIGHTED_BY = "territory"
"""The breakdown the weighted ranking corrects for."""
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
class Weighted:
    """The value ranking weighted by territory (post-stratification), and how."""

    ranking: WeightedAggregate
    weighting: PostStratification


@dataclass(frozen=True)
class Stats:
    respondents: int
    answers: int
    overall: Aggregate | None
    per_paradox: list[Breakdown]
    per_day: list[Breakdown]
    per_source: list[Breakdown]
    declared: dict[str, list[Breakdown]]
    """The declared questions' breakdowns, by id (``persona``, ``territory``, ``age``)."""
    represented: dict[str, Representativeness]
    """For breakdowns with a known population: respondents next to the population."""
    weighted: Weighted | None

    @property
    def per_persona(self) -> list[Breakdown]:
        return self.declared.get("persona", [])


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


async def compute(
    database: Database,
    content: Content,
    where: ExportFilter | None = None,
    questions: Sequence[Question] = QUESTIONS,
    places: Places | None = None,
) -> Stats:
    """Read every matching answer once and compute all the figures."""
    places = places or load_places()
    candidates = tuple(value.id for value in content.values)
    declared = [(q, b) for q in questions for b in q.breakdowns]
    everyone = _Group()
    by: dict[str, dict[str, _Group]] = {
        name: defaultdict(_Group) for name in ("paradox", "day", "source", *(b.id for _, b in declared))
    }
    columns = select(Answer.__table__, respondent().label("who"))
    query = (where or ExportFilter()).apply(columns).execution_options(yield_per=5000)
    async with database.session() as session:
        async for answer in await session.stream(query):
            who = answer.who
            ballot = tuple(answer.ranking.split(","))
            if sorted(ballot) != sorted(candidates):
                continue  # the values changed since this answer: it cannot be ranked with the others
            everyone.add(who, ballot)
            by["paradox"][answer.paradox_id].add(who, ballot)
            by["day"][answer.submitted_at.astimezone(PARIS).date().isoformat()].add(who, ballot)
            by["source"][answer.source or ""].add(who, ballot)
            for question, breakdown in declared:
                value = question.restored(answer)
                key = breakdown.key(value) if value is not None else None
                by[breakdown.id][NOT_SAID if key is None else key].add(who, ballot)
    size = len(everyone.respondents)
    reader = Reader(I18n("fr")("fr"), content, places)
    groups = {b.id: _keys(b, reader, by[b.id]) for _, b in declared}
    represented = {
        b.id: representativeness(
            {key: len(by[b.id][key].respondents) for key in groups[b.id]},
            b.population(places),
            unknown=[key for key in groups[b.id] if key not in b.population(places)],
        )
        for _, b in declared
        if b.population is not None
    }
    overall = aggregate_counts(candidates, everyone.ballots) if size >= SMALL_GROUP else None
    return Stats(
        respondents=size,
        answers=everyone.answers,
        overall=overall,
        per_paradox=_breakdowns(by["paradox"], [p.id for p in content.paradoxes], candidates),
        per_day=_breakdowns(by["day"], sorted(by["day"]), candidates),
        per_source=_breakdowns(
            by["source"], sorted(by["source"], key=lambda s: (-by["source"][s].answers, s)), candidates
        ),
        declared={b.id: _breakdowns(by[b.id], groups[b.id], candidates) for _, b in declared},
        represented=represented,
        weighted=_weighted(candidates, declared, by, places) if overall is not None else None,
    )


def _keys(breakdown: Declared, reader: Reader, seen: dict[str, _Group]) -> list[str]:
    """The breakdown's groups in their declared order, then « outside » and « not said »."""
    keys = [key for key, _ in breakdown.groups(reader)]
    return [*keys, *(key for key in (OUTSIDE, NOT_SAID) if key in seen and key not in keys)]


def _weighted(
    candidates: tuple[str, ...],
    declared: list[tuple[Question, Declared]],
    by: dict[str, dict[str, _Group]],
    places: Places,
) -> Weighted | None:
    breakdown = next((b for _, b in declared if b.id == WEIGHTED_BY and b.population), None)
    if breakdown is None or breakdown.population is None:
        return None
    groups = by[breakdown.id]
    population = breakdown.population(places)
    weighting = post_stratification(
        {key: len(group.respondents) for key, group in groups.items()},
        population,
        unknown=[key for key in groups if key not in population],
    )
    ballots = weighted_ballots({key: group.ballots for key, group in groups.items()}, weighting.weights)
    return Weighted(aggregate_weighted(candidates, ballots), weighting)


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


def _labels(t: Translator, content: Content, questions: Sequence[Question], places: Places) -> dict[str, str]:
    reader = Reader(t, content, places)
    labels = {OUTSIDE: t._("Hors de la métropole"), NOT_SAID: t._("Non renseigné")}
    for question in questions:
        for breakdown in question.breakdowns:
            labels |= dict(breakdown.groups(reader))
    return labels


def _share(t: Translator, share: float | None) -> str:
    return "—" if share is None else t.percent(share)


def _represented(t: Translator, title: str, table: Representativeness, labels: dict[str, str]) -> Table:
    """Respondents next to the population, group by group, under-represented ones flagged."""
    rows: list[tuple[str, ...]] = [
        (
            labels.get(row.group, row.group),
            SUPPRESSED if row.suppressed else t.number(row.respondents or 0),
            _share(t, row.sample_share),
            _share(t, row.population_share),
            "—" if row.ratio is None else t.decimal(row.ratio),
            "⚠" if row.under_represented else "",
        )
        for row in table.rows
    ]
    for count in table.unknown:
        shown = SUPPRESSED if count.suppressed else t.number(count.respondents or 0)
        rows.append((labels.get(count.group, count.group), shown, "", "", "", ""))
    headers = (
        "", t._("Répondants"), t._("Part des répondants"), t._("Part de la population"), t._("Ratio"), ""
    )  # fmt: skip
    note = t._(
        "⚠ : groupe sous-représenté de plus de moitié (ratio inférieur à 0,5). Les parts sont "
        "calculées parmi les répondants qui ont indiqué leur groupe."
    )
    return Table(title, headers, rows, note)


def _weighted_table(t: Translator, content: Content, stats: Stats, labels: dict[str, str]) -> Table | None:
    if stats.weighted is None or stats.overall is None:
        return None
    weighted, overall = stats.weighted.ranking, stats.overall
    rows: list[tuple[str, ...]] = [
        (
            t.content(value.name),
            _position(overall.borda_ranking, value.id),
            _position(weighted.borda_ranking, value.id),
            _position(overall.schulze_ranking, value.id),
            _position(weighted.schulze_ranking, value.id),
        )
        for value in content.values
    ]
    note = t._(
        "Pondéré : chaque répondant compte selon la part de son territoire dans la population "
        "(post-stratification) ; ceux qui n’ont pas dit leur commune ou vivent hors de la "
        "métropole comptent pour un."
    )
    missing = stats.weighted.weighting.missing
    if missing:
        note += " " + t._(
            "Aucun répondant de : {groups} ; la pondération ne peut pas le corriger.",
            groups=", ".join(labels.get(group, group) for group in missing),
        )
    headers = (
        t._("Valeur"), t._("Rang Borda"), t._("Rang Borda pondéré"), t._("Rang Schulze"),
        t._("Rang Schulze pondéré"),
    )  # fmt: skip
    return Table(t._("Classement des valeurs, brut et pondéré par territoire"), headers, rows, note)


def tables(
    stats: Stats,
    content: Content,
    t: Translator,
    questions: Sequence[Question] = QUESTIONS,
    places: Places | None = None,
) -> list[Table]:
    """The figures as tables, labelled in the reader's language."""
    places = places or load_places()
    paradox_names = {p.id: f"{i}. {t.content(p.title)}" for i, p in enumerate(content.paradoxes, start=1)}
    labels = _labels(t, content, questions, places)
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
              [(labels.get(g.key, g.key), _count(t, g)) for g in stats.per_persona]),
    ]  # fmt: skip
    for question in questions:
        for breakdown in question.breakdowns:
            if breakdown.id in stats.represented:
                result.append(_represented(t, t._(breakdown.title), stats.represented[breakdown.id], labels))
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
    weighted = _weighted_table(t, content, stats, labels)
    if weighted is not None:
        result.append(weighted)
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
    for title, groups, names_of in (
        (t._("Classement des valeurs par habitant choisi"), stats.per_persona, labels),
        (t._("Classement des valeurs par paradoxe"), stats.per_paradox, paradox_names),
    ):
        result.append(
            Table(
                title,
                ("", t._("Répondants"), t._("Borda"), t._("Schulze")),
                [
                    (
                        names_of.get(g.key, g.key),
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

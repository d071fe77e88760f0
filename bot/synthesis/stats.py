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
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from bot.clock import PARIS
from bot.content import Content
from bot.dialogs.question import Breakdown as Declared
from bot.dialogs.question import Question, Reader
from bot.dialogs.questions import QUESTIONS
from bot.i18n import I18n, Translator
from bot.places import OUTSIDE, Places, load_places
from bot.storage import Answer, Database
from bot.synthesis import deliberation
from bot.synthesis.deliberation import Deliberation
from bot.synthesis.export import BATCH, SMALL_GROUP, ExportFilter, respondent
from bot.synthesis.export import SUPPRESSED as SUPPRESSED
from bot.synthesis.ranking import Aggregate, Ranking, WeightedAggregate, aggregate_counts, aggregate_weighted
from bot.synthesis.reminders import ReminderOutcomes, reminder_outcomes
from bot.synthesis.representativeness import Representativeness, representativeness
from bot.synthesis.weighting import PostStratification, post_stratification, weighted_ballots

NOT_SAID = ""
"""The group of respondents who did not answer a question."""
WEIGHTED_BY = "territory"
"""The breakdown the weighted ranking corrects for."""
"""What a suppressed figure shows instead of the number, in every language."""


@dataclass
class _Group:
    """Answers read in respondent order: a respondent is counted when their first answer in
    the group comes, so that no group keeps the set of its respondents (millions of entries)."""

    respondents: int = 0
    answers: int = 0
    ballots: Counter[tuple[str, ...]] = field(default_factory=Counter)
    last: int | None = None

    def add(self, respondent: int, ballot: tuple[str, ...]) -> None:
        if respondent != self.last:
            self.respondents += 1
            self.last = respondent
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
    deliberation: Deliberation
    """Residents' votes on each other's published wishes, and the opinion groups."""
    reminders: ReminderOutcomes = field(default_factory=ReminderOutcomes)
    """What became of the reminders of unfinished answers."""

    @property
    def per_persona(self) -> list[Breakdown]:
        return self.declared.get("persona", [])


def _breakdowns(
    groups: dict[str, _Group], order: Iterable[str], candidates: tuple[str, ...]
) -> list[Breakdown]:
    result = []
    for key in order:
        group = groups.get(key, _Group())
        size = group.respondents
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
    ranked = sorted(candidates)
    days: dict[datetime, str] = {}  # the Paris day of each hour of answers, looked up once
    async for answer in _answers(database, where or ExportFilter()):
        who = answer.who
        ballot = tuple(answer.ranking.split(","))
        if sorted(ballot) != ranked:
            continue  # the values changed since this answer: it cannot be ranked with the others
        everyone.add(who, ballot)
        by["paradox"][answer.paradox_id].add(who, ballot)
        hour = answer.submitted_at.replace(minute=0, second=0, microsecond=0)
        day = days.get(hour)
        if day is None:
            day = days[hour] = hour.astimezone(PARIS).date().isoformat()
        by["day"][day].add(who, ballot)
        by["source"][answer.source or ""].add(who, ballot)
        for question, breakdown in declared:
            value = question.restored(answer)
            key = breakdown.key(value) if value is not None else None
            by[breakdown.id][NOT_SAID if key is None else key].add(who, ballot)
    size = everyone.respondents
    reader = Reader(I18n("fr")("fr"), content, places)
    groups = {b.id: _keys(b, reader, by[b.id]) for _, b in declared}
    populations = {b.id: b.population(places) for _, b in declared if b.population is not None}
    represented = {
        split: representativeness(
            {key: by[split][key].respondents for key in groups[split]},
            population,
            unknown=[key for key in groups[split] if key not in population],
        )
        for split, population in populations.items()
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
        weighted=_weighted(candidates, by, populations) if overall is not None else None,
        deliberation=await deliberation.deliberation(database),
        reminders=await reminder_outcomes(database),
    )


async def _answers(database: Database, where: ExportFilter) -> AsyncIterator[Any]:
    """The matching answers, each respondent's together (what :class:`_Group` counts on)."""
    who = respondent()
    query = where.apply(select(Answer.__table__, who.label("who"))).order_by(who)
    async with database.reading() as session:
        result = await session.stream(query.execution_options(yield_per=BATCH))
        async for partition in result.partitions():
            for answer in partition:
                yield answer


def _keys(breakdown: Declared, reader: Reader, seen: dict[str, _Group]) -> list[str]:
    """The breakdown's groups in their declared order, then « outside » and « not said »."""
    keys = [key for key, _ in breakdown.groups(reader)]
    return [*keys, *(key for key in (OUTSIDE, NOT_SAID) if key in seen and key not in keys)]


def _weighted(
    candidates: tuple[str, ...], by: dict[str, dict[str, _Group]], populations: dict[str, Mapping[str, float]]
) -> Weighted | None:
    population = populations.get(WEIGHTED_BY)
    if population is None:
        return None
    groups = by[WEIGHTED_BY]
    weighting = post_stratification(
        {key: group.respondents for key, group in groups.items()},
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


def _part(t: Translator, group: Breakdown, total: int) -> str:
    """The group's share of the answers; « — » when its count is suppressed (it would give it)."""
    return "—" if group.suppressed or not total else t.percent(group.answers / total)


def _name(t: Translator, content: Content, value_id: str) -> str:
    value = content.value(value_id)
    return t.content(value.name) if value else value_id


def _order(t: Translator, content: Content, ranking: Ranking) -> str:
    return " > ".join(" = ".join(_name(t, content, v) for v in tier) for tier in ranking)


def _position(ranking: Ranking, value_id: str) -> str:
    place = 1
    for tier in ranking:
        if value_id in tier:
            return f"={place}" if len(tier) > 1 else str(place)
        place += len(tier)
    return ""


def ranked_values(content: Content, stats: Stats) -> list[str]:
    """The value ids, best first by the overall Borda count (content order without a ranking)."""
    if stats.overall is None:
        return [value.id for value in content.values]
    return [value for tier in stats.overall.borda_ranking for value in tier]


def _labels(t: Translator, content: Content, questions: Sequence[Question], places: Places) -> dict[str, str]:
    reader = Reader(t, content, places)
    labels = {OUTSIDE: t._("Hors de la métropole"), NOT_SAID: t._("Non renseigné")}
    for question in questions:
        for breakdown in question.breakdowns:
            labels |= dict(breakdown.groups(reader))
    return labels


def group_labels(
    t: Translator, content: Content, questions: Sequence[Question] = QUESTIONS, places: Places | None = None
) -> dict[str, str]:
    """The label of every group of the declared breakdowns (personas, territories, age bands),
    « outside » and « not said », in the reader's language."""
    return _labels(t, content, questions, places or load_places())


def paradox_names(t: Translator, content: Content) -> dict[str, str]:
    """« 1. Title » for each paradox, in the reader's language."""
    return {p.id: f"{i}. {t.content(p.title)}" for i, p in enumerate(content.paradoxes, start=1)}


def source_label(t: Translator, content: Content, source: str) -> str:
    """A source as staff named it in the content (``sources.yaml``), its code when they did
    not, « (directe) » for answers that came without one."""
    if not source:
        return t._("(directe)")
    label = content.source(source)
    return t.content(label) if label else source


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


def represented_tables(
    stats: Stats,
    content: Content,
    t: Translator,
    questions: Sequence[Question] = QUESTIONS,
    places: Places | None = None,
) -> list[Table]:
    """Respondents by territory and by age band (each breakdown with a known population) next
    to the population."""
    labels = group_labels(t, content, questions, places)
    return [
        _represented(t, t._(breakdown.title), stats.represented[breakdown.id], labels)
        for question in questions
        for breakdown in question.breakdowns
        if breakdown.id in stats.represented
    ]


def weighted_table(
    stats: Stats,
    content: Content,
    t: Translator,
    questions: Sequence[Question] = QUESTIONS,
    places: Places | None = None,
) -> Table | None:
    """The value ranking weighted by territory beside the unweighted one; None without it."""
    if stats.weighted is None or stats.overall is None:
        return None
    labels = group_labels(t, content, questions, places)
    weighted, overall = stats.weighted.ranking, stats.overall
    rows: list[tuple[str, ...]] = [
        (
            _name(t, content, value),
            _position(overall.borda_ranking, value),
            _position(weighted.borda_ranking, value),
            _position(overall.schulze_ranking, value),
            _position(weighted.schulze_ranking, value),
        )
        for value in ranked_values(content, stats)
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


def borda_score(ranking: Aggregate, value_id: str) -> float:
    """A value's Borda points as a share of the most it could get (every answer ranking it
    first): 100 % for unanimity at the top, 0 % at the bottom."""
    most = ranking.ballots * (len(ranking.candidates) - 1)
    return ranking.borda[value_id] / most if most else 0.0


def condorcet_sentence(t: Translator, content: Content, ranking: Aggregate) -> str:
    """Whether a value beats every other head to head, in a sentence."""
    winner = content.value(ranking.condorcet_winner or "")
    if winner:
        return t._("Gagnant de Condorcet : {value}.", value=t.content(winner.name))
    if ranking.has_condorcet_cycle:
        return t._("Pas de gagnant de Condorcet : les préférences forment un cycle.")
    return t._("Pas de gagnant de Condorcet.")


def ranking_table(stats: Stats, content: Content, t: Translator) -> Table:
    """The overall value ranking, best first by Borda: points, score, first places and their
    share, Schulze rank; with fewer than :data:`SMALL_GROUP` respondents, an empty table that
    says why."""
    overall = stats.overall
    if overall is None:
        note = t._("Les groupes de moins de {n} répondants ne sont pas détaillés.", n=SMALL_GROUP)
        return Table(t._("Classement des valeurs"), (), [], note)
    headers = (
        t._("Valeur"), t._("Points Borda"), t._("Score Borda"), t._("Rang Borda"), t._("1res places"),
        t._("Part des 1res places"), t._("Rang Schulze"),
    )  # fmt: skip
    rows: list[tuple[str, ...]] = [
        (
            _name(t, content, value),
            t.number(overall.borda[value]),
            t.percent(borda_score(overall, value)),
            _position(overall.borda_ranking, value),
            t.number(overall.first_places[value]),
            t.percent(overall.first_places[value] / overall.ballots),
            _position(overall.schulze_ranking, value),
        )
        for value in ranked_values(content, stats)
    ]
    return Table(
        t._("Classement des valeurs, ensemble des réponses"),
        headers,
        rows,
        condorcet_sentence(t, content, overall),
    )


def _with_share(t: Translator, count: int, total: int) -> str:
    """« 31 (62,0 %) »."""
    return f"{t.number(count)} ({t.percent(count / total)})"


def duels_table(stats: Stats, content: Content, t: Translator) -> Table | None:
    """Head to head: the answers preferring the row's value to the column's, counted and as a
    share of all answers; None with fewer than :data:`SMALL_GROUP` respondents."""
    overall = stats.overall
    if overall is None:
        return None
    order = ranked_values(content, stats)
    rows: list[tuple[str, ...]] = [
        (
            _name(t, content, a),
            *("—" if a == b else _with_share(t, overall.pairwise[a][b], overall.ballots) for b in order),
        )
        for a in order
    ]
    note = t._(
        "Chaque case : les réponses qui placent la valeur de la ligne avant celle de la colonne. "
        "Au-dessus de 50 %, la valeur de la ligne l’emporte."
    )
    return Table(t._("Duels entre valeurs"), ("", *(_name(t, content, value) for value in order)), rows, note)


CONDORCET_MARK = "*"
"""Marks the rank of a group's Condorcet winner in :func:`group_table`."""


def group_table(
    title: str,
    heading: str,
    groups: Sequence[Breakdown],
    names: dict[str, str],
    stats: Stats,
    content: Content,
    t: Translator,
) -> Table:
    """One row per group: its answers with their share, then each value's Borda rank in the
    group (values in the overall order), the group's Condorcet winner marked « 1* »."""
    order = ranked_values(content, stats)
    rows: list[tuple[str, ...]] = []
    for group in groups:
        ranking = group.ranking
        ranks = [
            "—"
            if ranking is None
            else _position(ranking.borda_ranking, v)
            + (CONDORCET_MARK if v == ranking.condorcet_winner else "")
            for v in order
        ]
        shown = SUPPRESSED if group.suppressed else _with_share(t, group.answers, stats.answers)
        rows.append((names.get(group.key, group.key), shown, *ranks))
    headers = (heading, t._("Réponses"), *(_name(t, content, v) for v in order))
    note = t._(
        "Rang de chaque valeur dans le groupe (Borda, 1 : la plus importante) ; {mark} : le gagnant "
        "de Condorcet du groupe, qui bat chacune des autres valeurs en duel. Groupes de moins de "
        "{n} répondants non détaillés (« {suppressed} »).",
        mark=CONDORCET_MARK,
        n=SMALL_GROUP,
        suppressed=SUPPRESSED,
    )
    return Table(title, headers, rows, note)


def source_table(stats: Stats, content: Content, t: Translator, limit: int | None = None) -> Table:
    """Answers per source, most first, labelled as staff named them. With ``limit``, only the
    sources of :data:`SMALL_GROUP` respondents or more, at most ``limit``, and a note counting
    the others."""
    groups = stats.per_source
    if limit is None:
        shown, hidden = groups, []
    else:
        large = [group for group in groups if not group.suppressed]
        shown = large[:limit]
        hidden = [group for group in groups if group not in shown]
    rows: list[tuple[str, ...]] = [
        (source_label(t, content, g.key), _count(t, g), _part(t, g, stats.answers)) for g in shown
    ]
    note = (
        t.ngettext(
            "{n} autre source (moins de {small} répondants, ou moins de réponses) n’est pas détaillée.",
            "{n} autres sources (moins de {small} répondants chacune, ou moins de réponses) ne sont "
            "pas détaillées.",
            len(hidden),
            small=SMALL_GROUP,
        )
        if hidden
        else ""
    )
    headers = (t._("Source"), t._("Réponses"), t._("Part des réponses"))
    return Table(t._("Réponses par source"), headers, rows, note)


def tables(
    stats: Stats,
    content: Content,
    t: Translator,
    questions: Sequence[Question] = QUESTIONS,
    places: Places | None = None,
) -> list[Table]:
    """The figures as tables, labelled in the reader's language."""
    return [
        *_answer_tables(stats, content, t, questions, places),
        *deliberation_tables(stats, content, t),
        *reminder_tables(stats, t),
    ]


def reminder_tables(stats: Stats, t: Translator) -> list[Table]:
    """The residents reminded of an unfinished answer, and what they did after; nothing before
    the first reminder went out."""
    outcomes = stats.reminders
    if not outcomes.reminded:
        return []
    rows: list[tuple[str, ...]] = [
        (label, t.number(count), t.percent(count / outcomes.reminded))
        for label, count in (
            (t._("Rappelés"), outcomes.reminded),
            (t._("Ont repris leur réponse"), outcomes.resumed),
            (t._("Ont confirmé leur réponse"), outcomes.completed),
        )
    ]
    note = t._(
        "Un seul rappel par réponse laissée en cours. Repris : le bouton du rappel touché, ou la "
        "réponse poursuivie ensuite ; confirmé : la réponse enregistrée après le rappel."
    )
    headers = ("", t._("Habitants"), t._("Part des rappelés"))
    return [Table(t._("Rappels de réponses inachevées"), headers, rows, note)]


def deliberation_tables(stats: Stats, content: Content, t: Translator) -> list[Table]:
    """The votes on published wishes, then the opinion groups and the consensus when every group
    is large enough to be shown."""
    result = stats.deliberation
    if not result.opinions.counts:
        return []
    note = deliberation.note(t, result)
    tables_ = [
        Table(
            t._("Avis sur les souhaits partagés (les plus votés)"),
            (t._("Souhait"), t._("Paradoxe"), t._("D’accord"), t._("Pas d’accord"), t._("Ne sait pas"),
             t._("Avis")),
            deliberation.rows(t, content, result),
            note,
        )
    ]  # fmt: skip
    groups = deliberation.groups(t, result)
    agreed = deliberation.consensus(t, result)
    if groups is not None:
        tables_.append(
            Table(
                t._("Groupes d’opinion et les souhaits qui les distinguent"),
                (t._("Groupe"), t._("Participants"), t._("Souhait"), t._("Dans le groupe")),
                groups,
            )
        )
    if agreed is not None:
        tables_.append(
            Table(
                t._("Souhaits qui rassemblent tous les groupes"),
                (t._("Souhait"), t._("D’accord, par groupe")),
                agreed,
                t._("Approuvés par une majorité de chaque groupe d’opinion.")
                if agreed
                else t._("Aucun pour l’instant."),
            )
        )
    return tables_


def _answer_tables(
    stats: Stats,
    content: Content,
    t: Translator,
    questions: Sequence[Question],
    places: Places | None,
) -> list[Table]:
    places = places or load_places()
    names = paradox_names(t, content)
    labels = _labels(t, content, questions, places)
    answers, part = t._("Réponses"), t._("Part des réponses")
    total = stats.answers
    result = [
        Table(
            t._("Participation"),
            (t._("Résidents ayant répondu"), t._("Réponses confirmées")),
            [(t.number(stats.respondents), t.number(stats.answers))],
        ),
        Table(t._("Réponses par paradoxe"), (t._("Paradoxe"), answers, part),
              [(names.get(g.key, g.key), _count(t, g), _part(t, g, total)) for g in stats.per_paradox]),
        Table(t._("Réponses par jour"), (t._("Jour"), answers, part),
              [(t.date(date.fromisoformat(g.key)), _count(t, g), _part(t, g, total)) for g in stats.per_day]),
        source_table(stats, content, t),
        Table(t._("Habitants choisis"), (t._("Habitant"), answers, part),
              [(labels.get(g.key, g.key), _count(t, g), _part(t, g, total)) for g in stats.per_persona]),
        *represented_tables(stats, content, t, questions, places),
        ranking_table(stats, content, t),
    ]  # fmt: skip
    overall = stats.overall
    if overall is None:
        return result
    weighted = weighted_table(stats, content, t, questions, places)
    if weighted is not None:
        result.append(weighted)
    names_of_values = [t.content(value.name) for value in content.values]
    result.append(
        Table(
            t._("Préférences deux à deux (ligne préférée à colonne, nombre de réponses)"),
            ("", *names_of_values),
            [
                (
                    names_of_values[i],
                    *(("—" if a == b else t.number(overall.pairwise[a.id][b.id])) for b in content.values),
                )
                for i, a in enumerate(content.values)
            ],
        )
    )
    note = t._("Les groupes de moins de {n} répondants ne sont pas détaillés.", n=SMALL_GROUP)
    for title, groups, names_of in (
        (t._("Classement des valeurs par habitant choisi"), stats.per_persona, labels),
        (t._("Classement des valeurs par paradoxe"), stats.per_paradox, names),
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

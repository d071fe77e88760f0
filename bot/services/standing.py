"""Where a resident stands in the results: their ranking of the values next to everyone's so far,
among those who chose the same persona, and in their territory.

Each group's order is the Borda order of the statistics (:func:`bot.synthesis.ranking.
aggregate_counts`, over every answer, as ``/stats`` counts them), from rankings counted in SQL.
A group of fewer than :data:`SMALL_GROUP` respondents shows no figure at all.

What agrees and what differs, for each group, in two sentences:

- **first place**: whether the resident's first value is the group's Borda winner (or among
  the values tied first);
- **the pair**: of the pairs of values the resident put in an order (A before B), the one the
  fewest of the group's rankings share (the earliest in the resident's order on a tie), given
  as that share when it is under half; otherwise, that at least half of the group's rankings
  agree with them on every pair.

**The counts.** Counting every answer after each one would make each confirmation cost a scan
of all the answers, inside its write transaction. Instead, every group's counts are taken in one
statement (a :class:`Census`) at most every ``recount`` (``RESULTS_RECOUNT_SECONDS``, by the
bot's clock) and shared by every resident until the next: an aggregate of counts, the only thing
kept in memory; the answers stay in the database, the one record of them. Other residents'
answers thus count up to ``recount`` late; each resident's own answers always count as they are
now: the census, less the resident's answers as it counted them, plus their answers now — so a
second answer adds a ranking but not a respondent, a changed answer replaces its old ranking,
and a commune said since moves them to their territory. The census keeps the answers of
residents who changed theirs since it was taken as they were then (:meth:`Standings.changing`,
called before any change); the request that takes it counts its own resident's answers as they
were before that request changed them, since the change is not committed yet.

With one bot process on SQLite, whose writes take turns, this is exact. Several processes, or
PostgreSQL's simultaneous transactions, can let a resident's own figures miss or repeat one of
their answers for one ``recount``; so that this never shows a group of four, a group that the
resident's own answers bring to :data:`SMALL_GROUP` respondents is counted afresh from the
database (one query, on that group only).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from weakref import WeakKeyDictionary

from babel.lists import format_list

from bot.clock import Clock
from bot.content import Content
from bot.dialogs import h
from bot.i18n import Translator
from bot.personas import NO_PERSONA
from bot.places import OUTSIDE, Places
from bot.storage import Repositories, Resident
from bot.storage.tallies import Ballot, Census, Counted, GroupKey, Tally
from bot.storage.theme_counts import ThemeTally
from bot.synthesis.export import SMALL_GROUP
from bot.synthesis.ranking import Aggregate, Ranking, aggregate_counts

RECOUNT = timedelta(seconds=60)
"""How old the census may be before a standing takes it again."""
THEMES = 3
"""The most frequent themes of the wishes ``/resultats`` names."""


class Kind(StrEnum):
    EVERYONE = "everyone"
    PERSONA = "persona"
    TERRITORY = "territory"


@dataclass(frozen=True)
class Group:
    """A group the resident is compared with: ``ranking`` is None under :data:`SMALL_GROUP`
    respondents (and then nothing of it is shown)."""

    kind: Kind
    key: str
    """The persona's or territory's id (empty for everyone)."""
    respondents: int
    ranking: Aggregate | None


@dataclass(frozen=True)
class Standing:
    """A resident's ranking and the groups it is compared with."""

    ballot: Ballot | None
    """The resident's ranking; None if they have none to compare."""
    groups: tuple[Group, ...]
    """Everyone first, then the resident's persona and territory when known."""
    themes: tuple[ThemeTally, ...] = ()
    """For ``/resultats``: the most frequent themes of the wishes, when they were computed."""

    @property
    def everyone(self) -> Group:
        return self.groups[0]


class Standings:
    """Computes and words a resident's place in the results, from a census shared by every
    resident and taken at most every ``recount`` (see the module's docstring)."""

    def __init__(self, content: Content, places: Places, clock: Clock, recount: timedelta = RECOUNT) -> None:
        self.content = content
        self.places = places
        self.clock = clock
        self.recount = recount
        self._census: tuple[datetime, Census] | None = None
        self._as_counted: dict[int, list[Counted]] = {}
        """The answers, as the census counted them, of the residents who changed theirs since."""
        self._before: WeakKeyDictionary[Repositories, dict[int, list[Counted]]] = WeakKeyDictionary()
        """By transaction, the answers of the residents it changes, as they were before it."""
        self._taking = asyncio.Lock()

    @property
    def candidates(self) -> tuple[str, ...]:
        return tuple(value.id for value in self.content.values)

    def comparable(self, ranking: str) -> Ballot | None:
        """A stored ranking as a ballot, if it ranks the current values (they may have changed)."""
        ballot = tuple(ranking.split(","))
        return ballot if sorted(ballot) == sorted(self.candidates) else None

    async def changing(self, repos: Repositories, resident: Resident) -> None:
        """Call before changing the resident's answers (storing one, setting their commune): keeps
        them as the census counted them, unless already kept since it was taken."""
        before = self._before.setdefault(repos, {})
        if resident.id not in before:
            before[resident.id] = await self._answers(repos, resident)
        self._as_counted.setdefault(resident.id, before[resident.id])

    async def of(
        self,
        repos: Repositories,
        resident: Resident | None,
        ballot: Ballot | None,
        persona_id: str | None,
        commune: str | None,
    ) -> Standing:
        """The resident's ``ballot`` next to everyone, those who chose ``persona_id`` and those
        of ``commune``'s territory (none for a resident living outside the metropolis), with
        the resident's answers (if any) counted as they are now."""
        territory = self.places.territory_of(commune) if commune else None
        if territory == OUTSIDE:
            territory = None
        groups: list[GroupKey] = [(Kind.EVERYONE, "")]
        if persona_id is not None:
            groups.append((Kind.PERSONA, persona_id))
        if territory is not None:
            groups.append((Kind.TERRITORY, territory))
        mine = await self._answers(repos, resident) if resident is not None else []
        census = await self._current(repos, resident, mine)
        counted = self._as_counted.get(resident.id, mine) if resident is not None else []
        return Standing(
            ballot, tuple([await self._group(repos, group, census, counted, mine) for group in groups])
        )

    async def latest(self, repos: Repositories, resident: Resident | None, commune: str | None) -> Standing:
        """For ``/resultats``: the ranking of the resident's latest confirmed answer (the one
        they confirmed last, whatever its paradox), none for someone without one, and the
        :data:`THEMES` themes of the wishes with the most respondents (at least
        :data:`SMALL_GROUP`) when the themes were last computed over every answer."""
        answers = await repos.answers.of(resident) if resident is not None else []
        if answers:
            latest = answers[0]
            ballot = self.comparable(latest.ranking)
            standing = await self.of(repos, resident, ballot, latest.persona_id, commune)
        else:
            standing = await self.of(repos, None, None, None, None)
        themes = await repos.theme_counts.most_frequent(SMALL_GROUP, THEMES)
        return replace(standing, themes=tuple(themes))

    async def _answers(self, repos: Repositories, resident: Resident) -> list[Counted]:
        """The resident's answers that rank the current values, as the census counts them."""
        values = sorted(self.candidates)
        return [
            answer
            for answer in await repos.tallies.answers_of(resident.id)
            if sorted(answer.ballot) == values
        ]

    async def _current(self, repos: Repositories, resident: Resident | None, mine: list[Counted]) -> Census:
        """The census, taken again when older than ``recount`` — unless another request is taking
        it, then the last one. The resident's answers (``mine``) count in it as they were before
        this transaction."""
        if self._census is not None and (self._fresh(self._census[0]) or self._taking.locked()):
            return self._census[1]
        async with self._taking:
            if self._census is not None and self._fresh(self._census[0]):
                return self._census[1]  # taken by the request this one waited for
            taken = self.clock.now()
            before = self._before.get(repos, {}).get(resident.id, mine) if resident is not None else mine
            census = {
                group: _moved(
                    tally, [a for a in mine if group in a.groups], [a for a in before if group in a.groups]
                )
                for group, tally in (await repos.tallies.census(self.candidates)).items()
            }
            self._census = taken, census
            self._as_counted = {resident.id: before} if resident is not None and before != mine else {}
            return census

    def _fresh(self, taken: datetime) -> bool:
        return self.clock.now() - taken < self.recount

    async def _group(
        self,
        repos: Repositories,
        group: GroupKey,
        census: Census,
        counted: list[Counted],
        mine: list[Counted],
    ) -> Group:
        """The group's counts with the resident's answers as they are now instead of as counted."""
        kind, key = Kind(group[0]), group[1]
        was = [answer for answer in counted if group in answer.groups]
        now = [answer for answer in mine if group in answer.groups]
        tally = census.get(group, Tally())
        if now and tally.respondents - bool(was) == SMALL_GROUP - 1:
            # The resident makes it five: counted afresh, lest a race show a group of four.
            persona = key if kind is Kind.PERSONA else None
            territory = key if kind is Kind.TERRITORY else None
            tally = (await repos.tallies.census(self.candidates, persona, territory)).get(group, Tally())
        else:
            tally = _moved(tally, was, now)
        shown = tally.respondents >= SMALL_GROUP
        ranking = aggregate_counts(self.candidates, tally.rankings) if shown else None
        return Group(kind, key, tally.respondents, ranking)

    # Words

    def after_answer(self, t: Translator, standing: Standing) -> str:
        """What the thank-you for an answer says of the resident's place (HTML)."""
        return self._comparison(t, standing, [])

    def results(self, t: Translator, standing: Standing, commune_said: bool) -> str:
        """``/resultats``: the resident's latest ranking, their place, how to compare with their
        territory if they have not said their commune, the participation and the most frequent
        themes of the wishes (HTML)."""
        if standing.ballot is None:
            intro = t._(
                "Vous n’avez pas encore classé les valeurs : répondez à un paradoxe pour voir ici "
                "où vous vous situez. Pour commencer : /start"
            )
        else:
            intro = t._(
                "Votre classement le plus récent : {order}",
                order=self.order(t, [(value,) for value in standing.ballot]),
            )
        parts = [self._comparison(t, standing, [intro])]
        if standing.ballot is not None and not commune_said and standing.everyone.ranking is not None:
            parts.append(
                t._(
                    "Pour vous comparer aux habitants de votre territoire, indiquez votre commune "
                    "avec /profile."
                )
            )
        parts.append("\n".join([self._participation(t, standing), *self._themes(t, standing)]))
        return "\n\n".join(parts)

    def _comparison(self, t: Translator, standing: Standing, intro: list[str]) -> str:
        """The heading, then each group's order and what agrees and differs."""
        head = [t._("<b>📊 Où vous situez-vous ?</b>"), *intro]
        if standing.everyone.ranking is None:
            head.append(
                t._(
                    "Il faut au moins {n} répondants pour comparer : revenez bientôt avec /resultats.",
                    n=SMALL_GROUP,
                )
            )
            return "\n".join(head)
        everyone = standing.everyone.ranking.borda_ranking
        groups = [self._group_text(t, group, standing.ballot, everyone) for group in standing.groups]
        return "\n\n".join(["\n".join(head), *groups])

    def _participation(self, t: Translator, standing: Standing) -> str:
        """How many residents answered so far, and how many answers (only from five on)."""
        everyone = standing.everyone
        if everyone.ranking is None:
            return t._("Participation à ce jour : moins de {n} habitants.", n=SMALL_GROUP)
        return t._(
            "Participation à ce jour : {respondents} habitants, {answers} réponses.",
            respondents=t.number(everyone.respondents),
            answers=t.number(everyone.ranking.ballots),
        )

    def _themes(self, t: Translator, standing: Standing) -> list[str]:
        """The most frequent themes, each with its share of the wishes (none when there are none).
        Labels are shown as the codebook writes them: it has them in French only."""
        if not standing.themes:
            return []
        shares = ", ".join(f"{h(theme.label)} ({t.percent(theme.share)})" for theme in standing.themes)
        return [
            t.ngettext(
                "Thème le plus fréquent des souhaits : {themes}.",
                "Thèmes les plus fréquents des souhaits : {themes}.",
                len(standing.themes),
                themes=shares,
            )
        ]

    def order(self, t: Translator, ranking: Ranking) -> str:
        """Values best first, tied ones together (« A › B = C › … »), escaped for HTML."""
        return " › ".join(" = ".join(self._name(t, value) for value in tier) for tier in ranking)

    def _name(self, t: Translator, value_id: str) -> str:
        value = self.content.value(value_id)
        return h(t.content(value.name) if value else value_id)

    def _label(self, t: Translator, group: Group) -> str:
        if group.kind is Kind.EVERYONE:
            return t._("Tous les participants")
        if group.kind is Kind.TERRITORY:
            territory = self.places.territory(group.key)
            return t._("Votre territoire, {name}", name=h(territory.name if territory else group.key))
        if group.key == NO_PERSONA:
            return t._("Ceux qui n’ont choisi aucun habitant")
        persona = self.content.persona(group.key)
        return t._("Ceux qui ont choisi {name}", name=h(t.content(persona.name) if persona else group.key))

    def _group_text(self, t: Translator, group: Group, ballot: Ballot | None, everyone: Ranking) -> str:
        """The group's order (said in words when it is everyone's, for a group within it), and
        what agrees and differs with the resident's ballot."""
        label = self._label(t, group)
        ranking = group.ranking
        if ranking is None:
            return t._(
                "<b>{group}</b> : moins de {n} répondants pour l’instant, rien n’est encore montré.",
                group=label,
                n=SMALL_GROUP,
            )
        heading = t.ngettext(
            "{group} ({n} répondant) : {order}",
            "{group} ({n} répondants) : {order}",
            group.respondents,
            group=f"<b>{label}</b>",
            order=t._("le même ordre que tous les participants")
            if group.kind is not Kind.EVERYONE and ranking.borda_ranking == everyone
            else self.order(t, ranking.borda_ranking),
        )
        if ballot is None:
            return heading
        return f"{heading}\n{self._first(t, ranking, ballot)} {self._pair(t, ranking, ballot)}"

    def _first(self, t: Translator, ranking: Aggregate, ballot: Ballot) -> str:
        """Whether the group puts the resident's first value first too."""
        mine, top = ballot[0], ranking.borda_ranking[0]
        if mine not in top:
            names = [self._name(t, value) for value in top]
            return t._(
                "Ils placent {first} en premier ; vous, {yours}.",
                first=format_list(names, locale=t.language),
                yours=self._name(t, mine),
            )
        others = [self._name(t, value) for value in top if value != mine]
        if others:
            return t._(
                "Comme vous, ils placent {value} en premier, à égalité avec {others}.",
                value=self._name(t, mine),
                others=format_list(others, locale=t.language),
            )
        return t._("Comme vous, ils placent {value} en premier.", value=self._name(t, mine))

    def _pair(self, t: Translator, ranking: Aggregate, ballot: Ballot) -> str:
        """The resident's least shared choice between two values, as the group's share."""
        above, below, share = least_shared(ranking, ballot)
        if share >= 0.5:
            return t._(
                "Sur chaque paire de valeurs, la moitié au moins de leurs classements font le même "
                "choix que vous."
            )
        return t._(
            "Seuls {share} de leurs classements placent {above} avant {below}, comme vous.",
            share=t.percent(share),
            above=self._name(t, above),
            below=self._name(t, below),
        )


def least_shared(ranking: Aggregate, ballot: Ballot) -> tuple[str, str, float]:
    """Of the pairs the ballot orders (a before b), the one the smallest share of the group's
    rankings also puts in that order — the earliest in the ballot on a tie — with that share."""
    pairs = [(a, b) for i, a in enumerate(ballot) for b in ballot[i + 1 :]]
    above, below = min(pairs, key=lambda pair: ranking.pairwise[pair[0]][pair[1]])
    return above, below, ranking.pairwise[above][below] / ranking.ballots


def _moved(tally: Tally, removed: Sequence[Counted], added: Sequence[Counted]) -> Tally:
    """``tally`` less the ``removed`` answers of one respondent, plus their ``added`` ones (never
    below zero, should a race have left them out of it)."""
    rankings = dict(tally.rankings)
    for answer in removed:
        rankings[answer.ballot] = rankings.get(answer.ballot, 0) - 1
    for answer in added:
        rankings[answer.ballot] = rankings.get(answer.ballot, 0) + 1
    respondents = max(0, tally.respondents - bool(removed)) + bool(added)
    return Tally(respondents, {ballot: n for ballot, n in rankings.items() if n > 0})

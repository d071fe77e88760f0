"""Aggregate rankings of the values, computed three ways side by side.

Every answer is a complete strict order of the same candidates (value ids, most important
first). :func:`aggregate` reads the answers once, counting identical orders (at most n! of
them), and computes from the counts:

- the Borda count (first place n-1 points, last place 0);
- the number of first places;
- the pairwise-preference matrix ``d[a][b]`` (ballots ranking a above b), the Condorcet
  winner if there is one, the candidates caught in majority cycles, and the Schulze
  ranking from the strongest paths ("winning votes").

A ranking is a list of tiers, best first; each tier is a tuple of tied candidates in the
order the candidates were given. Memory is O(n²) in the number of candidates times the
distinct orders seen (at most n!, 120 for five values), whatever the number of ballots:
ballots are never stored, so a generator over a million database rows is fine. When the
database can group identical orders itself, :func:`aggregate_counts` takes the counts
directly.

:func:`aggregate_weighted` computes the same figures from weighted ballots (each order with
the sum of its ballots' weights, e.g. post-stratification weights from
:mod:`bot.synthesis.weighting`) into a :class:`WeightedAggregate`, whose figures are floats.
Float sums are not exact (``0.1 * 3 != 0.3``), so that figures equal in exact arithmetic
compare equal, every weighted figure is summed with :func:`math.fsum` (the correctly rounded
sum, whatever the order of the ballots) and then rounded to :data:`WEIGHT_DECIMALS` decimal
places, and the tiers, the pairwise majorities and the Schulze paths compare the rounded
figures. Integer counts stay exact integers.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Self, TypeVar

Ranking = list[tuple[str, ...]]
"""Tiers of tied candidates, best first."""

WEIGHT_DECIMALS = 6
"""Decimal places kept in weighted figures: a millionth of a ballot.

Weighted figures equal in exact arithmetic can differ in floats by a few units in their last
(about the 16th) significant digit: a few times 1e-9 for a figure of 10⁷ (a million ballots
of four points). Nine decimals would sit in that noise; six leave a margin of a hundred or
more, and no difference smaller than a millionth of a ballot means anything. Two equal
figures can still be rounded apart if they lie within that noise of a rounding boundary (half
a millionth): odds of about 1e-2 for figures of 10⁷, 1e-5 for figures in the thousands.
"""

N = TypeVar("N", int, float)
"""The type of the figures: int for counted ballots, float for weighted ones."""


@dataclass(frozen=True)
class Aggregation(Generic[N]):
    """The three aggregate rankings of one set of ballots, with the numbers behind them.

    :class:`Aggregate` counts ballots (``N`` is int); :class:`WeightedAggregate` sums their
    weights (``N`` is float).
    """

    candidates: tuple[str, ...]
    """The candidates, in the order given (which also orders candidates within a tier)."""
    ballots: N
    """The number of ballots, or the sum of their weights."""
    borda: dict[str, N]
    borda_ranking: Ranking
    first_places: dict[str, N]
    first_place_ranking: Ranking
    pairwise: dict[str, dict[str, N]]
    """``pairwise[a][b]``: ballots ranking a above b (no diagonal entry)."""
    strongest_paths: dict[str, dict[str, N]]
    """``strongest_paths[a][b]``: Schulze strength of the strongest path from a to b."""
    schulze_ranking: Ranking
    """By number of candidates each beats (``p[a][b] > p[b][a]``); equal counts are tied."""
    condorcet_winner: str | None
    """The candidate beating every other in ``pairwise``, if any."""
    majority_cycles: list[tuple[str, ...]]
    """Candidates caught in cycles of the strict majority relation (``d[a][b] > d[b][a]``).

    Each group is a strongly connected component of two or more candidates (each reaches
    every other by majority wins), in candidate order. A cycle can sit below a Condorcet
    winner; without a winner and without a cycle, some pairs are tied.
    """
    has_condorcet_cycle: bool
    """Whether there is any majority cycle (``majority_cycles`` is not empty)."""

    def schulze_beats(self, a: str, b: str) -> bool:
        """Whether a is ranked above b by Schulze: ``p[a][b] > p[b][a]``."""
        return a != b and self.strongest_paths[a][b] > self.strongest_paths[b][a]

    @classmethod
    def _from_tallies(
        cls, names: tuple[str, ...], total: N, borda: list[N], first: list[N], d: list[list[N]]
    ) -> Self:
        """The rankings from the totals, in candidate order (``d`` being the pairwise matrix)."""
        n = len(names)
        p = _strongest_paths(d, total * 0)
        wins = [sum(p[i][j] > p[j][i] for j in range(n)) for i in range(n)]
        cycles = _majority_cycles(names, [[d[i][j] > d[j][i] for j in range(n)] for i in range(n)])
        beats_all = [i for i in range(n) if all(d[i][j] > d[j][i] for j in range(n) if j != i)]

        def matrix(m: list[list[N]]) -> dict[str, dict[str, N]]:
            return {a: {b: m[i][j] for j, b in enumerate(names) if j != i} for i, a in enumerate(names)}

        return cls(
            candidates=names,
            ballots=total,
            borda=dict(zip(names, borda, strict=True)),
            borda_ranking=_tiers(names, borda),
            first_places=dict(zip(names, first, strict=True)),
            first_place_ranking=_tiers(names, first),
            pairwise=matrix(d),
            strongest_paths=matrix(p),
            schulze_ranking=_tiers(names, wins),
            condorcet_winner=names[beats_all[0]] if beats_all else None,
            majority_cycles=cycles,
            has_condorcet_cycle=bool(cycles),
        )


@dataclass(frozen=True)
class Aggregate(Aggregation[int]):
    """The rankings of counted ballots: every figure is a whole number of ballots."""


@dataclass(frozen=True)
class WeightedAggregate(Aggregation[float]):
    """The rankings of weighted ballots: every figure is a sum of weights.

    ``ballots`` is the sum of the weights. Each figure is rounded to :data:`WEIGHT_DECIMALS`
    places, and the rankings compare the rounded figures, so equal sums are tied.
    """


def aggregate(candidates: Sequence[str], ballots: Iterable[Sequence[str]]) -> Aggregate:
    """Aggregate complete strict orders of ``candidates``, reading ``ballots`` once.

    Raises ValueError naming the first ballot that is not a permutation of the candidates,
    or if the candidates are empty or repeated.
    """
    names = _check_candidates(candidates)
    valid = _validator(names)
    counts: Counter[tuple[str, ...]] = Counter()
    for ballot in ballots:
        order = tuple(ballot)
        if order not in counts:
            valid(order)
        counts[order] += 1
    return _compute(names, counts)


def aggregate_counts(candidates: Sequence[str], counts: Mapping[tuple[str, ...], int]) -> Aggregate:
    """Aggregate from the number of ballots of each order (e.g. a SQL ``GROUP BY``).

    Raises ValueError for an order that is not a permutation of the candidates or a
    negative count, and as :func:`aggregate` for the candidates.
    """
    names = _check_candidates(candidates)
    valid = _validator(names)
    checked: dict[tuple[str, ...], int] = {}
    for ballot, count in counts.items():
        order = tuple(ballot)
        valid(order)
        if count < 0:
            raise ValueError(f"negative count {count} for ballot {order!r}")
        checked[order] = checked.get(order, 0) + count
    return _compute(names, checked)


def aggregate_weighted(
    candidates: Sequence[str], weighted_counts: Mapping[tuple[str, ...], float]
) -> WeightedAggregate:
    """Aggregate from the sum of the ballots' weights for each order.

    A weight of zero leaves the order out. With every weight 1, the figures are those of
    :func:`aggregate_counts` as floats. Raises ValueError for an order that is not a
    permutation of the candidates or a weight that is negative or not finite, and as
    :func:`aggregate` for the candidates.
    """
    names = _check_candidates(candidates)
    valid = _validator(names)
    checked: dict[tuple[str, ...], list[float]] = {}
    for ballot, weight in weighted_counts.items():
        order = tuple(ballot)
        valid(order)
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f"weight {weight!r} for ballot {order!r} is not a finite number ≥ 0")
        checked.setdefault(order, []).append(float(weight))
    weights = {order: math.fsum(parts) for order, parts in checked.items()}
    total, borda, first, d = _tally(names, weights, _weighted_sum)
    return WeightedAggregate._from_tallies(names, total, borda, first, d)


def _weighted_sum(terms: list[float]) -> float:
    """The correctly rounded sum, rounded again to :data:`WEIGHT_DECIMALS` places (never -0.0)."""
    return round(math.fsum(terms), WEIGHT_DECIMALS) + 0.0


def _check_candidates(candidates: Sequence[str]) -> tuple[str, ...]:
    names = tuple(candidates)
    if not names:
        raise ValueError("there are no candidates")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"candidates repeated: {', '.join(map(repr, repeated))}")
    return names


def _validator(names: tuple[str, ...]) -> Callable[[tuple[str, ...]], None]:
    """A check that a ballot is a permutation of ``names``, raising ValueError naming it."""
    known = set(names)

    def valid(order: tuple[str, ...]) -> None:
        if len(order) == len(names) and set(order) == known:
            return
        seen = Counter(order)
        problems = []
        if missing := [name for name in names if name not in seen]:
            problems.append("missing " + ", ".join(map(repr, missing)))
        if unknown := [item for item in seen if item not in known]:
            problems.append("unknown " + ", ".join(map(repr, unknown)))
        if repeated := [item for item, times in seen.items() if times > 1 and item in known]:
            problems.append("repeated " + ", ".join(map(repr, repeated)))
        raise ValueError(f"ballot {order!r} is not a permutation of the candidates: {'; '.join(problems)}")

    return valid


def _compute(names: tuple[str, ...], counts: Mapping[tuple[str, ...], int]) -> Aggregate:
    total, borda, first, d = _tally(names, counts, sum)
    return Aggregate._from_tallies(names, total, borda, first, d)


def _tally(
    names: tuple[str, ...], counts: Mapping[tuple[str, ...], N], add: Callable[[list[N]], N]
) -> tuple[N, list[N], list[N], list[list[N]]]:
    """The total, Borda points, first places and pairwise matrix ``d[i][j]``, in candidate order.

    Each figure is ``add`` of its terms (one per order ranking the candidate there), so that
    weighted figures are summed exactly once, whatever the order of the ballots.
    """
    n = len(names)
    index = {name: i for i, name in enumerate(names)}
    totals: list[N] = []
    borda: list[list[N]] = [[] for _ in range(n)]
    first: list[list[N]] = [[] for _ in range(n)]
    d: list[list[list[N]]] = [[[] for _ in range(n)] for _ in range(n)]
    for order, count in counts.items():
        if not count:
            continue
        totals.append(count)
        ranks = [index[name] for name in order]
        first[ranks[0]].append(count)
        for place, i in enumerate(ranks):
            borda[i].append(count * (n - 1 - place))
            row = d[i]
            for j in ranks[place + 1 :]:
                row[j].append(count)
    return (
        add(totals),
        [add(terms) for terms in borda],
        [add(terms) for terms in first],
        [[add(terms) for terms in row] for row in d],
    )


def _strongest_paths(d: list[list[N]], zero: N) -> list[list[N]]:
    """Schulze's widest paths, "winning votes": a link a→b counts only if d[a][b] > d[b][a]."""
    n = len(d)
    p = [[d[i][j] if d[i][j] > d[j][i] else zero for j in range(n)] for i in range(n)]
    for i in range(n):
        for j in range(n):
            if j == i:
                continue
            through = p[j][i]
            for k in range(n):
                if k != i and k != j:
                    p[j][k] = max(p[j][k], min(through, p[i][k]))
    return p


def _tiers(names: tuple[str, ...], scores: Sequence[N]) -> Ranking:
    """Group candidates by score, highest first; ties keep the candidates' order."""
    return [
        tuple(name for name, score in zip(names, scores, strict=True) if score == level)
        for level in sorted(set(scores), reverse=True)
    ]


def _majority_cycles(names: tuple[str, ...], edges: list[list[bool]]) -> list[tuple[str, ...]]:
    """The groups of two or more candidates joined by cycles (strongly connected components)."""
    n = len(edges)
    reach = [row[:] for row in edges]
    for k in range(n):
        for i in range(n):
            if reach[i][k]:
                reach[i] = [reach[i][j] or reach[k][j] for j in range(n)]
    groups: list[tuple[str, ...]] = []
    placed: set[int] = set()
    for i in range(n):
        if reach[i][i] and i not in placed:
            members = [j for j in range(n) if reach[i][j] and reach[j][i]]
            placed.update(members)
            groups.append(tuple(names[j] for j in members))
    return groups

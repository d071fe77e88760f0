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
order the candidates were given. Memory is O(n²) in the number of candidates plus the
distinct orders seen: ballots are never stored, so a generator over a million database rows
is fine. When the database can group identical orders itself, :func:`aggregate_counts` takes
the counts directly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

Ranking = list[tuple[str, ...]]
"""Tiers of tied candidates, best first."""


@dataclass(frozen=True)
class Aggregate:
    """The three aggregate rankings of one set of ballots, with the numbers behind them."""

    candidates: tuple[str, ...]
    """The candidates, in the order given (which also orders candidates within a tier)."""
    ballots: int
    borda: dict[str, int]
    borda_ranking: Ranking
    first_places: dict[str, int]
    first_place_ranking: Ranking
    pairwise: dict[str, dict[str, int]]
    """``pairwise[a][b]``: ballots ranking a above b (no diagonal entry)."""
    strongest_paths: dict[str, dict[str, int]]
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
    n = len(names)
    index = {name: i for i, name in enumerate(names)}
    total = 0
    borda = [0] * n
    first = [0] * n
    d = [[0] * n for _ in range(n)]
    for order, count in counts.items():
        if not count:
            continue
        total += count
        ranks = [index[name] for name in order]
        first[ranks[0]] += count
        for place, i in enumerate(ranks):
            borda[i] += count * (n - 1 - place)
            row = d[i]
            for j in ranks[place + 1 :]:
                row[j] += count

    p = _strongest_paths(d)
    wins = [sum(p[i][j] > p[j][i] for j in range(n)) for i in range(n)]
    cycles = _majority_cycles(names, [[d[i][j] > d[j][i] for j in range(n)] for i in range(n)])
    beats_all = [i for i in range(n) if all(d[i][j] > d[j][i] for j in range(n) if j != i)]

    def matrix(m: list[list[int]]) -> dict[str, dict[str, int]]:
        return {a: {b: m[i][j] for j, b in enumerate(names) if j != i} for i, a in enumerate(names)}

    return Aggregate(
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


def _strongest_paths(d: list[list[int]]) -> list[list[int]]:
    """Schulze's widest paths, "winning votes": a link a→b counts only if d[a][b] > d[b][a]."""
    n = len(d)
    p = [[d[i][j] if d[i][j] > d[j][i] else 0 for j in range(n)] for i in range(n)]
    for i in range(n):
        for j in range(n):
            if j == i:
                continue
            through = p[j][i]
            for k in range(n):
                if k != i and k != j:
                    p[j][k] = max(p[j][k], min(through, p[i][k]))
    return p


def _tiers(names: tuple[str, ...], scores: Sequence[int]) -> Ranking:
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

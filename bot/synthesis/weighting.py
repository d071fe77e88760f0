"""Post-stratification weights: each respondent counts for the share of the population they stand for.

Respondents fall in groups (territories, age bands). A group's population share is ``P_g``;
its sample share is ``S_g = n_g / n``, ``n_g`` of the ``n`` respondents whose group is known.
Each respondent of group g weighs ``w_g = P_g / S_g``, so that weighted, every group weighs in
the sample what it weighs in the population (``w_g · n_g = P_g · n``). This is standard
post-stratification (cell weighting) on one variable:

- population shares are divided by their sum, so rounded percentages, head counts or the
  bands of a part of the population (those aged 15 and over) can be given as they are;
- respondents whose group is unknown (did not say, outside the metropolis) weigh 1;
- a population group without respondents cannot be weighted: nobody can stand for it. It is
  reported in :attr:`PostStratification.missing`, and the other groups' shares are divided by
  the share they cover, so the weighted figures speak for the covered population only.

The weights therefore sum to ``n`` over the known respondents, and to the number of all
respondents with the unknown ones: the total is unchanged, and the unknown respondents keep
their share of it. Weighting moves influence between groups: a group of 2 respondents
weighing 3 each counts as 6 people, and the weighted figures rest on fewer people than the
total; :attr:`PostStratification.effective_respondents` says how many (Kish).

A weight reveals its group's size (``n_g = P_g · n / w_g``): never show the weight of a group
whose size is suppressed.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class PostStratification:
    """The weight of one respondent of each group, and the groups that cannot be weighted."""

    weights: dict[str, float]
    """By group: each population group with respondents, then each unknown group (weight 1)."""
    missing: tuple[str, ...]
    """The population groups without respondents, in the population's order."""
    covered_share: float
    """The share of the population in groups with respondents (1.0 when none is missing)."""
    effective_respondents: float
    """Kish's effective sample size ``(Σw)² / Σw²`` over all respondents: as many unweighted
    respondents would give figures as precise as the weighted ones."""


def check_groups(
    respondents_by_group: Mapping[str, int],
    population_share: Mapping[str, float],
    unknown: Collection[str],
) -> float:
    """Check the groups, and return the sum of the population shares.

    Raises ValueError for no population groups, a negative count, a population share that is
    not a finite number above zero, a group both in the population and unknown, or respondents
    in a group that is neither.
    """
    if not population_share:
        raise ValueError("there are no population groups")
    if negative := [g for g, count in respondents_by_group.items() if count < 0]:
        raise ValueError(f"negative counts of respondents: {', '.join(map(repr, negative))}")
    if bad := [g for g, share in population_share.items() if not (math.isfinite(share) and share > 0)]:
        raise ValueError(f"population shares not above zero: {', '.join(map(repr, bad))}")
    if both := [g for g in population_share if g in unknown]:
        raise ValueError(f"groups both in the population and unknown: {', '.join(map(repr, both))}")
    if stray := [g for g in respondents_by_group if g not in population_share and g not in unknown]:
        raise ValueError(f"groups neither in the population nor unknown: {', '.join(map(repr, stray))}")
    return math.fsum(population_share.values())


def post_stratification(
    respondents_by_group: Mapping[str, int],
    population_share: Mapping[str, float],
    *,
    unknown: Collection[str],
) -> PostStratification:
    """The weight of a respondent of each group (see the module's docstring for the method).

    ``respondents_by_group`` counts respondents (people, not answers) by group, unknown groups
    included; a group left out has none. ``population_share`` gives each population group's
    share (any positive numbers: they are divided by their sum). Raises ValueError as
    :func:`check_groups`.
    """
    population = check_groups(respondents_by_group, population_share, unknown)
    sizes = {g: respondents_by_group.get(g, 0) for g in population_share}
    known = sum(sizes.values())
    covered = math.fsum(share for g, share in population_share.items() if sizes[g])
    weights = {g: population_share[g] * known / (covered * size) for g, size in sizes.items() if size}
    weights |= dict.fromkeys(unknown, 1.0)
    counts = [(respondents_by_group.get(g, 0), w) for g, w in weights.items()]
    total = math.fsum(count * w for count, w in counts)
    squares = math.fsum(count * w * w for count, w in counts)
    return PostStratification(
        weights=weights,
        missing=tuple(g for g, size in sizes.items() if not size),
        covered_share=covered / population,
        effective_respondents=total * total / squares if squares else 0.0,
    )


def weighted_ballots(
    ballots_by_group: Mapping[str, Mapping[tuple[str, ...], int]], weights: Mapping[str, float]
) -> dict[tuple[str, ...], float]:
    """The sum of the weights of each order's ballots, for :func:`~bot.synthesis.ranking.aggregate_weighted`.

    ``ballots_by_group`` counts each group's ballots by order; each ballot weighs its
    respondent's group weight. Raises ValueError for ballots in a group without a weight
    (a group missing from the weighting has no ballots).
    """
    unweighted = [g for g, ballots in ballots_by_group.items() if g not in weights and any(ballots.values())]
    if unweighted:
        raise ValueError(f"ballots in groups without a weight: {', '.join(map(repr, unweighted))}")
    terms: dict[tuple[str, ...], list[float]] = {}
    for group, ballots in ballots_by_group.items():
        for order, count in ballots.items():
            if count:
                terms.setdefault(tuple(order), []).append(count * weights[group])
    return {order: math.fsum(parts) for order, parts in terms.items()}

"""How far the respondents look like the population, group by group (territory, age band).

For each population group: its respondents, their share of the respondents whose group is
known, the group's share of the population, and the ratio of the two shares (1 when the group
answered in proportion, 0.5 when half as much). A group is under-represented when its ratio is
below :data:`UNDER_REPRESENTED`. Respondents whose group is unknown (did not say, outside the
metropolis) are counted apart, and left out of the shares.

Small groups follow the rule of every breakdown (:data:`bot.synthesis.export.SMALL_GROUP`): a
group of 1 to 4 respondents has its count suppressed, and so have its share and ratio, which
would give the count back (count = share × respondents known). A group of none is shown as 0:
there is nobody to point at, and it is the group that weighting cannot correct for. The
under-representation flag of a suppressed group is given only when it follows from what is
shown, i.e. when it is the same for every count from 1 to 4 with the total shown: True when
even 4 respondents would be under-represented, False when even 1 would not, None otherwise.

The totals are not suppressed (as the participation figures): when a single group is
suppressed, the total minus the other groups gives its count, as in :mod:`bot.synthesis.stats`.

Shares and ratios are rounded to :data:`DECIMALS` places, so that a ratio of exactly one half in
exact arithmetic is not flagged for a float's last digit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.synthesis.export import SMALL_GROUP
from bot.synthesis.weighting import check_groups

UNDER_REPRESENTED = 0.5
"""A group whose ratio (sample share / population share) is below this is under-represented."""
DECIMALS = 9
"""Decimal places kept in shares and ratios."""


@dataclass(frozen=True)
class Row:
    """One population group, compared with the population."""

    group: str
    respondents: int | None
    """The respondents of the group; None when suppressed (1 to 4: shown « < 5 »)."""
    sample_share: float | None
    """Their share of the respondents whose group is known; None when suppressed or none known."""
    population_share: float
    """The group's share of the population (the shares given, divided by their sum)."""
    ratio: float | None
    """``sample_share / population_share``; None when suppressed or none known."""
    under_represented: bool | None
    """Whether ``ratio`` < :data:`UNDER_REPRESENTED`; None when that cannot be said (see module)."""

    @property
    def suppressed(self) -> bool:
        return self.respondents is None


@dataclass(frozen=True)
class Count:
    """Respondents whose group is unknown, for one reason: a count only."""

    group: str
    respondents: int | None
    """None when suppressed (1 to 4: shown « < 5 »)."""

    @property
    def suppressed(self) -> bool:
        return self.respondents is None


@dataclass(frozen=True)
class Representativeness:
    rows: list[Row]
    """The population groups, in the population's order."""
    unknown: list[Count]
    """The unknown groups, in the order given."""
    known: int
    """Respondents whose group is known: the denominator of the sample shares."""
    total: int
    """All respondents, known or not."""


def representativeness(
    respondents_by_group: Mapping[str, int],
    population_share: Mapping[str, float],
    *,
    unknown: Sequence[str],
) -> Representativeness:
    """Compare the respondents of each group with the population.

    ``respondents_by_group`` counts respondents (people, not answers) by group, unknown groups
    included; a group left out has none. ``population_share`` gives each population group's
    share (any positive numbers: they are divided by their sum). Raises ValueError as
    :func:`bot.synthesis.weighting.check_groups`.
    """
    population = check_groups(respondents_by_group, population_share, unknown)
    small = SMALL_GROUP
    known = sum(respondents_by_group.get(group, 0) for group in population_share)
    rows = []
    for group, raw_share in population_share.items():
        count = respondents_by_group.get(group, 0)
        share = raw_share / population
        hidden = 0 < count < small
        ratios = [_ratio(c, known, share) for c in (range(1, small) if hidden else [count])] if known else []
        rows.append(
            Row(
                group=group,
                respondents=None if hidden else count,
                sample_share=None if hidden or not known else round(count / known, DECIMALS),
                population_share=round(share, DECIMALS),
                ratio=None if hidden or not known else ratios[0],
                under_represented=_same(ratio < UNDER_REPRESENTED for ratio in ratios),
            )
        )
    counts = [Count(g, _shown(respondents_by_group.get(g, 0), small)) for g in unknown]
    return Representativeness(
        rows=rows,
        unknown=counts,
        known=known,
        total=known + sum(respondents_by_group.get(g, 0) for g in unknown),
    )


def _ratio(count: int, known: int, share: float) -> float:
    return round(count / known / share, DECIMALS)


def _same(flags: Iterable[bool]) -> bool | None:
    """The flag if every case gives the same one, else None (also for no case at all)."""
    seen = set(flags)
    return seen.pop() if len(seen) == 1 else None


def _shown(count: int, small: int) -> int | None:
    return None if 0 < count < small else count

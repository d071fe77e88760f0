"""Opinion groups among the residents' votes on each other's wishes, computed as Pol.is does.

Residents vote on approved wishes: agree (+1), disagree (−1) or pass (0); a wish a resident was
never shown is missing, not a pass. :func:`analyse` follows Pol.is's math (``math/src/polismath``
in compdemocracy/polis: ``conversation.clj``, ``pca.clj``, ``repness.clj``, ``stats.clj``):

1. **Who is placed.** Participants with at least ``min(min_votes, wishes)`` votes, 7 by default
   as Pol.is's ``in-conv``. (Pol.is also tops the set up to 15 participants with the most
   prolific voters and never drops anyone once in; a one-shot synthesis does neither.)
2. **Missing votes.** As Pol.is: each missing vote is replaced by the wish's mean vote (passes
   count as 0) for the PCA. After centring, an imputed entry is exactly 0, so the centred matrix
   keeps the sparsity of the votes: the principal components of Pol.is's imputed matrix come
   from sparse products only (subspace iteration, Pol.is's power iteration on twelve vectors at
   once). Unlike Pol.is, the PCA is fitted on the placed participants only.
3. **Positions.** Pol.is's sparsity-aware projection: a participant's position is the dot
   product of their centred votes (the ones they cast) with the two components, scaled by
   ``sqrt(wishes / votes cast)``, so that someone who voted little is not pulled to the centre.
4. **Groups.** k-means (``n_init`` fixed, seeded) for k from 2 to ``min(5, 2 + placed // 12)``
   (Pol.is's ``max-k``), k chosen by the silhouette, as Pol.is. Pol.is clusters 100 "base
   clusters" first and smooths k over successive updates; here the participants are clustered
   directly, once.
5. **Representative wishes** (Pol.is's ``repness``): for each group and wish, with ``n`` the
   group's votes on it (passes included) and ``a`` its agrees, ``pa = (a + 1) / (n + 2)``, the
   ratio ``ra = pa / pa_out`` with ``pa_out`` the same for the placed participants outside the
   group, the one-proportion z-test of ``pa`` against 1/2 and the two-proportion z-test of the
   group against the rest (both with Pol.is's +1 corrections). A wish represents the group when
   both tests pass at 90 % (z > 1.2816), for agreeing or for disagreeing (``d`` in place of
   ``a``); the group's wishes are ranked by ``ra × z_two × pa × z_one``, the best five kept,
   agrees first. Departure: Pol.is shows its best candidate even when no wish passes the tests;
   here a group may have none.
6. **Consensus.** A wish agreed by a majority of every group: in each group ``pa > 1/2`` and the
   one-proportion test at 90 % (Pol.is's consensus criterion, applied to each group rather than
   to everyone), ranked by Pol.is's group-aware consensus, the product over groups of ``pa``.

Groups and their wishes may be shown only when every group has at least
:data:`bot.synthesis.export.SMALL_GROUP` participants (:attr:`Opinions.shown`).

:func:`next_wish` picks the next wish to offer a resident with Pol.is's routing priority
(:func:`priority`), plus a documented share of plain "least-voted first" picks.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple

MIN_VOTES = 7
"""Votes a participant needs to be placed (Pol.is: ``(min 7 n-cmts)``)."""
MAX_GROUPS = 5
"""The most groups k-means may find (Pol.is's ``max-k``)."""
N_INIT = 10
"""k-means restarts for each k (seeded)."""
Z90 = 1.2816
"""One-sided z at 90 % (Pol.is's ``z-sig-90?``)."""
REPRESENTATIVES = 5
"""The most representative wishes kept per group (Pol.is: 5)."""
SILHOUETTE_SAMPLE = 10_000
"""Above this many participants, the silhouette is computed on a seeded sample of this size."""
THREADS = 1
"""OpenMP threads for k-means: on two cores shared with the bot and its database, scikit-learn's
spinning OpenMP threads made a 1,000-resident analysis take 5 to 16 s instead of 0.2 s."""
WORKING_MEMORY = 64
"""MiB of distances the silhouette computes at a time (scikit-learn's default, 1,024, took the
10,000-resident analysis from 280 MB to 980 MB peak RSS, for no gain in time)."""
DECIMALS = 9
"""Positions (before clustering), variance shares and extremities are rounded to this many
places, so that float noise does not make identical voters look distinct."""
SUBSPACE = 12
"""Vectors iterated together to find the two principal axes (two, plus ten to converge fast)."""
ITERATIONS = 30
"""Subspace iterations: the axes converge as (σ₁₃ / σ₂)^60."""
EXPLORE = 0.2
"""Share of :func:`next_wish` picks that go to a least-voted candidate (departure from Pol.is)."""
NEW_WISH_BOOST = 8.0
"""Pol.is's boost for new comments: ``1 + 8 × 2^(−S/5)``."""

Stance = Literal["agree", "disagree"]


class Vote(NamedTuple):
    """One vote: ``value`` is 1 (agree), −1 (disagree) or 0 (pass). A plain tuple does too."""

    participant: int
    wish: int
    value: int


@dataclass(frozen=True, slots=True)
class Counts:
    """Votes on one wish."""

    agree: int = 0
    disagree: int = 0
    passed: int = 0

    @property
    def seen(self) -> int:
        """Every vote cast on the wish, passes included (Pol.is's ``S``)."""
        return self.agree + self.disagree + self.passed


@dataclass(frozen=True, slots=True)
class Representative:
    """A wish that sets a group apart (Pol.is's ``repness`` entry)."""

    wish: int
    stance: Stance
    """Whether the group agrees with it more than the rest, or disagrees more."""
    n_success: int
    """Members of the group who voted that way."""
    n_trials: int
    """Members of the group who voted on the wish (passes included)."""
    p_success: float
    """``(n_success + 1) / (n_trials + 2)``."""
    p_test: float
    """z of the one-proportion test of ``p_success`` against 1/2."""
    repness: float
    """``p_success`` over the same probability for the placed participants outside the group."""
    repness_test: float
    """z of the two-proportion test, group against the rest."""

    @property
    def metric(self) -> float:
        """Pol.is's ranking metric: ``repness × repness_test × p_success × p_test``."""
        return self.repness * self.repness_test * self.p_success * self.p_test


@dataclass(frozen=True, slots=True)
class Group:
    """An opinion group: groups are numbered from 0, largest first."""

    id: int
    members: tuple[int, ...]
    """Participant ids, ascending."""
    centre: tuple[float, float]
    """Mean position of the members."""
    representatives: tuple[Representative, ...]
    """At most :data:`REPRESENTATIVES`, agrees first, each ranked by Pol.is's metric."""

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True, slots=True)
class Consensus:
    """A wish a majority of every group agrees with."""

    wish: int
    score: float
    """Pol.is's group-aware consensus: the product over groups of ``(agree + 1) / (seen + 2)``."""
    by_group: tuple[Counts, ...]
    """The votes of each group's members, in the order of :attr:`Opinions.groups`."""


@dataclass(frozen=True)
class Opinions:
    """The result of :func:`analyse`."""

    counts: Mapping[int, Counts]
    """Per wish voted on, every vote (placed participants or not)."""
    voters: int
    """Participants with at least one vote."""
    min_votes: int
    """Votes needed to be placed, as applied (``min(min_votes, wishes)``)."""
    positions: Mapping[int, tuple[float, float]]
    """Placed participants' positions on the two principal components."""
    explained: tuple[float, float]
    """Share of the (imputed, centred) votes' variance along each component."""
    extremity: Mapping[int, float]
    """Per wish, Pol.is's comment extremity (how far an agree with it alone projects); 0 for a
    wish no placed participant voted on. An input of :func:`next_wish`."""
    groups: tuple[Group, ...]
    silhouette: float | None
    """Silhouette of the chosen clustering; None with a single group."""
    consensus: tuple[Consensus, ...]
    """Best first."""
    shown: bool
    """Whether every group has at least :data:`SMALL_GROUP` members: only then may groups, their
    sizes, representative wishes and consensus be shown; otherwise only :attr:`counts`."""

    @property
    def placed(self) -> int:
        return len(self.positions)


def analyse(
    votes: Iterable[Vote | tuple[int, int, int]], *, min_votes: int = MIN_VOTES, seed: int = 0
) -> Opinions:
    """Opinion groups, their representative wishes and the consensus, from votes.

    A participant voting twice on one wish counts with their last vote. Only votes on wishes
    the moderators approved should be given. Deterministic for given votes and seed.
    """
    cast = list(votes)
    if not cast:
        return Opinions({}, 0, min_votes, {}, (0.0, 0.0), {}, (), None, (), shown=False)
    # numpy, scipy and scikit-learn only when there are votes: the bot (which routes wishes with
    # next_wish) and every command start without them.
    from bot.synthesis.opinion_math import analysed

    return analysed(cast, min_votes=min_votes, seed=seed)


def priority(counts: Counts, extremity: float = 0.0) -> float:
    """Pol.is's comment priority (``priority-metric`` in ``conversation.clj``).

    With ``A`` agrees, ``P`` passes, ``S`` votes and ``E`` the extremity:
    ``importance = (1 − (P + 1)/(S + 2)) × (E + 1) × (A + 1)/(S + 2)`` and
    ``priority = (importance × (1 + 8 × 2^(−S/5)))²``: few votes, divisive (extreme) wishes and
    agreed ones come first; passes push a wish back.
    """
    votes = counts.seen
    pass_rate = (counts.passed + 1) / (votes + 2)
    agree_rate = (counts.agree + 1) / (votes + 2)
    importance = (1 - pass_rate) * (extremity + 1) * agree_rate
    return float((importance * (1 + NEW_WISH_BOOST * 2 ** (-votes / 5))) ** 2)


def next_wish(
    candidates: Mapping[int, Counts],
    rng: random.Random,
    *,
    extremity: Mapping[int, float] | None = None,
    explore: float = EXPLORE,
) -> int | None:
    """The wish to offer next among ``candidates`` (the wishes the resident may still vote on,
    with their current counts); None when there is none.

    With probability ``1 − explore``, a weighted random choice by :func:`priority` (Pol.is);
    with probability ``explore``, one of the candidates with the fewest votes. Departure from
    Pol.is: its priority is proportional to the agree rate squared, so a wish most residents
    reject stalls after about ten votes; the least-voted picks give every approved wish enough
    votes to be analysed. ``extremity`` comes from the last :func:`analyse` (0 when unknown).
    """
    if not candidates:
        return None
    ids = sorted(candidates)
    if rng.random() < explore:
        fewest = min(candidates[w].seen for w in ids)
        return rng.choice([w for w in ids if candidates[w].seen == fewest])
    extremes = extremity or {}
    weights = [priority(candidates[w], extremes.get(w, 0.0)) for w in ids]
    return rng.choices(ids, weights=weights)[0]

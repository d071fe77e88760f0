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

import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    # scipy and scikit-learn are imported by the analysis only, so that the bot (which routes
    # wishes with next_wish) and every command start without them.
    from scipy import sparse  # type: ignore[import-untyped]

from bot.synthesis.export import SMALL_GROUP

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
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


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
    from scipy import sparse

    participant, wish, value = _collect(votes)
    if participant.size == 0:
        return Opinions({}, 0, min_votes, {}, (0.0, 0.0), {}, (), None, (), shown=False)
    participant_ids, row = np.unique(participant, return_inverse=True)
    wish_ids, col = np.unique(wish, return_inverse=True)
    wishes = len(wish_ids)
    agree, disagree, passed = (
        np.bincount(col, weights=value == v, minlength=wishes).astype(np.int64) for v in (1, -1, 0)
    )
    counts = {
        int(w): Counts(int(a), int(d), int(p))
        for w, a, d, p in zip(wish_ids, agree, disagree, passed, strict=True)
    }
    threshold = min(min_votes, wishes)
    per_participant = np.bincount(row, minlength=len(participant_ids))
    keep = per_participant >= threshold
    if not keep.any():
        return Opinions(
            counts, len(participant_ids), threshold, {}, (0.0, 0.0), {}, (), None, (), shown=False
        )

    kept = keep[row]
    new_row = (np.cumsum(keep) - 1)[row[kept]]
    col, value = col[kept], value[kept]
    placed_ids = participant_ids[keep]
    placed = len(placed_ids)
    cast = per_participant[keep].astype(np.float64)

    # Pol.is imputes a missing vote with the wish's mean: centred, the imputed entries are 0.
    seen = np.bincount(col, minlength=wishes)
    mean = np.bincount(col, weights=value.astype(np.float64), minlength=wishes) / np.maximum(seen, 1)
    centred = value - mean[col]
    matrix = sparse.csr_matrix((centred, (new_row, col)), shape=(placed, wishes))
    components, singular = _pca(matrix, seed)
    total = float(centred @ centred)
    explained = np.round(singular**2 / total, DECIMALS) if total > 0 else np.zeros(2)
    positions = np.asarray(matrix @ components.T) * np.sqrt(wishes / cast)[:, None]
    positions = np.round(positions, DECIMALS) + 0.0  # + 0.0 turns −0.0 into 0.0
    extremity = np.abs(1.0 - mean) * math.sqrt(wishes) * np.linalg.norm(components, axis=0)
    extremity = np.where(seen > 0, np.round(extremity, DECIMALS), 0.0)

    labels, silhouette = _cluster(positions, seed)
    k = int(labels.max()) + 1
    membership = sparse.csr_matrix((np.ones(placed), (labels, np.arange(placed))), shape=(k, placed))

    def by_group(mask: npt.NDArray[np.bool_]) -> IntArray:
        indicator = sparse.csr_matrix(
            (np.ones(int(mask.sum())), (new_row[mask], col[mask])), shape=(placed, wishes)
        )
        return np.asarray((membership @ indicator).toarray()).round().astype(np.int64)

    group_agree, group_disagree, group_seen = (
        by_group(value == 1),
        by_group(value == -1),
        by_group(np.ones(len(value), dtype=bool)),
    )
    representatives = _representatives(group_agree, group_disagree, group_seen, wish_ids) if k > 1 else [()]
    groups = tuple(
        Group(
            id=g,
            members=tuple(int(p) for p in placed_ids[labels == g]),
            centre=(
                float(positions[labels == g, 0].mean()),
                float(positions[labels == g, 1].mean()),
            ),
            representatives=representatives[g],
        )
        for g in range(k)
    )
    return Opinions(
        counts=counts,
        voters=len(participant_ids),
        min_votes=threshold,
        positions={int(p): (float(x), float(y)) for p, (x, y) in zip(placed_ids, positions, strict=True)},
        explained=(float(explained[0]), float(explained[1])),
        extremity={int(w): float(e) for w, e in zip(wish_ids, extremity, strict=True)},
        groups=groups,
        silhouette=silhouette,
        consensus=_consensus(group_agree, group_disagree, group_seen, wish_ids),
        shown=all(group.size >= SMALL_GROUP for group in groups),
    )


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


def _collect(votes: Iterable[Vote | tuple[int, int, int]]) -> tuple[IntArray, IntArray, IntArray]:
    """Participants, wishes and values as arrays, a repeated vote keeping its last value."""
    table = np.array([tuple(v) for v in votes], dtype=np.int64).reshape(-1, 3)
    if table.size and not np.isin(table[:, 2], (-1, 0, 1)).all():
        raise ValueError("a vote is 1 (agree), -1 (disagree) or 0 (pass)")
    # Reversed, the first occurrence of a (participant, wish) pair is its last vote.
    reverse = table[::-1]
    _, first = np.unique(reverse[:, :2], axis=0, return_index=True)
    unique = reverse[first]  # sorted by participant, then wish: sums in a fixed order
    return unique[:, 0], unique[:, 1], unique[:, 2]


def _pca(matrix: sparse.csr_matrix, seed: int) -> tuple[FloatArray, FloatArray]:
    """The two leading principal axes (2 × wishes) of an already centred matrix, and their
    singular values; zero axes where the matrix has fewer dimensions or no variance.

    Subspace iteration (Pol.is's power iteration, on :data:`SUBSPACE` vectors at once, from a
    seeded start): only sparse products and small dense factorisations, bit-for-bit
    reproducible, where ARPACK draws fresh random vectors from a hidden state on restarts.
    """
    cols = matrix.shape[1]
    components = np.zeros((2, cols))
    singular = np.zeros(2)
    if not np.any(matrix.data):
        return components, singular
    basis = np.random.default_rng(seed).standard_normal((cols, min(SUBSPACE, cols)))
    for _ in range(ITERATIONS):
        basis, _ = np.linalg.qr(matrix.T @ (matrix @ basis))
    _, values, vectors = np.linalg.svd(matrix @ basis, full_matrices=False)
    axes = vectors @ basis.T  # rows: the principal axes, in the wishes' space
    for i in range(min(2, len(values))):
        if values[i] <= 1e-9 * values[0]:
            break  # no variance left: an arbitrary axis would only carry noise
        axis = axes[i]
        # A fixed sign, so that the same votes always draw the same map.
        components[i] = axis if axis[np.argmax(np.abs(axis))] > 0 else -axis
        singular[i] = values[i]
    return components, singular


def _cluster(positions: FloatArray, seed: int) -> tuple[IntArray, float | None]:
    """Group labels (0 for the largest group) by k-means with k chosen by the silhouette."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    with threadpool_limits(limits=THREADS, user_api="openmp"):
        return _cluster_in(positions, seed)


def _cluster_in(positions: FloatArray, seed: int) -> tuple[IntArray, float | None]:
    from sklearn import config_context  # type: ignore[import-untyped]
    from sklearn.cluster import KMeans  # type: ignore[import-untyped]
    from sklearn.metrics import silhouette_score  # type: ignore[import-untyped]

    count = len(positions)
    distinct = len(np.unique(positions, axis=0))
    top = min(MAX_GROUPS, 2 + count // 12, distinct, count - 1)
    best: tuple[float, IntArray] | None = None
    for k in range(2, top + 1):
        labels = KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit(positions).labels_
        if len(np.unique(labels)) < 2:
            continue
        with config_context(working_memory=WORKING_MEMORY):
            score = float(
                silhouette_score(
                    positions,
                    labels,
                    sample_size=SILHOUETTE_SAMPLE if count > SILHOUETTE_SAMPLE else None,
                    random_state=seed,
                )
            )
        if best is None or score > best[0]:
            best = (score, np.asarray(labels, dtype=np.int64))
    if best is None:
        return np.zeros(count, dtype=np.int64), None
    score, labels = best
    # Canonical numbering: largest group first, then by its first member (rows are in id order).
    groups = np.unique(labels)
    order = sorted(groups, key=lambda g: (-int((labels == g).sum()), int(np.argmax(labels == g))))
    renumber = np.empty(len(groups), dtype=np.int64)
    renumber[order] = np.arange(len(groups))
    return renumber[labels], score


def _prop_test(success: IntArray, trials: IntArray) -> FloatArray:
    """Pol.is's one-proportion z-test against 1/2, with +1 on both counts."""
    n = trials + 1.0
    return np.asarray(2 * np.sqrt(n) * ((success + 1.0) / n - 0.5), dtype=np.float64)


def _two_prop_test(
    success_in: IntArray, success_out: IntArray, trials_in: IntArray, trials_out: IntArray
) -> FloatArray:
    """Pol.is's two-proportion z-test (group against the rest), with +1 on every count."""
    s1, s2, n1, n2 = success_in + 1.0, success_out + 1.0, trials_in + 1.0, trials_out + 1.0
    pooled = (s1 + s2) / (n1 + n2)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (s1 / n1 - s2 / n2) / spread
    return np.asarray(np.where(pooled >= 1, 0.0, z), dtype=np.float64)


def _representatives(
    agree: IntArray, disagree: IntArray, seen: IntArray, wish_ids: IntArray
) -> list[tuple[Representative, ...]]:
    """Per group (rows of the k × wishes counts), its representative wishes."""
    out_agree, out_disagree, out_seen = (m.sum(axis=0) - m for m in (agree, disagree, seen))
    p_agree, p_disagree = (agree + 1) / (seen + 2), (disagree + 1) / (seen + 2)
    agree_test, disagree_test = _prop_test(agree, seen), _prop_test(disagree, seen)
    ratio_agree = p_agree / ((out_agree + 1) / (out_seen + 2))
    ratio_disagree = p_disagree / ((out_disagree + 1) / (out_seen + 2))
    ratio_agree_test = _two_prop_test(agree, out_agree, seen, out_seen)
    ratio_disagree_test = _two_prop_test(disagree, out_disagree, seen, out_seen)
    passes_agree = (ratio_agree_test > Z90) & (agree_test > Z90)
    passes_disagree = (ratio_disagree_test > Z90) & (disagree_test > Z90)
    result = []
    for g in range(len(agree)):
        found = []
        for j in np.flatnonzero(passes_agree[g] | passes_disagree[g]):
            for_agree = passes_agree[g, j] and (
                not passes_disagree[g, j] or ratio_agree_test[g, j] >= ratio_disagree_test[g, j]
            )
            if for_agree:
                stats = (agree, p_agree, agree_test, ratio_agree, ratio_agree_test)
            else:
                stats = (disagree, p_disagree, disagree_test, ratio_disagree, ratio_disagree_test)
            n_success, p_success, p_test, repness, repness_test = (float(s[g, j]) for s in stats)
            found.append(
                Representative(
                    wish=int(wish_ids[j]),
                    stance="agree" if for_agree else "disagree",
                    n_success=int(n_success),
                    n_trials=int(seen[g, j]),
                    p_success=p_success,
                    p_test=p_test,
                    repness=repness,
                    repness_test=repness_test,
                )
            )
        best = sorted(found, key=lambda r: (-r.metric, r.wish))[:REPRESENTATIVES]
        result.append(tuple(sorted(best, key=lambda r: r.stance != "agree")))  # stable: agrees first
    return result


def _consensus(
    agree: IntArray, disagree: IntArray, seen: IntArray, wish_ids: IntArray
) -> tuple[Consensus, ...]:
    """Wishes a significant majority of every group agrees with, by group-aware consensus."""
    p_agree = (agree + 1) / (seen + 2)
    majority = ((p_agree > 0.5) & (_prop_test(agree, seen) > Z90)).all(axis=0)
    score = p_agree.prod(axis=0)
    found = [
        Consensus(
            wish=int(wish_ids[j]),
            score=float(score[j]),
            by_group=tuple(
                Counts(int(a), int(d), int(s - a - d))
                for a, d, s in zip(agree[:, j], disagree[:, j], seen[:, j], strict=True)
            ),
        )
        for j in np.flatnonzero(majority)
    ]
    return tuple(sorted(found, key=lambda c: (-c.score, c.wish)))

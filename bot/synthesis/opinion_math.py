"""The numerical part of :func:`bot.synthesis.opinions.analyse` (Pol.is's math, described
there), kept apart so that numpy and scipy are imported only when there are votes to analyse."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from scipy import sparse  # type: ignore[import-untyped]

from bot.synthesis.export import SMALL_GROUP
from bot.synthesis.opinions import (
    DECIMALS,
    ITERATIONS,
    MAX_GROUPS,
    N_INIT,
    REPRESENTATIVES,
    SILHOUETTE_SAMPLE,
    SUBSPACE,
    THREADS,
    WORKING_MEMORY,
    Z90,
    Consensus,
    Counts,
    Group,
    Opinions,
    Representative,
    Vote,
)  # fmt: skip

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def analysed(votes: Iterable[Vote | tuple[int, int, int]], *, min_votes: int, seed: int) -> Opinions:
    """:func:`bot.synthesis.opinions.analyse`, on at least one vote (it answers for none)."""
    participant, wish, value = _collect(votes)
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

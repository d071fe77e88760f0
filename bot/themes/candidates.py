"""Candidate new themes: groups of similar wishes « à classer », for the team to name.

Two wishes are alike when they are close in meaning and share words: their similarity is the
mean of the cosine of their vectors and the Jaccard index of their stems (meaning alone groups
wishes by style, words alone miss synonyms). Groups are then formed greedily, with no
randomness: the wish with the most like wishes around it, and those, make a group; then the
next, among the wishes left; groups smaller than :data:`MIN_SIZE` are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.themes.model import Vectors

LINK = 0.22
"""Wishes whose similarity reaches this are alike."""
MIN_SIZE = 5
"""The fewest wishes a candidate theme has."""
MOST = 6
"""The most candidate themes proposed at once."""
LIMIT = 3000
"""The most wishes « à classer » grouped (the similarity matrix is their number squared): past
it, the first by wish key (a fixed, arbitrary order) are."""


def similarity(vectors: Vectors, stems: Sequence[frozenset[str]]) -> Vectors:
    """Mean of the cosine similarity and the Jaccard index of the stems, for every pair."""
    vocabulary = {stem: index for index, stem in enumerate(sorted(set().union(*stems)))} if stems else {}
    present = np.zeros((len(stems), max(len(vocabulary), 1)), dtype=np.float32)
    for row, found in enumerate(stems):
        for stem in found:
            present[row, vocabulary[stem]] = 1
    shared = present @ present.T
    sizes = present.sum(axis=1)
    union = sizes[:, None] + sizes[None, :] - shared
    jaccard = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
    combined: Vectors = (vectors @ vectors.T + jaccard / 2).astype(np.float32)
    return combined


def groups(vectors: Vectors, stems: Sequence[frozenset[str]], order: Sequence[str]) -> list[list[int]]:
    """Groups of alike wishes (indices, the most central first), largest first.

    ``order`` gives each wish a sort key (its wish key) that breaks every tie.
    """
    if len(order) < MIN_SIZE:
        return []
    alike = similarity(vectors, stems) >= LINK
    np.fill_diagonal(alike, True)
    left = np.ones(len(order), dtype=bool)
    found: list[list[int]] = []
    while len(found) < MOST:
        counts = (alike & left[None, :]).sum(axis=1) * left
        seed = min(range(len(order)), key=lambda i: (-int(counts[i]), order[i]))
        if counts[seed] < MIN_SIZE:
            break
        members = [int(i) for i in np.flatnonzero(alike[seed] & left)]
        centre = vectors[members].mean(axis=0)
        closeness = vectors[members] @ centre
        ranked = sorted(range(len(members)), key=lambda i: (-float(closeness[i]), order[members[i]]))
        found.append([members[i] for i in ranked])
        left[members] = False
    return found

"""How the machine reads a wish against the codebook.

Every text, the wishes and each theme's label, description and examples alike, is read as an
answer to the consultation's question (« En 2030, ma métropole idéale : … ») and embedded; a
theme is the mean of its texts. What all these texts share, the question itself, is then taken
away (the mean of the codebook's texts is subtracted from every vector), so that what is left
is what a wish is about. A wish's scores are its cosine similarities to the themes; its
confidences are their softmax at a low temperature, beside a « none of them » score: a wish
close to no theme, or torn between several, gets a low confidence and goes « à classer ».

These settings were chosen on one half of the labelled test corpus (``tests/themes/``) and
checked on the other: see ``bench/README.md``. No randomness is involved: the same wishes and
codebook always give the same result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.themes.codebook import UNCLASSIFIED, Codebook
from bot.themes.corrections import Corrections, wish_key
from bot.themes.model import Embedder, Vectors

FRAME = "En 2030, ma métropole idéale : "
"""The question every text is read as an answer to."""
TEMPERATURE = 0.03
"""Of the softmax that turns similarities into confidences."""
NONE_SCORE = 0.12
"""The similarity of « none of the themes »: a wish whose best similarity is below it is more
likely to be about none."""
THRESHOLD = 0.4
"""The confidence below which a wish goes « à classer »."""
SECOND_RATIO = 0.5
"""A second theme is given when its confidence is at least this share of the first's…"""
SECOND_MIN = 0.2
"""…and at least this."""


def framed(texts: Iterable[str]) -> list[str]:
    """What the model reads for each text: the text as an answer to the question."""
    return [FRAME + text for text in texts]


def read_texts(codebook: Codebook, wishes: Iterable[str]) -> list[str]:
    """Every text the model reads to theme ``wishes`` with ``codebook``, as it reads them."""
    return framed(text for theme in codebook.themes for text in theme.texts) + framed(wishes)


def _unit(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    unit: Vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


@dataclass(frozen=True)
class Assignment:
    """The themes of one wish: at most two, best first, each with its confidence (0 to 1)."""

    key: str
    themes: tuple[str, ...]
    confidences: tuple[float, ...]
    nearest: str
    """The closest theme, even for a wish « à classer »."""
    nearest_confidence: float
    corrected: bool = False
    """Set by a staff correction rather than read by the machine (confidence 1)."""

    @property
    def unclassified(self) -> bool:
        return not self.themes

    @property
    def theme(self) -> str:
        """The first theme, or ``a_classer``."""
        return self.themes[0] if self.themes else UNCLASSIFIED


class ThemeReader:
    """The codebook, read by the model once; then any number of wishes read against it."""

    def __init__(
        self,
        codebook: Codebook,
        embedder: Embedder,
        *,
        threshold: float = THRESHOLD,
    ) -> None:
        if not 0 < threshold < 1:
            raise ValueError("the threshold is a confidence, between 0 and 1")
        self.codebook = codebook
        self.embedder = embedder
        self.threshold = threshold
        texts = [(index, text) for index, theme in enumerate(codebook.themes) for text in theme.texts]
        raw = embedder.embed(framed(text for _, text in texts))
        owner = np.array([index for index, _ in texts])
        self._common = raw.mean(axis=0)
        centres = np.stack([raw[owner == index].mean(axis=0) for index in range(len(codebook.themes))])
        self.centres = _unit(centres - self._common)

    def vectors(self, texts: Sequence[str]) -> Vectors:
        """The wishes' vectors, with what every answer shares taken away (each distinct text is
        embedded once)."""
        distinct = sorted(set(texts))
        if not distinct:
            return np.zeros((0, self.centres.shape[1]), dtype=np.float32)
        embedded = self.embedder.embed(framed(distinct))
        row = {text: index for index, text in enumerate(distinct)}
        return _unit(embedded[[row[text] for text in texts]] - self._common)

    def scores(self, vectors: Vectors) -> Vectors:
        """Cosine similarity of each wish (row) to each theme (column)."""
        return (vectors @ self.centres.T).astype(np.float32)

    def confidences(self, scores: Vectors) -> Vectors:
        """Each theme's confidence for each wish (rows sum to less than 1: the rest is « none »)."""
        logits = np.concatenate([scores, np.full((len(scores), 1), NONE_SCORE, np.float32)], axis=1)
        logits = logits / TEMPERATURE
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        confidences: Vectors = (exp / exp.sum(axis=1, keepdims=True))[:, :-1].astype(np.float32)
        return confidences

    def assign(
        self,
        texts: Sequence[str],
        corrections: Corrections | None = None,
        vectors: Vectors | None = None,
    ) -> list[Assignment]:
        """The themes of each wish, staff corrections first."""
        vectors = self.vectors(texts) if vectors is None else vectors
        confidences = self.confidences(self.scores(vectors))
        ids = self.codebook.ids
        result = []
        for text, row in zip(texts, confidences, strict=True):
            key = wish_key(text)
            order = sorted(range(len(ids)), key=lambda i: (-row[i], i))
            first, second = order[0], order[1]
            nearest, best = ids[first], round(float(row[first]), 4)
            corrected = corrections.get(key) if corrections is not None else None
            if corrected is not None:
                result.append(Assignment(key, corrected, (1.0,) * len(corrected), nearest, best, True))
                continue
            if best < self.threshold:
                result.append(Assignment(key, (), (), nearest, best))
                continue
            themes, kept = [nearest], [best]
            runner_up = float(row[second])
            if runner_up >= SECOND_MIN and runner_up >= SECOND_RATIO * best:
                themes.append(ids[second])
                kept.append(round(runner_up, 4))
            result.append(Assignment(key, tuple(themes), tuple(kept), nearest, best))
        return result

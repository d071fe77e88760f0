"""The labelled corpus of wishes (``corpus.csv``) and the accuracy metric of the themes.

``corpus.csv`` holds 353 wishes written as residents write (short and long, typos, no accents,
SMS style, emoji, Marseille words, a few in English, some about two or three topics), each with
its true theme ids (``;``-separated) from the shipped codebook, or ``hors_sujet`` for a wish
about no theme. Labels were written with the wishes, before any wish was themed.

**The metric.** A wish is read right when its first assigned theme is one of its true themes;
a wish left « à classer » is read wrong, unless it is about no theme (``hors_sujet``), which
is right only when left « à classer ». Accuracy is the share of wishes read right.

The corpus has two halves (by a hash of the wish): the reading's settings were chosen on the
first (``dev``) and checked on the second (``held-out``); both are reported by
``bench/themes.py``.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.themes import Assignment

CORPUS = Path(__file__).parent / "corpus.csv"
OFF_TOPIC = "hors_sujet"


@dataclass(frozen=True)
class Labelled:
    text: str
    themes: tuple[str, ...]

    @property
    def half(self) -> str:
        digest = int(hashlib.sha256(self.text.encode()).hexdigest(), 16)
        return "dev" if digest % 2 == 0 else "held-out"

    def right(self, theme: str | None) -> bool:
        """Whether ``theme`` (the first assigned, None for « à classer ») is right."""
        if self.themes == (OFF_TOPIC,):
            return theme is None
        return theme in self.themes


def load_corpus(path: Path = CORPUS) -> list[Labelled]:
    with path.open(encoding="utf-8", newline="") as corpus:
        return [Labelled(row["wish"], tuple(row["themes"].split(";"))) for row in csv.DictReader(corpus)]


def accuracy(corpus: Sequence[Labelled], first: Sequence[str | None], half: str | None = None) -> float:
    """The share of wishes (of one half, or all) whose first theme is right."""
    pairs = [(wish, theme) for wish, theme in zip(corpus, first, strict=True) if half in (None, wish.half)]
    return sum(wish.right(theme) for wish, theme in pairs) / len(pairs)


def first_themes(assignments: Sequence[Assignment]) -> list[str | None]:
    return [a.themes[0] if a.themes else None for a in assignments]

"""Themes of the wishes: accuracy on the labelled corpus next to keyword matching, and the time
to theme 10,000 wishes.

Accuracy uses the metric of ``tests/themes/corpus.py`` (first theme right; « à classer » wrong
unless the wish is about no theme) on the whole corpus and on its two halves (the reading's
settings were chosen on ``dev``; ``held-out`` was not looked at to choose them). The baseline
gives each wish the theme sharing the most word stems with the theme's label, description and
examples (the same stop words and stemmer), « à classer » when none shares any.

The 10,000 wishes are drawn from the corpus, with seeded variations so that each is distinct
(nothing is read twice); they are themed with summary, quotes and candidate themes, first with
nothing cached, then again with the vectors cached (``--cache``, what staff get when they
re-run after editing the codebook). Target: under a minute on a 2-core machine.

    python bench/themes.py [--wishes 10000]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))  # the corpus lives with the tests

from bot.themes import CachedEmbedder, Codebook, E5Embedder, Record, ThemeReader, load_codebook, theme_records
from bot.themes.words import stems
from tests.themes.corpus import Labelled, accuracy, first_themes, load_corpus

OPENINGS = ["", "Pour moi, ", "J'aimerais ", "Franchement ", "En 2030, ", "Je rêve d'", "Surtout "]
CLOSINGS = ["", " !", " svp", ", merci", " 🙏", " voilà", " et vite"]
PARADOXES = [f"p{i}" for i in range(1, 8)]
PERSONAS = ["malika", "laurence", "carlos", "sarah", "alain", "vartan", "none"]
TERRITORIES = ["marseille-provence", "pays-d-aix", "pays-salonais", "pays-d-aubagne", "istres-ouest", None]


def keywords(corpus: Sequence[Labelled], codebook: Codebook) -> list[str | None]:
    """The keyword-matching baseline: the theme sharing the most stems, in codebook order."""
    vocabulary = [stems(" ".join(theme.texts)) for theme in codebook.themes]
    first: list[str | None] = []
    for wish in corpus:
        found = stems(wish.text)
        shared = [len(found & words) for words in vocabulary]
        best = max(shared)
        first.append(codebook.ids[shared.index(best)] if best else None)
    return first


def wishes(corpus: Sequence[Labelled], count: int) -> list[str]:
    draw = random.Random(2030)
    texts = [wish.text for wish in corpus]
    made: dict[str, None] = {}
    while len(made) < count:
        text = draw.choice(texts)
        if draw.random() < 0.3:
            text = f"{text.rstrip(' .!')} et {draw.choice(texts)[0].lower()}{draw.choice(texts)[1:]}"
        made[f"{draw.choice(OPENINGS)}{text}{draw.choice(CLOSINGS)}"] = None
    return list(made)


def records(texts: Sequence[str]) -> list[Record]:
    draw = random.Random(13)
    return [
        Record(text, draw.choice(PARADOXES), draw.choice(PERSONAS), draw.choice(TERRITORIES), respondent=i)
        for i, text in enumerate(texts)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--wishes", type=int, default=10_000)
    args = parser.parse_args()
    codebook = load_codebook()
    corpus = load_corpus()
    embedder = E5Embedder()
    print(f"{platform.node()} {platform.platform()} nproc={os.cpu_count()} load={os.getloadavg()}")

    started = time.perf_counter()
    model = first_themes(ThemeReader(codebook, embedder).assign([wish.text for wish in corpus]))
    corpus_time = time.perf_counter() - started
    baseline = keywords(corpus, codebook)
    dev = sum(wish.half == "dev" for wish in corpus)
    print(f"corpus: {len(corpus)} wishes ({dev} dev), read in {corpus_time:.1f} s")
    print("| method | all | dev | held-out | « à classer » |")
    print("|---|---|---|---|---|")
    for name, first in (("codebook + model", model), ("keyword matching", baseline)):
        figures = [accuracy(corpus, first, half) for half in (None, "dev", "held-out")]
        left = sum(theme is None for theme in first)
        print(f"| {name} | " + " | ".join(f"{100 * f:.1f} %" for f in figures) + f" | {left} |")

    texts = wishes(corpus, args.wishes)
    mean = sum(map(len, texts)) / len(texts)
    print(f"{len(texts)} distinct wishes, {mean:.0f} characters on average")
    with tempfile.TemporaryDirectory() as folder:
        cache = CachedEmbedder(embedder, Path(folder) / "cache.npz")
        for run in ("first run", "cached re-run"):
            started = time.perf_counter()
            themes = theme_records(records(texts), codebook, embedder=cache)
            took = time.perf_counter() - started
            cache.save()
            print(
                f"{run}: {took:.1f} s ({len(texts) / took:.0f} wishes/s), "
                f"{themes.unclassified} à classer, {len(themes.candidates)} candidate themes"
            )


if __name__ == "__main__":
    main()

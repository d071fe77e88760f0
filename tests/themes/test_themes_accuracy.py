"""The machine reads at least three wishes in four right, on a labelled corpus written as
residents write, and always the same way (see ``corpus.py`` for the corpus and the metric)."""

from __future__ import annotations

import random
import re

import pytest

from bot.themes import Assignment, Codebook, E5Embedder, ThemeReader
from tests.themes.corpus import OFF_TOPIC, Labelled, accuracy, first_themes, load_corpus

Read = tuple[list[Labelled], list[Assignment]]


@pytest.fixture(scope="module")
def read(embedder: E5Embedder, codebook: Codebook) -> Read:
    corpus = load_corpus()
    return corpus, ThemeReader(codebook, embedder).assign([wish.text for wish in corpus])


def test_the_corpus_is_large_varied_and_labelled_with_the_codebook(codebook: Codebook) -> None:
    corpus = load_corpus()
    assert len(corpus) >= 300
    assert len({wish.text for wish in corpus}) == len(corpus)
    labels = {theme for wish in corpus for theme in wish.themes}
    assert labels <= {*codebook.ids, OFF_TOPIC}
    assert len(labels - {OFF_TOPIC}) >= 6
    assert sum(len(wish.themes) > 1 for wish in corpus) >= 30  # mixed topics
    assert sum(len(wish.text) > 150 for wish in corpus) >= 15  # long ones
    assert sum(len(wish.text) < 40 for wish in corpus) >= 60  # short ones
    assert sum(bool(re.search(r"\b(the|and|for|more)\b", wish.text)) for wish in corpus) >= 10  # English
    assert sum(bool(re.search(r"[\U0001F300-\U0001FAFF☀]", wish.text)) for wish in corpus) >= 8  # emoji
    assert sum(bool(re.search(r"\b(minots?|degun|cagnard)\b", wish.text)) for wish in corpus) >= 3
    assert {"dev", "held-out"} == {wish.half for wish in corpus}


def test_at_least_three_wishes_in_four_are_read_right(read: Read) -> None:
    corpus, assignments = read
    first = first_themes(assignments)
    overall = accuracy(corpus, first)
    halves = {half: round(accuracy(corpus, first, half), 3) for half in ("dev", "held-out")}
    assert overall >= 0.75, (overall, halves)


def test_wishes_about_no_theme_are_left_a_classer(read: Read) -> None:
    corpus, assignments = read
    off_topic = [a for wish, a in zip(corpus, assignments, strict=True) if wish.themes == (OFF_TOPIC,)]
    assert sum(a.unclassified for a in off_topic) >= 0.75 * len(off_topic)
    assert sum(a.unclassified for a in assignments) <= len(assignments) // 10


def test_confidences_and_second_themes_are_consistent(read: Read) -> None:
    _, assignments = read
    for a in assignments:
        assert len(a.themes) == len(a.confidences) <= 2
        assert all(0 < c <= 1 for c in a.confidences)
        assert list(a.confidences) == sorted(a.confidences, reverse=True)
        assert a.unclassified or (a.themes[0] == a.nearest and a.confidences[0] >= 0.4)
    assert any(len(a.themes) == 2 for a in assignments)


def test_the_same_wishes_and_codebook_give_the_same_themes(
    read: Read, embedder: E5Embedder, codebook: Codebook
) -> None:
    """Whatever else is read with them and in whatever order: no randomness, no batch effect."""
    corpus, assignments = read
    indices = list(range(len(corpus)))
    random.Random(7).shuffle(indices)
    some = indices[:120]
    again = ThemeReader(codebook, embedder).assign([corpus[i].text for i in some])
    assert again == [assignments[i] for i in some]

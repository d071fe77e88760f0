"""Staff corrections: keyed by the wish's words, respected by every later run."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import load_content
from bot.errors import ContentError
from bot.storage import Database
from bot.synthesis.export import ExportFilter
from bot.themes import Codebook, E5Embedder, load_corrections, theme_answers, theme_records, wish_key
from bot.themes.summary import Record
from tests.themes.conftest import Wish, write


def test_a_wish_key_ignores_case_spacing_and_unicode_form() -> None:
    key = wish_key("Plus de bus à Aubagne")
    assert key == wish_key("  plus de  BUS à\nAubagne ") == wish_key("Plus de bus a\u0300 Aubagne")
    assert key != wish_key("Plus de bus à Aix")
    assert key.startswith("W-") and len(key) == 18


def corrections_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "corrections.csv"
    path.write_text(text, encoding="utf-8-sig")
    return path


def test_a_corrections_file_is_read_whatever_its_separator_and_extra_columns(
    tmp_path: Path, codebook: Codebook
) -> None:
    bus, loyer, vague = wish_key("bus"), wish_key("loyer"), wish_key("bof")
    path = corrections_file(
        tmp_path,
        f"wish_key;theme;theme_2;wish\n{bus};transports;;« bus »\n\n{loyer};logement;solidarite;x\n{vague};a_classer;;\n",
    )
    corrections = load_corrections(path, codebook)
    assert dict(corrections.themes) == {bus: ("transports",), loyer: ("logement", "solidarite"), vague: ()}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("wish_key,theme\n{key},transport\n", "line 2: unknown theme 'transport' (known: transports, "),
        ("wish_key,theme\n17,transports\n", "line 2: '17' is not a wish key (W- and 16 hex digits)"),
        (
            "key,theme\n{key},transports\n",
            "line 1: missing column(s) wish_key (expected wish_key, theme, theme_2)",
        ),
        ("wish_key,theme\n{key},transports\n{key},logement\n", "line 3: W-"),
        (
            "wish_key,theme,theme_2\n{key},a_classer,logement\n",
            "line 2: a_classer cannot go with another theme",
        ),
        ("wish_key,theme\n{key},\n", "line 2: no theme for W-"),
    ],
)
def test_a_mistake_in_the_corrections_file_is_one_line_naming_the_line(
    tmp_path: Path, codebook: Codebook, content: str, problem: str
) -> None:
    path = corrections_file(tmp_path, content.format(key=wish_key("un souhait")))
    with pytest.raises(ContentError) as error:
        load_corrections(path, codebook)
    message = str(error.value)
    assert message.startswith(f"{path}: {problem}") and "\n" not in message


def test_a_missing_corrections_file_is_one_line(tmp_path: Path, codebook: Codebook) -> None:
    with pytest.raises(ContentError, match=r"corrections.csv: file not found$"):
        load_corrections(tmp_path / "corrections.csv", codebook)


def test_corrections_override_the_machine(tmp_path: Path, codebook: Codebook, embedder: E5Embedder) -> None:
    wishes = [
        "des bus toutes les dix minutes",
        "des loyers abordables",
        "je sais pas trop",
        "un tram la nuit",
    ]
    records = [Record(text, "p1", "malika", respondent=i) for i, text in enumerate(wishes)]
    before = theme_records(records, codebook, embedder=embedder)
    assert [a.theme for a in before.assignments][:2] == ["transports", "logement"]
    path = corrections_file(
        tmp_path,
        "wish_key,theme,theme_2\n"
        f"{wish_key('Des bus toutes les dix  minutes')},emploi,transports\n"  # as a re-export may write it
        f"{wish_key('des loyers abordables')},a_classer,\n"
        f"{wish_key('je sais pas trop')},participation,\n"
        f"{wish_key('a wish since changed')},culture,\n",
    )
    after = theme_records(records, codebook, load_corrections(path, codebook), embedder)
    bus, rent, vague, tram = after.assignments
    assert (bus.themes, bus.confidences, bus.corrected) == (("emploi", "transports"), (1.0, 1.0), True)
    assert (rent.unclassified, rent.corrected) == (True, True)
    assert (vague.themes, vague.corrected) == (("participation",), True)
    assert tram == before.assignments[3]
    assert (after.corrections_applied, after.corrections_unused) == (3, 1)
    assert not after.candidates  # a wish staff put « à classer » is not proposed again


async def test_corrections_apply_to_the_answers_in_the_database_by_their_words(
    database: Database, tmp_path: Path, codebook: Codebook, embedder: E5Embedder
) -> None:
    """The key is the wish, not the answer's id: a database restored or moved keeps them."""
    await write(
        database,
        Wish("Plus de pistes cyclables"),
        Wish("plus de pistes cyclables", "p2"),
        Wish("Des crèches"),
    )
    path = corrections_file(tmp_path, f"wish_key,theme\n{wish_key('plus de pistes cyclables')},nature\n")
    themes = await theme_answers(
        database, load_content(), codebook, load_corrections(path, codebook), embedder
    )
    assert [a.themes for a in themes.assignments] == [("nature",), ("nature",), ("education",)]
    only_p2 = await theme_answers(
        database,
        load_content(),
        codebook,
        load_corrections(path, codebook),
        embedder,
        where=ExportFilter(paradox="p2"),
    )
    assert [r.text for r in only_p2.records] == ["plus de pistes cyclables"]

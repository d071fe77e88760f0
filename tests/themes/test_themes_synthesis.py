"""The themes in the synthesis: a column and a sheet of the workbook, a section of the report —
or a line saying they were not computed and how to get them — and, in the chat, themes read
from the vectors the server keeps, never minutes of the model."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bot.config import Settings
from bot.content import load_content
from bot.i18n import I18n
from bot.storage import Database
from bot.synthesis.export import Exporter, ExportFilter
from bot.synthesis.report import build_report
from bot.synthesis.workbook import write_workbook
from bot.themes import Codebook, E5Embedder, Themes
from bot.themes.codebook import SHIPPED
from bot.themes.model import Vectors
from bot.themes.synthesis import (
    CACHE_NAME,
    CHAT_NEW_WISHES,
    ThemeRequest,
    Unthemed,
    Why,
    chat_themes,
    compute_themes,
    theme_request,
)
from tests.themes.conftest import Wish, write
from tests.themes.test_themes_cli import WISHES
from tests.words import words

CONTENT = load_content()
t = words("fr")
reader = I18n("fr")("fr")
"""What the code is given: codebook labels are not content texts that ``words`` knows."""
NOW = datetime(2017, 5, 31, 16, 45, tzinfo=UTC)


def rows(book: Any, sheet: str) -> list[tuple[Any, ...]]:
    return list(book[sheet].iter_rows(values_only=True))


async def themed(database: Database, codebook: Codebook, embedder: E5Embedder) -> Themes:
    themes = await compute_themes(
        database, CONTENT, ThemeRequest(codebook, SHIPPED, None, cache=None), None, embedder
    )
    assert isinstance(themes, Themes)
    return themes


async def test_the_workbook_has_each_wishs_themes_and_a_themes_sheet(
    database: Database, codebook: Codebook, embedder: E5Embedder
) -> None:
    await write(database, *WISHES)
    themes = await themed(database, codebook, embedder)
    out = io.BytesIO()
    await write_workbook(out, Exporter(database, CONTENT), ExportFilter(), reader, NOW, themes=themes)
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))

    answers = rows(book, t._("Réponses"))
    headers = answers[0]
    wish = headers.index(t._("Métropole idéale en 2030"))
    assert headers[wish + 1 : wish + 6] == (
        t._("Thème"), t._("Confiance"), t._("Thème 2"), t._("Confiance 2"), t._("Clé du souhait")
    )  # fmt: skip
    by_wish = {row[wish]: row[wish + 1 : wish + 6] for row in answers[1:]}
    theme, confidence, _, _, key = by_wish["plus de bus et de trams le soir"]
    assert theme == "Transports et déplacements"
    assert isinstance(confidence, int | float) and 0.4 <= confidence <= 1, "a number, above the threshold"
    assert isinstance(key, str) and key.startswith("W-") and len(key) == 18
    unclassified = by_wish["je sais pas trop"]
    assert (
        unclassified[0] == t._("à classer")
        and isinstance(unclassified[1], int | float)
        and unclassified[1] < 0.4
    )
    assert book[t._("Réponses")].cell(2, wish + 3).number_format == "0.00"

    assert book.sheetnames[-1] == t._("Thèmes")
    sheet = rows(book, t._("Thèmes"))
    cells = [cell for row in sheet for cell in row if cell is not None]
    assert sheet[0][0] == t._("Thèmes des souhaits")
    shares = {row[0]: row[1:3] for row in sheet[3:20] if row[0]}
    assert shares["Transports et déplacements"] == (5, pytest.approx(5 / 7)), "numbers, not text"
    assert shares["Logement"] == ("< 5", "< 5"), "one respondent: no figure"
    for title in ("Thèmes par paradoxe", "Thèmes par habitant choisi", "Thèmes par territoire"):
        assert t._(title) in cells
    # Three representative wishes of transport, with their paradox and persona; nothing from
    # p2, which two respondents chose; never a pseudonym.
    quotes = [row for row in sheet if isinstance(row[1], str) and row[1].startswith("« ")]
    assert len([row for row in quotes if row[2] == "p1"]) == 3
    assert all(row[2] == "p1" and row[3] == "Malika" for row in quotes)
    assert not any("loyers abordables" in str(cell) for cell in cells)
    assert not any(str(cell).startswith("R-") for cell in cells)

    readme = {row[0]: row for row in rows(book, t._("Lisez-moi")) if row[0]}
    assert readme[t._("Thème")][1] == "theme" and readme[t._("Clé du souhait")][1] == "wish_key"


async def test_without_themes_the_workbook_and_report_say_how_to_get_them(database: Database) -> None:
    await write(database, *WISHES)
    out = io.BytesIO()
    await write_workbook(out, Exporter(database, CONTENT), ExportFilter(), reader, NOW)
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    line = Unthemed(Why.NOT_ASKED).line(t)
    assert "--themes" in line
    assert rows(book, t._("Thèmes"))[2][0] == line
    assert t._("Thème") not in rows(book, t._("Réponses"))[0], "no empty columns"
    assert line in [row[0] for row in rows(book, t._("Lisez-moi"))]

    html = (await build_report(database, CONTENT, reader, NOW)).html
    assert t._("Les thèmes des souhaits") in html and line.replace("'", "&#x27;") in html
    assert t._("Quelques souhaits pour 2030") in html, "the recent wishes instead"


async def test_the_report_quotes_each_frequent_theme_with_paradox_and_persona(
    database: Database, codebook: Codebook, embedder: E5Embedder
) -> None:
    await write(database, *WISHES)
    themes = await themed(database, codebook, embedder)
    html = (await build_report(database, CONTENT, reader, NOW, themes)).html
    assert t._("Les thèmes des souhaits") in html
    assert "Transports et déplacements" in html
    assert "71,4" in html, "5 of 7 wishes, with the share"
    footer = t._("Paradoxe {number} · habitant choisi : {persona}", number=1, persona="Malika")
    assert f"<footer>Transports et déplacements · {footer}</footer>" in html
    assert "loyers abordables" not in html, "p2: two respondents"
    assert t._("Quelques souhaits pour 2030") not in html, "quoted by theme instead"


class Counting:
    """The real model, counting the texts it is asked to read."""

    def __init__(self) -> None:
        self.read = 0

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original = E5Embedder.embed

        def embed(model: E5Embedder, texts: Sequence[str]) -> Vectors:
            self.read += len(texts)
            return original(model, texts)

        monkeypatch.setattr(E5Embedder, "embed", embed)


async def test_the_chat_reads_themes_from_the_servers_vectors_and_never_many_wishes(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    model = Counting()
    model.install(monkeypatch)
    await write(database, *WISHES)

    # Never computed on the server: the chat does not start now.
    never = await chat_themes(database, CONTENT, settings, "/stats")
    assert never == Unthemed(Why.NOT_READ, command="/stats") and model.read == 0
    assert "fabrique-bot themes" in never.line(t) and "/stats" in never.line(t)

    # `fabrique-bot themes` (or report --themes, package) keeps the vectors in DATA_DIR.
    assert isinstance(await compute_themes(database, CONTENT, theme_request(settings)), Themes)
    assert (tmp_path / "data" / CACHE_NAME).is_file()
    model.read = 0
    assert isinstance(await chat_themes(database, CONTENT, settings, "/stats"), Themes)
    assert model.read == 0, "everything read already"

    # A few new wishes are read in the chat; more wait for the server.
    await write(
        database, *(Wish(f"un nouveau souhait numéro {i}", "p3", "sarah") for i in range(3)), start=50
    )
    assert isinstance(themes := await chat_themes(database, CONTENT, settings, "/export"), Themes)
    assert model.read == 3 and len(themes.records) == len(WISHES) + 3
    many = [Wish(f"encore un autre souhait, le {i}e", "p4", "alain") for i in range(CHAT_NEW_WISHES + 1)]
    await write(database, *many, start=100)
    model.read = 0
    later = await chat_themes(database, CONTENT, settings, "/export")
    assert later == Unthemed(Why.NOT_READ, new=CHAT_NEW_WISHES + 1, command="/export") and model.read == 0
    assert f"{CHAT_NEW_WISHES + 1} souhaits" in later.line(t).replace("\u202f", " ")


async def test_a_broken_corrections_file_leaves_the_chat_without_themes_and_says_why(
    database: Database, tmp_path: Path
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    (tmp_path / "data").mkdir(exist_ok=True)
    corrections = tmp_path / "data" / "themes-corrections.csv"
    corrections.write_text("wish_key,theme\nW-0123456789abcdef,transport\n", encoding="utf-8")
    result = await chat_themes(database, CONTENT, settings, "/stats")
    assert isinstance(result, Unthemed) and result.why is Why.BROKEN
    assert f"{corrections}: line 2: unknown theme 'transport'" in result.line(t)

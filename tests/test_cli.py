"""``fabrique-bot`` as operators run it: a real process, one-line errors, and a restart mid-dialog."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.content import CONTENT_DIR
from bot.personas import CATALOGUE
from bot.sandbox import BotApiSandbox
from bot.storage import Answer, Database
from tests.conftest import TOKEN
from tests.dialogs.test_resident_dialog import WISH, accept
from tests.phone import Phone
from tests.words import words

t = words("fr")


def environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "STAFF_"))}
    # WEB_PORT 0: the health server takes any free port, whatever else runs on this machine.
    return {**keep, "DATA_DIR": str(tmp_path / "data"), "WEB_PORT": "0", **variables}


def cli(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=environment(tmp_path, **variables),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = cli(tmp_path, "run", "--port", str(taken.getsockname()[1]))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("fabrique-bot: cannot listen for HTTP: ")


def test_check_reports_the_content_it_validated(tmp_path: Path) -> None:
    result = cli(tmp_path, "check", TELEGRAM_BOT_TOKEN=TOKEN)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok: 7 paradoxes, 12 personas, 5 values, 10 stages"


def test_a_malformed_token_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    result = cli(tmp_path, "run", TELEGRAM_BOT_TOKEN="123:short")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "fabrique-bot: TELEGRAM_BOT_TOKEN is malformed (see the configuration table in README.md)"
    ]


def test_a_broken_content_file_is_one_line_naming_file_and_field(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.copy(CATALOGUE, content / "personas.yaml")
    values = content / "values.yaml"
    values.write_text(values.read_text(encoding="utf-8").replace("name:", "nom:", 1), encoding="utf-8")
    result = cli(tmp_path, "check", TELEGRAM_BOT_TOKEN=TOKEN, CONTENT_DIR=str(content))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"fabrique-bot: {values}: values[0].name: Field required"]


def test_db_upgrade_creates_the_database(tmp_path: Path) -> None:
    result = cli(tmp_path, "db", "upgrade", TELEGRAM_BOT_TOKEN=TOKEN)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "fabrique.sqlite3").is_file()


@asynccontextmanager
async def bot_process(
    tmp_path: Path, url: str, **variables: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``fabrique-bot run`` as a real process against the sandbox, killed at the end if still up."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=environment(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=url, **variables),
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_resident_continues_at_the_same_step_after_the_bot_is_killed(
    telegram: tuple[BotApiSandbox, str], tmp_path: Path
) -> None:
    sandbox, url = telegram
    resident = Phone(sandbox, 5001, "fr")
    async with bot_process(tmp_path, url) as first:
        await accept(resident, t)
        await resident.tap(t._("Répondre ▶"))
        await resident.tap("Malika")
        first.send_signal(signal.SIGKILL)
        await first.wait()

    async with bot_process(tmp_path, url) as second:
        values = await resident.send(WISH)
        assert "✓" in (values.text or "")
        assert t.content("Authenticité") in resident.buttons(values)
        await resident.send("2 1 3 4 5")
        await resident.tap(t._("✅ Je confirme"))
        assert "Merci !" in resident.text
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), timeout=30) == 0, "SIGTERM stops the bot cleanly"

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'fabrique.sqlite3'}")
    try:
        async with database.session() as session:
            (answer,) = (await session.scalars(select(Answer))).all()
    finally:
        await database.close()
    assert (answer.persona_id, answer.wish, answer.ranking.split(",")[0]) == ("malika", WISH, "ouverture")


@pytest.mark.parametrize("args", [("--help",), ("sandbox", "--help")])
def test_help_is_available(tmp_path: Path, args: tuple[str, ...]) -> None:
    assert cli(tmp_path, *args).returncode == 0

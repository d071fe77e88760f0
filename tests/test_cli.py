"""``fabrique-bot`` as operators run it: a real process, one-line errors, and a restart mid-dialog."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import alembic.command
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.content import CONTENT_DIR
from bot.personas import CATALOGUE
from bot.sandbox import BotApiSandbox
from bot.sandbox.errors import ApiError
from bot.storage import Answer, Database
from bot.storage.database import alembic_config
from bot.typography import french
from tests.conftest import POSTGRES, TOKEN, postgres_database
from tests.dialogs.test_resident_dialog import accept
from tests.journey import WISH
from tests.phone import Phone
from tests.words import words

t = words("fr")


def environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "STAFF_"))}
    # WEB_PORT 0: the health server takes any free port, whatever else runs on this machine.
    return {**keep, "DATA_DIR": str(tmp_path / "data"), "WEB_PORT": "0", **variables}


async def cli(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """``fabrique-bot …`` in a process of its own, awaited: a Bot API sandbox or a bot running in
    this test's event loop goes on answering meanwhile."""
    return await spawn(tmp_path, args, variables)


async def spawn(
    tmp_path: Path, args: tuple[str, ...], variables: dict[str, str], *, stdout: int = subprocess.PIPE
) -> subprocess.CompletedProcess[str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=tmp_path,
        env=environment(tmp_path, **variables),
        stdout=stdout,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return subprocess.CompletedProcess(args, process.returncode, (out or b"").decode(), err.decode())


def one_line(result: subprocess.CompletedProcess[str], *secrets: str) -> str:
    """The one line an operator's mistake ends in: on stderr, no traceback, no secret, exit 2."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    for secret in (TOKEN.partition(":")[2], *secrets):
        assert secret not in result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("fabrique-bot: ")
    return line.removeprefix("fabrique-bot: ")


def closed_port() -> int:
    """A port nothing listens on: bound, then closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.mark.parametrize("token", [None, ""], ids=["unset", "empty"])
async def test_a_port_in_use_is_one_line(tmp_path: Path, token: str | None) -> None:
    """Without a token (``TELEGRAM_BOT_TOKEN=`` as .env.example ships it too), ``run`` is the preview."""
    variables = {} if token is None else {"TELEGRAM_BOT_TOKEN": token}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = await cli(tmp_path, "run", "--port", str(taken.getsockname()[1]), **variables)
    assert one_line(result).startswith("cannot listen for HTTP: ")


async def test_check_reports_content_database_and_bot_each_on_a_line(
    telegram: tuple[BotApiSandbox, str], tmp_path: Path
) -> None:
    sandbox, url = telegram
    where = tmp_path / "data" / "fabrique.sqlite3"
    content = "ok: 7 paradoxes, 12 personas, 5 values, 10 stages"
    bot = f"ok: bot @{sandbox.bot.username} at {url}"
    # Spaces around a pasted token are not part of it.
    first = await cli(tmp_path, "check", TELEGRAM_BOT_TOKEN=f" {TOKEN} ", TELEGRAM_API_URL=url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        content,
        f"ok: no database at {where} yet: `fabrique-bot run` creates it",
        bot,
    ]
    assert not where.parent.exists(), "check creates nothing"
    assert (await cli(tmp_path, "db", "upgrade")).returncode == 0
    second = await cli(tmp_path, "check", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=url)
    assert second.stdout.splitlines() == [content, f"ok: database at {where}, schema up to date", bot]


async def test_check_fails_on_each_part_that_fails_each_on_a_line(
    telegram: tuple[BotApiSandbox, str], tmp_path: Path
) -> None:
    _, url = telegram
    rejected = "654321:REJECTED-abcdefghijklmnopqrstuvwxyz"
    database = f"postgresql+asyncpg://fabrique:hunter2-secret@127.0.0.1:{closed_port()}/fabrique"
    result = await cli(
        tmp_path, "check", TELEGRAM_BOT_TOKEN=rejected, TELEGRAM_API_URL=url, DATABASE_URL=database
    )
    assert result.returncode == 2
    assert result.stdout.splitlines() == ["ok: 7 paradoxes, 12 personas, 5 values, 10 stages"]
    database_line, bot_line = result.stderr.splitlines()
    assert database_line.startswith(
        "fabrique-bot: cannot reach the database at postgresql+asyncpg://fabrique:***@"
    )
    assert (
        bot_line
        == f"fabrique-bot: the Bot API at {url} rejected TELEGRAM_BOT_TOKEN: copy it again from @BotFather"
    )
    assert "hunter2" not in result.stderr and "REJECTED" not in result.stderr


@pytest.mark.parametrize(
    "command", [("export", "answers.csv"), ("stats",), ("report", "report.html"), ("purge",)]
)
@pytest.mark.parametrize("data_dir", ["default", "elsewhere"])
async def test_a_command_reading_a_missing_database_names_it_and_creates_nothing(
    tmp_path: Path, command: tuple[str, ...], data_dir: str
) -> None:
    """Run from the wrong folder, or with DATA_DIR=/nonexistent/deep: one line naming the file
    looked for, and not a folder, database or output file created."""
    variables = {"RETENTION_UNTIL": "2017-04-30"}
    if data_dir == "elsewhere":
        variables["DATA_DIR"] = str(tmp_path / "nonexistent" / "deep")
    where = Path(variables.get("DATA_DIR", tmp_path / "data")) / "fabrique.sqlite3"
    line = one_line(await cli(tmp_path, *command, **variables))
    assert line == f"no database at {where}: set DATA_DIR (or DATABASE_URL) to the bot's database"
    assert os.listdir(tmp_path) == []


async def test_a_command_reading_a_database_without_the_schema_refuses_it(
    database_url: str, tmp_path: Path
) -> None:
    """An empty PostgreSQL database, or an empty SQLite file: not the bot's database."""
    database = Database(database_url)
    if database.file is not None:
        database.file.parent.mkdir()
        database.file.touch()
    line = one_line(
        await cli(tmp_path, "export", "answers.csv", DATABASE_URL=database_url), "postgres:postgres"
    )
    assert (
        line == f"the database at {database.location} has no tables: set DATABASE_URL to the bot's database"
    )
    assert not (tmp_path / "answers.csv").exists()


async def test_a_database_at_an_older_schema_must_be_upgraded_first(tmp_path: Path) -> None:
    path = tmp_path / "data" / "fabrique.sqlite3"
    path.parent.mkdir()
    await asyncio.to_thread(alembic.command.upgrade, alembic_config(sqlite_url(path)), "0001")
    line = one_line(await cli(tmp_path, "stats"))
    assert (
        line == f"the database at {path} is not at this version's schema: run `fabrique-bot db upgrade` first"
    )
    assert (await cli(tmp_path, "db", "upgrade")).returncode == 0
    assert (await cli(tmp_path, "stats")).returncode == 0


def postgres(**parts: str) -> str:
    """The tests' PostgreSQL server's URL with some parts changed (skips without a server)."""
    if not POSTGRES:
        pytest.skip("no PostgreSQL server: set TEST_POSTGRES_URL (see .ci/run)")
    return make_url(POSTGRES).set(**parts).render_as_string(hide_password=False)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (
            lambda: f"postgresql+asyncpg://fabrique:hunter2-secret@127.0.0.1:{closed_port()}/fabrique",
            ": connection refused (is PostgreSQL running there? check the host and port in DATABASE_URL)",
        ),
        (
            lambda: "postgresql+asyncpg://fabrique:hunter2-secret@no-such-host.invalid/fabrique",
            ": unknown host (is PostgreSQL running there? check the host and port in DATABASE_URL)",
        ),
        (
            lambda: postgres(password="hunter2-secret"),
            " refused the login: check the password in DATABASE_URL",
        ),
        (
            lambda: postgres(database=f"fabrique_missing_{uuid.uuid4().hex[:8]}"),
            " does not exist on that server: create it, or fix its name in DATABASE_URL",
        ),
    ],
    ids=["refused", "unknown-host", "wrong-password", "unknown-database"],
)
@pytest.mark.parametrize("command", [("stats",), ("run",)])
async def test_an_unreachable_postgresql_is_one_line_without_its_password(
    telegram: tuple[BotApiSandbox, str],
    tmp_path: Path,
    url: Callable[[], str],
    problem: str,
    command: tuple[str, ...],
) -> None:
    database_url = url()
    location = make_url(database_url).render_as_string(hide_password=True)
    result = await cli(
        tmp_path, *command, DATABASE_URL=database_url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram[1]
    )
    line = one_line(result, f":{make_url(database_url).password}@", "hunter2")
    assert line.endswith(problem)
    assert location in line


@pytest.mark.parametrize(
    ("database_url", "message"),
    [
        (
            "postgresql+psycopg2://fabrique:hunter2-secret@db/fabrique",
            "DATABASE_URL: the psycopg2 driver is not supported: write postgresql+asyncpg://…",
        ),
        (
            "mysql://fabrique:hunter2-secret@db/fabrique",
            "DATABASE_URL: mysql is not supported (use postgresql+asyncpg://user:password@host/name "
            "or sqlite+aiosqlite:////path/to/fabrique.sqlite3)",
        ),
        (
            "sqlite+aiosqlite://",
            "DATABASE_URL: a SQLite database in memory would lose every answer: give a file path",
        ),
        (
            "hunter2-secret",
            "DATABASE_URL: not a database URL (expected postgresql+asyncpg://user:password@host/name "
            "or sqlite+aiosqlite:////path/to/fabrique.sqlite3)",
        ),
    ],
)
async def test_an_unsupported_database_url_is_one_line(
    tmp_path: Path, database_url: str, message: str
) -> None:
    assert one_line(await cli(tmp_path, "stats", DATABASE_URL=database_url), "hunter2") == message


async def test_database_urls_without_the_async_driver_name_it_implicitly(tmp_path: Path) -> None:
    """``sqlite:///…`` and ``postgresql://…`` as SQLAlchemy and hosting platforms write them: the
    bot has one driver per database, so there is nothing to choose."""
    url = f"sqlite:///{tmp_path / 'fabrique.sqlite3'}"
    assert (await cli(tmp_path, "db", "upgrade", DATABASE_URL=url)).returncode == 0
    result = await cli(tmp_path, "export", "answers.csv", DATABASE_URL=url)
    assert result.stdout.strip() == "ok: 0 answers written to answers.csv", result.stderr
    if POSTGRES:
        async with postgres_database() as admin:
            plain = make_url(admin).set(drivername="postgresql").render_as_string(hide_password=False)
            assert (await cli(tmp_path, "db", "upgrade", DATABASE_URL=plain)).returncode == 0


async def test_no_route_to_telegram_is_one_line(tmp_path: Path) -> None:
    api = f"http://127.0.0.1:{closed_port()}"
    line = one_line(await cli(tmp_path, "run", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api))
    assert (
        line
        == f"cannot reach the Bot API at {api}: connection refused (check the network, or TELEGRAM_API_URL)"
    )
    assert not (tmp_path / "data").exists(), "nothing created before Telegram knows the bot"


async def test_a_token_telegram_rejects_is_one_line_without_any_of_it(
    telegram: tuple[BotApiSandbox, str], tmp_path: Path
) -> None:
    _, url = telegram
    rejected = "654321:REJECTED-abcdefghijklmnopqrstuvwxyz"
    result = await cli(tmp_path, "run", TELEGRAM_BOT_TOKEN=rejected, TELEGRAM_API_URL=url)
    line = one_line(result, "654321", "REJECTED")
    assert line == f"the Bot API at {url} rejected TELEGRAM_BOT_TOKEN: copy it again from @BotFather"


async def test_a_refused_webhook_is_one_line(telegram: tuple[BotApiSandbox, str], tmp_path: Path) -> None:
    sandbox, url = telegram
    sandbox.faults.fail("setWebhook", ApiError(400, "Bad Request: bad webhook: Failed to resolve host"))
    secret = "webhook-secret-0123456789"
    result = await cli(
        tmp_path,
        "run",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=url,
        WEBHOOK_URL="https://bot.example.org",
        WEBHOOK_SECRET=secret,
    )
    assert one_line(result, secret) == (
        "Telegram refused the webhook https://bot.example.org/telegram: Bad webhook: failed to resolve host "
        "(WEBHOOK_URL must be a public HTTPS address Telegram can reach, on port 443, 80, 88 or 8443)"
    )


async def test_a_database_the_bot_cannot_write_stops_it_at_start(
    telegram: tuple[BotApiSandbox, str], tmp_path: Path
) -> None:
    """Tests run as root here, and root writes whatever the permissions: a read-only file is
    simulated by SQLite's own read-only mode (``?mode=ro``, the SQLITE_READONLY a chmod gives
    other users), an unopenable one by a folder where the file should be, and a DATA_DIR that
    cannot be created by one under a file."""
    _, url = telegram
    assert (await cli(tmp_path, "db", "upgrade")).returncode == 0
    path = tmp_path / "data" / "fabrique.sqlite3"
    read_only = f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"
    run = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": url}
    assert one_line(await cli(tmp_path, "run", DATABASE_URL=read_only, **run)) == (
        f"the SQLite database {path} is read-only: the bot's user must be able to write the file and its folder"
    )
    folder = tmp_path / "folder.sqlite3"
    folder.mkdir()
    assert one_line(await cli(tmp_path, "run", DATABASE_URL=sqlite_url(folder), **run)) == (
        f"cannot open the SQLite database {folder}: it must be a file the bot's user can write, "
        "in a folder it can write (see DATA_DIR)"
    )
    under_a_file = tmp_path / "data" / "fabrique.sqlite3" / "data"
    assert one_line(await cli(tmp_path, "run", DATA_DIR=str(under_a_file), **run)) == (
        f"cannot create the folder of the SQLite database {under_a_file}/fabrique.sqlite3: Not a directory "
        "(set DATA_DIR to a folder the bot's user can write)"
    )


async def test_a_locked_database_is_one_line(tmp_path: Path) -> None:
    """Another process holds SQLite's write lock longer than the bot waits for it (10 s)."""
    assert (await cli(tmp_path, "db", "upgrade")).returncode == 0
    path = tmp_path / "data" / "fabrique.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        result = await cli(tmp_path, "purge", RETENTION_UNTIL="2017-04-30")
    finally:
        holder.close()
    assert one_line(result) == (
        f"the SQLite database {path} stayed locked by another process for 10 s: "
        "try again, or end that process's transaction (a sqlite3 shell left open?)"
    )


async def test_an_output_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    """A missing folder, a folder where the file should be, a file where the charts' folder
    should be (root writes through permissions, so those stand for an unwritable path)."""
    assert (await cli(tmp_path, "db", "upgrade")).returncode == 0
    (tmp_path / "taken").mkdir()
    (tmp_path / "a-file").touch()
    hint = "(choose a folder that exists and you can write)"
    cases = [
        (("export", "missing/answers.csv"), f"{tmp_path}/missing/answers.csv: No such file or directory"),
        (("export", "taken"), f"{tmp_path}/taken: Is a directory"),
        (("report", "missing/report.html"), f"{tmp_path}/missing/report.html: No such file or directory"),
        (("stats", "--charts", "a-file"), f"{tmp_path}/a-file: File exists"),
    ]
    for command, problem in cases:
        assert one_line(await cli(tmp_path, *command)) == f"cannot write {problem} {hint}"
    assert not (tmp_path / "missing").exists()


async def test_a_reader_that_stops_reading_ends_stats_quietly(tmp_path: Path) -> None:
    """``fabrique-bot stats | head -1``: the reader is gone before the figures are printed."""
    assert (await cli(tmp_path, "db", "upgrade")).returncode == 0
    read, write = os.pipe()
    os.close(read)
    try:
        result = await spawn(tmp_path, ("stats",), {}, stdout=write)
    finally:
        os.close(write)
    assert result.returncode == 1
    assert result.stderr == ""


async def test_the_shipped_env_example_runs_the_commands_that_need_no_token(tmp_path: Path) -> None:
    """.env.example as shipped: every variable empty, WEBHOOK_URL an example (no token, no webhook)."""
    shutil.copy(Path(__file__).parent.parent / ".env.example", tmp_path / ".env")
    assert (await cli(tmp_path, "db", "upgrade")).returncode == 0
    result = await cli(tmp_path, "export", "answers.csv")
    assert (result.returncode, result.stderr) == (0, "")


async def test_a_malformed_token_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    result = await cli(tmp_path, "run", TELEGRAM_BOT_TOKEN="123:short-secret")
    assert one_line(result, "short-secret") == (
        "TELEGRAM_BOT_TOKEN is malformed (see the configuration table in README.md)"
    )


async def test_a_broken_content_file_is_one_line_naming_file_and_field(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.copy(CATALOGUE, content / "personas.yaml")
    values = content / "values.yaml"
    values.write_text(values.read_text(encoding="utf-8").replace("name:", "nom:", 1), encoding="utf-8")
    result = await cli(tmp_path, "check", CONTENT_DIR=str(content))
    assert one_line(result) == f"{values}: values[0].name: Field required"


async def test_db_upgrade_creates_the_database(tmp_path: Path) -> None:
    result = await cli(tmp_path, "db", "upgrade", DATA_DIR=str(tmp_path / "new" / "data"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new" / "data" / "fabrique.sqlite3").is_file()


@asynccontextmanager
async def bot_process(
    tmp_path: Path, url: str, stderr: int = asyncio.subprocess.DEVNULL, /, **variables: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``fabrique-bot run`` as a real process against the sandbox, killed at the end if still up;
    its stderr where ``stderr`` says (nowhere by default)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=environment(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=url, **variables),
        stderr=stderr,
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
        # The reply in flight at the kill may come again first (one duplicate per crash at most).
        before = len(resident.messages)
        await sandbox.send_text(resident.user_id, WISH)
        values = await resident.wait_for_message(
            lambda m: t.content("Authenticité") in resident.buttons(m), after=before
        )
        assert "✓" in (values.text or "")
        assert len(resident.messages) - before <= 2
        await resident.send("2 1 3 4 5")
        await resident.tap(t._("✅ Je confirme"))
        assert french("Merci !") in resident.text
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
async def test_help_is_available(tmp_path: Path, args: tuple[str, ...]) -> None:
    assert (await cli(tmp_path, *args)).returncode == 0

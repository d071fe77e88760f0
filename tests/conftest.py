"""Fixtures: the local Bot API server, the real bot Application polling it, and residents' phones."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.application import Fabrique, build
from bot.config import Settings
from bot.runtime import polling
from bot.sandbox import BotApiSandbox
from bot.storage import Database
from tests.phone import Phone

TOKEN = "123456:SANDBOX-TOKEN-abcdefghijklmnopqrstuv"


class FixedClock:
    """A clock that moves only when a test says so."""

    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
async def telegram() -> AsyncIterator[tuple[BotApiSandbox, str]]:
    sandbox = BotApiSandbox(token=TOKEN)
    async with sandbox.serve(host="127.0.0.1", port=0) as url:
        yield sandbox, url


@pytest.fixture
def sandbox(telegram: tuple[BotApiSandbox, str]) -> BotApiSandbox:
    return telegram[0]


POSTGRES = os.environ.get("TEST_POSTGRES_URL")
"""A PostgreSQL server for the tests (an admin URL, e.g. postgresql+asyncpg://u:p@127.0.0.1/postgres);
``.ci/run`` starts one. Without it, the PostgreSQL variants skip — except in CI, where they fail."""


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test; its SQLAlchemy URL."""
    if not POSTGRES:
        if os.environ.get("CI"):
            pytest.fail("TEST_POSTGRES_URL is not set: CI must run the PostgreSQL tests")
        pytest.skip("no PostgreSQL server: set TEST_POSTGRES_URL (see .ci/run)")
    admin_url = make_url(POSTGRES)
    name = f"fabrique_test_{uuid.uuid4().hex[:12]}"
    dsn = admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Every test of the bot runs on a SQLite file and on a PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'fabrique.sqlite3'}"
        return
    async with postgres_database() as url:
        yield url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """An empty database at the current schema, on each backend."""
    database = Database(database_url)
    await database.upgrade()
    yield database
    await database.close()


@pytest.fixture
def settings(telegram: tuple[BotApiSandbox, str], tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_api_url=telegram[1],
        data_dir=tmp_path / "data",
        database_url=database_url,
        staff_ids=frozenset({4242}),
        # Tests tap faster than any resident; the flood tests restore Telegram's 1/s per chat.
        per_chat_rate=100.0,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2017, 4, 20, 10, 0, tzinfo=UTC))


@asynccontextmanager
async def running(settings: Settings, clock: FixedClock) -> AsyncIterator[Fabrique]:
    """The bot, polling the sandbox as ``fabrique-bot run`` does, until the block ends."""
    async with polling(build(settings, clock), poll_timeout=5) as fabrique:
        yield fabrique


@pytest.fixture
async def bot(settings: Settings, clock: FixedClock) -> AsyncIterator[Fabrique]:
    async with running(settings, clock) as fabrique:
        yield fabrique


Cli = Callable[..., Awaitable[subprocess.CompletedProcess[str]]]


@pytest.fixture
def fabrique_bot(bot: Fabrique, tmp_path: Path) -> Cli:
    """``await fabrique_bot(…)``: ``fabrique-bot …`` as an operator runs it, on the running
    bot's database; keyword arguments are more environment variables. Awaited, so that the bot
    in this process goes on while the command runs (a write would otherwise wait for the bot's
    transaction that a blocked event loop never ends: « database is locked »)."""
    from tests.test_cli import cli

    return lambda *args, **variables: cli(tmp_path, *args, DATABASE_URL=bot.settings.database, **variables)


@pytest.fixture
def phone(sandbox: BotApiSandbox, bot: Fabrique) -> Callable[..., Phone]:
    """Make a resident's phone: ``phone(user_id, language_code="fr")``."""

    def make(user_id: int = 1001, language_code: str | None = "fr") -> Phone:
        return Phone(sandbox, user_id, language_code)

    return make

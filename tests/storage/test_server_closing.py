"""PostgreSQL closing the bot's connections (a restart, an administrator ending sessions): the
pooled connections it closed are replaced when next taken, before any statement fails on them,
and the resident is answered as usual."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.application import Fabrique
from tests.conftest import postgres_database
from tests.dialogs.test_resident_dialog import accept
from tests.phone import Phone
from tests.words import words

t = words("fr")


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    """PostgreSQL only: SQLite has no server to close the bot's connections."""
    async with postgres_database() as url:
        yield url


async def test_connections_the_server_closed_are_replaced_and_the_resident_answered(
    phone: Callable[..., Phone], bot: Fabrique, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    resident = phone(1001, "fr")
    await accept(resident, t)
    url = make_url(database_url)
    admin = await asyncpg.connect(
        url.set(drivername="postgresql", database="postgres").render_as_string(False)
    )
    try:
        # Each ended before the count goes on (up to 5 s each): their sockets are closed.
        ended = await admin.fetchval(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
            "WHERE datname = $1",
            url.database,
        )
        assert ended >= 2, "the pool's connections and the line locks' one"
    finally:
        await admin.close()
    caplog.clear()
    reply = await resident.tap(t._("Répondre ▶"))
    assert t._("Répondre ▶") not in resident.buttons(reply), "the next screen"
    failures = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert failures == [], "no statement failed on a closed connection, nothing was tried again"

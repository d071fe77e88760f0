"""Webhook mode: the secret is checked, updates flow, health and metrics answer, stops are clean."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.application import Fabrique, build
from bot.config import Settings
from bot.runtime import webhook
from bot.sandbox import BotApiSandbox
from tests.conftest import TOKEN, FixedClock
from tests.dialogs.test_resident_dialog import accept
from tests.phone import Phone
from tests.test_cli import environment
from tests.words import words

t = words("fr")
SECRET = "a-webhook-secret-of-some-length"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def hooked(settings: Settings, clock: FixedClock) -> AsyncIterator[tuple[Fabrique, str]]:
    port = free_port()
    configured = settings.model_copy(
        update={"webhook_url": f"http://127.0.0.1:{port}", "webhook_secret": SECRET, "web_port": port}
    )
    fabrique = build(configured, clock)
    async with webhook(fabrique, "127.0.0.1", port) as url:
        yield fabrique, url


async def test_updates_arrive_through_the_webhook(
    hooked: tuple[Fabrique, str], sandbox: BotApiSandbox
) -> None:
    info = sandbox.updates.webhook_info()
    assert info["url"].endswith("/telegram")
    resident = Phone(sandbox, 9301, "fr")
    await accept(resident, t)
    assert t._("Répondre ▶") in resident.buttons()


@pytest.mark.parametrize("secret", [None, "", "not-the-secret-at-all", SECRET[:-1]])
async def test_a_wrong_or_missing_secret_is_rejected_and_nothing_is_handled(
    hooked: tuple[Fabrique, str], sandbox: BotApiSandbox, secret: str | None
) -> None:
    _fabrique, url = hooked
    sandbox.add_user(9302, "Mallory", language_code="fr")
    update = {
        "update_id": 999_999,
        "message": {"message_id": 1, "date": 0, "chat": {"id": 9302, "type": "private"},
                    "from": {"id": 9302, "is_bot": False, "first_name": "Mallory"}, "text": "/start",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}]},
    }  # fmt: skip
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with (
        aiohttp.ClientSession() as client,
        client.post(f"{url}/telegram", json=update, headers=headers) as answer,
    ):
        assert answer.status == 403
    async with aiohttp.ClientSession() as client, client.get(f"{url}/metrics") as metrics:
        assert "fabrique_updates_handled_total{" not in await metrics.text()
    assert sandbox.bot_messages(9302) == []


USER = {"id": 9304, "is_bot": False, "first_name": "Inès", "language_code": "fr"}
UNASKED_UPDATES: list[dict[str, object]] = [
    {"poll": {"id": "5", "persistent_id": "p5", "question": "Tram ?", "options": [], "total_voter_count": 3,
              "is_closed": True, "is_anonymous": True, "type": "regular", "allows_multiple_answers": False,
              "allows_revoting": False, "members_only": False}},
    {"poll_answer": {"poll_id": "5", "user": USER, "option_ids": [0], "option_persistent_ids": ["o1"]}},
    {"channel_post": {"message_id": 3, "date": 0, "chat": {"id": -1009, "type": "channel", "title": "Infos"},
                      "text": "Réunion publique jeudi"}},
    {"message_reaction": {"chat": {"id": 9304, "type": "private"}, "message_id": 1, "date": 0, "user": USER,
                          "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}},
    {"chosen_inline_result": {"result_id": "1", "from": USER, "query": "x"}},
    {"chat_join_request": {"chat": {"id": -1009, "type": "channel", "title": "Infos"}, "from": USER,
                           "user_chat_id": 9304, "date": 0}},
]  # fmt: skip
"""Kinds of update the bot does not ask for: should any arrive, they are ignored without error."""


async def post_update(url: str, update: dict[str, object]) -> str:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with (
        aiohttp.ClientSession() as client,
        client.post(f"{url}/telegram", json=update, headers=headers) as answer,
    ):
        assert answer.status == 200
        return await answer.text()


def sample(fabrique: Fabrique, name: str) -> float:
    return fabrique.metrics.registry.get_sample_value(name) or 0.0


async def test_update_kinds_the_bot_did_not_ask_for_are_ignored_without_error(
    hooked: tuple[Fabrique, str], sandbox: BotApiSandbox
) -> None:
    fabrique, url = hooked
    sandbox.add_user(9304, "Inès", language_code="fr")
    for number, body in enumerate(UNASKED_UPDATES):
        await post_update(url, {"update_id": 500_000 + number, **body})
    handled = "fabrique_update_handling_seconds_count"
    await sandbox.wait_for(lambda: sample(fabrique, handled) == len(UNASKED_UPDATES), timeout=10)
    assert sample(fabrique, "fabrique_update_errors_total") == 0
    assert sandbox.bot_messages(9304) == []


async def test_an_update_that_cannot_be_read_is_acknowledged_and_dropped(
    hooked: tuple[Fabrique, str], sandbox: BotApiSandbox
) -> None:
    fabrique, url = hooked
    broken = {"update_id": 600_000, "poll": {"id": "5", "question": "Sans options ni identifiant"}}
    assert await post_update(url, broken) == "ok", "acknowledged: Telegram must not retry it forever"
    errors = "fabrique_update_errors_total"
    await sandbox.wait_for(lambda: sample(fabrique, errors) == 1, timeout=10)
    resident = Phone(sandbox, 9305, "fr")
    await accept(resident, t)


async def test_health_readiness_and_metrics(
    hooked: tuple[Fabrique, str], sandbox: BotApiSandbox, settings: Settings
) -> None:
    fabrique, url = hooked
    resident = Phone(sandbox, 9303, "fr")
    await accept(resident, t)
    async with aiohttp.ClientSession() as client:
        async with client.get(f"{url}/healthz") as health:
            assert (health.status, await health.json()) == (200, {"status": "ok"})
        async with client.get(f"{url}/readyz") as ready:
            assert ready.status == 200
        async with client.get(f"{url}/metrics") as metrics:
            text = await metrics.text()
        assert 'fabrique_updates_handled_total{kind="message"} 1.0' in text
        assert 'fabrique_updates_handled_total{kind="callback_query"} 1.0' in text
        assert "fabrique_update_handling_seconds_count 2.0" in text
        await take_down(fabrique)  # the database goes away: the process is up, but not ready
        async with client.get(f"{url}/readyz") as ready:
            assert ready.status == 503
        async with client.get(f"{url}/healthz") as health:
            assert health.status == 200


async def take_down(fabrique: Fabrique) -> None:
    """Make the bot's database unreachable: the SQLite file's folder, or the PostgreSQL database."""
    url = make_url(fabrique.settings.database)
    if fabrique.database.is_sqlite:
        folder = Path(str(url.database)).parent
        folder.rename(folder.with_name("gone"))
        folder.write_text("not a folder")
    else:
        admin = await asyncpg.connect(
            url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        )
        await admin.execute(f'DROP DATABASE "{url.database}" WITH (FORCE)')
        await admin.close()
    await fabrique.database.engine.dispose()  # open connections would keep the old file


async def test_sigterm_finishes_the_update_in_flight(
    telegram: tuple[BotApiSandbox, str], tmp_path: Path
) -> None:
    sandbox, api = telegram
    port = free_port()
    variables = {
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": api, "WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "WEBHOOK_SECRET": SECRET, "WEB_PORT": str(port),
    }  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=environment(tmp_path, **variables),
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        resident = Phone(sandbox, 9304, "fr")
        await accept(resident, t)
        sandbox.faults.slow("sendMessage", delay=2.0, chat_id=resident.user_id)
        before = len(resident.messages)
        await sandbox.send_text(resident.user_id, "/help")
        await sandbox.wait_for(lambda: not sandbox.pending_updates, timeout=10)  # delivered to the bot
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
        assert len(resident.messages) == before + 1, "the reply in flight was finished before stopping"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert os.environ.get("WEBHOOK_URL") is None


async def raw_post(url: str, head: bytes, body: bytes = b"", *, method: bytes = b"POST") -> int:
    """Send bytes as they are (headers that are not ASCII included); the answer's status."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        method + b" /telegram HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + head + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )  # fmt: skip
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


GOOD = b"X-Telegram-Bot-Api-Secret-Token: " + SECRET.encode() + b"\r\nContent-Type: application/json\r\n"
NESTED = b'{"update_id": 1, "message": ' + b"[" * 500 + b"]" * 500 + b"}"
MALFORMED = {
    "secret that is not ASCII": (b"X-Telegram-Bot-Api-Secret-Token: caf\xc3\xa9\xff\r\n", b"{}", b"POST"),
    "deeply nested JSON": (GOOD, b"[" * 100_000 + b"]" * 100_000, b"POST"),
    "deeply nested update": (GOOD, NESTED, b"POST"),
    "invalid JSON": (GOOD, b'{"update_id": 1, "message": ', b"POST"),
    "invalid UTF-8": (GOOD, b'{"update_id": 1, "x": "\xff\xfe"}', b"POST"),
    "JSON that is not an object": (GOOD, b'["update_id", 1]', b"POST"),
    "object without an update id": (GOOD, b'{"message": {"text": "hello"}}', b"POST"),
    "update id past 64 bits": (GOOD, b'{"update_id": 9223372036854775808, "message": {}}', b"POST"),
    "huge body": (GOOD, b'{"update_id": 1, "x": "' + b"a" * 3_000_000 + b'"}', b"POST"),
    "wrong content type": (GOOD.replace(b"application/json", b"text/plain"), b'{"update_id": 1}', b"POST"),
    "wrong method": (GOOD, b"", b"GET"),
}


@pytest.mark.parametrize("case", MALFORMED)
async def test_malformed_webhook_requests_get_a_4xx_and_one_log_line_at_most(
    hooked: tuple[Fabrique, str], sandbox: BotApiSandbox, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    fabrique, url = hooked
    head, body, method = MALFORMED[case]
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="aiohttp.access")  # as `fabrique-bot run` sets it
    caplog.clear()
    status = await raw_post(url, head, body, method=method)
    assert 400 <= status < 500, f"{case}: {status}"
    assert len(caplog.records) <= 1, [r.getMessage() for r in caplog.records]
    assert not any(
        r.exc_info or "café" in r.getMessage() or "hello" in r.getMessage() for r in caplog.records
    )
    assert sample(fabrique, "fabrique_update_errors_total") == 0
    resident = Phone(sandbox, 9306, "fr")
    await accept(resident, t)  # and the bot goes on


async def test_a_redelivered_update_is_handled_once(
    hooked: tuple[Fabrique, str], sandbox: BotApiSandbox
) -> None:
    """Telegram sends an update again when it missed the answer: the same ``update_id`` twice,
    here at the same time, gets one reply."""
    fabrique, url = hooked
    sandbox.add_user(9305, "Inès", language_code="fr")
    update = {
        "update_id": 600_000,
        "message": {
            "message_id": 1, "date": 1_700_000_000, "text": "/help",
            "chat": {"id": 9305, "type": "private", "first_name": "Inès"},
            "from": {"id": 9305, "is_bot": False, "first_name": "Inès", "language_code": "fr"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }  # fmt: skip
    answers = await asyncio.gather(post_update(url, update), post_update(url, update))
    assert list(answers) == ["ok", "ok"], "both deliveries are acknowledged"
    await sandbox.wait_for(lambda: len(sandbox.bot_messages(9305)) >= 1, timeout=10)
    await asyncio.wait_for(fabrique.lines.idle(), timeout=10)
    later = await post_update(url, update)  # and once more, after it was handled
    assert later == "ok"
    await asyncio.wait_for(fabrique.lines.idle(), timeout=10)
    assert len(sandbox.bot_messages(9305)) == 1, "one reply for one update"

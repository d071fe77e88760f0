"""Resident throughput: 1,000 residents through the whole dialog, every Bot API call 50 ms late.

The local Bot API server runs in its own process with ``--latency 0.05``; simulated residents
(this process) each go through one paradox — /start, consent, « Répondre », a persona, a
wish, a typed ranking, confirm — acting as soon as the bot has answered. Measured: updates
per second, and the time from each action to the bot's answer (p50, p99). The same run
drives the baseline, a plain python-telegram-bot ConversationHandler bot doing the same dialog
(bench/baseline_bot.py), and Fabrique on SQLite and, with ``--postgres URL`` (an admin URL),
on PostgreSQL. Target: at least 1,000 updates/s on SQLite with p99 under 500 ms, nothing lost.

    python bench/throughput.py --residents 1000 [--postgres postgresql+asyncpg://u:p@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from sqlalchemy.engine import make_url

from bot.sandbox.sandbox import DEFAULT_TOKEN

WISH = "Une métropole où l’on circule facilement entre les communes, à pied, à vélo et en bus."
ACTIONS: list[tuple[str, str]] = [
    ("text", "/start"), ("tap", ""), ("tap", ""), ("tap", ""),
    ("text", WISH), ("text", "3 1 5 2 4"), ("tap", ""),
]  # fmt: skip
FIRST_ID = 5_000_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Residents:
    """The simulated residents and what they see, followed through the sandbox's event stream."""

    def __init__(self, url: str, count: int) -> None:
        self.url = url
        self.count = count
        self.latest: dict[int, dict[str, Any]] = {}
        self.replies: dict[int, int] = defaultdict(int)
        self.changed: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
        self.latencies: list[float] = []
        self.updates = 0

    async def follow(self, client: aiohttp.ClientSession, since: int) -> None:
        headers = {"Accept": "text/event-stream"}
        async with client.get(
            f"{self.url}/sandbox/events?since={since}", headers=headers, timeout=None
        ) as stream:
            async for raw in stream.content:
                line = raw.decode().strip()
                if not line.startswith("data:"):
                    continue
                event = json.loads(line[5:])
                message = event["data"].get("message")
                if event["type"] == "message" and message["from_bot"]:
                    chat = event["chat_id"]
                    self.latest[chat] = message
                    self.replies[chat] += 1
                    self.changed[chat].set()

    async def act(self, client: aiohttp.ClientSession, chat: int) -> None:
        for kind, text in ACTIONS:
            before = self.replies[chat]
            self.changed[chat].clear()
            started = time.monotonic()
            if kind == "text":
                body: dict[str, Any] = {"text": text, "user_id": chat}
                path = f"chats/{chat}/messages"
            else:
                message = self.latest[chat]
                button = message["reply_markup"]["inline_keyboard"][0][0]
                body = {"data": button["callback_data"], "user_id": chat}
                path = f"chats/{chat}/messages/{message['message_id']}/press"
            async with client.post(f"{self.url}/sandbox/{path}", json=body) as answer:
                answer.raise_for_status()
            self.updates += 1
            while self.replies[chat] <= before:
                await asyncio.wait_for(self.changed[chat].wait(), timeout=1800)
                self.changed[chat].clear()
            self.latencies.append(time.monotonic() - started)


async def drive(url: str, count: int) -> dict[str, float]:
    residents = Residents(url, count)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as client:
        async with client.get(f"{url}/sandbox/events?since=0&timeout=0") as snapshot:
            since = (await snapshot.json())["last_seq"]
        follower = asyncio.create_task(residents.follow(client, since))
        started = time.monotonic()
        await asyncio.gather(*(residents.act(client, FIRST_ID + i) for i in range(count)))
        wall = time.monotonic() - started
        follower.cancel()
    latencies = sorted(residents.latencies)
    return {
        "updates": residents.updates,
        "updates_per_second": round(residents.updates / wall, 1),
        "p50_ms": round(1000 * statistics.median(latencies)),
        "p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))]),
        "answered": sum(1 for i in range(count) if residents.replies[FIRST_ID + i] == len(ACTIONS)),
        "wall_seconds": round(wall, 1),
    }


@asynccontextmanager
async def sandbox_with_residents(latency: float, first_id: int, count: int) -> AsyncIterator[str]:
    """The local Bot API server in its own process, adding ``latency`` to every call, with
    ``count`` residents from ``first_id``; its URL."""
    port = free_port()
    sandbox = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.sandbox", "--port", str(port), "--latency", str(latency),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert sandbox.stdout is not None
    await sandbox.stdout.readline()  # it listens
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as client:
            for i in range(count):
                user = {"user_id": first_id + i, "first_name": f"R{i}", "language_code": "fr"}
                async with client.post(f"{url}/sandbox/users", json=user) as answer:
                    answer.raise_for_status()
        yield url
    finally:
        sandbox.terminate()
        await sandbox.wait()


async def run_case(
    name: str, command: list[str], env: dict[str, str], count: int, latency: float, cwd: str | None = None
) -> dict[str, Any]:
    async with sandbox_with_residents(latency, FIRST_ID, count) as url:
        wrap = os.environ.get("BENCH_WRAP", "").split()  # e.g. a profiler
        bot = await asyncio.create_subprocess_exec(
            *(part.replace("{api}", url) for part in wrap + command),
            env={key: value.replace("{api}", url) for key, value in env.items()},
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, cwd=cwd,
        )  # fmt: skip
        try:
            async with aiohttp.ClientSession() as client:
                while True:  # the bot is up once it long-polls
                    async with client.get(f"{url}/sandbox/updates") as answer:
                        if (await answer.json()).get("long_polling"):
                            break
                    await asyncio.sleep(0.2)
            return {"case": name, **await drive(url, count)}
        finally:
            bot.terminate()
            await bot.wait()


@asynccontextmanager
async def fresh_postgres(postgres: str) -> AsyncIterator[str]:
    """A new database on the server at the admin URL ``postgres``, dropped afterwards."""
    name = f"fabrique_bench_{uuid.uuid4().hex[:8]}"
    admin_url = make_url(postgres)
    admin = await asyncpg.connect(
        admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@asynccontextmanager
async def checkout(ref: str | None) -> AsyncIterator[str | None]:
    """A temporary git worktree of ``ref`` (Fabrique as it was, run from there), or None."""
    if ref is None:
        yield None
        return
    with tempfile.TemporaryDirectory() as folder:
        tree = str(Path(folder) / "tree")
        git = await asyncio.create_subprocess_exec("git", "worktree", "add", "--detach", "-q", tree, ref)
        assert await git.wait() == 0, f"cannot check out {ref}"
        try:
            yield tree
        finally:
            remove = await asyncio.create_subprocess_exec("git", "worktree", "remove", "--force", tree)
            await remove.wait()


async def main_async(
    count: int, latency: float, postgres: str | None, *, before: str | None, baseline: bool
) -> list[dict[str, Any]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "STAFF_"))}
    # Simulated residents answer at once; real ones take more than Telegram's second per chat.
    common = {**base, "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN, "TELEGRAM_API_URL": "{api}",
              "PER_CHAT_RATE": "1000", "MAX_CONCURRENT_UPDATES": "512"}  # fmt: skip
    results = []
    if baseline:
        command = [sys.executable, str(Path(__file__).with_name("baseline_bot.py")), "{api}"]
        environment = base | {"TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN}
        name = "plain PTB ConversationHandler (baseline)"
        results.append(await run_case(name, command, environment, count, latency))
    fabrique = [sys.executable, "-m", "bot", "run"]
    async with checkout(before) as earlier:
        versions = [(f"Fabrique {before}", earlier)] if earlier else []
        for label, tree in [*versions, ("Fabrique", None)]:
            with tempfile.TemporaryDirectory() as folder:
                sqlite_env = common | {"DATA_DIR": folder, "WEB_PORT": str(free_port())}
                results.append(await run_case(f"{label}, SQLite", fabrique, sqlite_env, count, latency, tree))
            if postgres:
                async with fresh_postgres(postgres) as database:
                    pg_env = common | {"DATABASE_URL": database, "WEB_PORT": str(free_port())}
                    name = f"{label}, PostgreSQL"
                    results.append(await run_case(name, fabrique, pg_env, count, latency, tree))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every Bot API call")
    parser.add_argument(
        "--postgres", default=os.environ.get("TEST_POSTGRES_URL"), help="admin URL of a PostgreSQL server"
    )
    parser.add_argument(
        "--before", metavar="REF", help="also run Fabrique as it was at this git commit, in the same run"
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the plain python-telegram-bot bot (13 min)"
    )
    args = parser.parse_args()
    run = main_async(
        args.residents, args.latency, args.postgres, before=args.before, baseline=not args.no_baseline
    )
    for result in asyncio.run(run):
        print(json.dumps(result))
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {python}")


if __name__ == "__main__":
    main()

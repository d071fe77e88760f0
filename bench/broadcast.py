"""Broadcast send rate: achieved against configured, and 429s, on simulated subscribers.

The sandbox runs in its own process with Telegram's flood limits switched on (paid broadcasts
allowed up to ``--limit`` per second); the bot's broadcast engine sends one announcement to
``--subscribers`` residents stored in a SQLite file, at the configured ``--rate``. The baseline
is the configured rate: the target is achieved/configured >= 0.97 with no 429.

    python bench/broadcast.py --subscribers 20000 --rate 950 --limit 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from bot.application import build
from bot.config import Settings
from bot.sandbox.sandbox import DEFAULT_TOKEN
from bot.storage import Database
from bot.storage.broadcasts import SENDING, UNFINISHED
from bot.storage.models import Broadcast, Resident

FIRST_ID = 1_000_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_sandbox(port: int, limit: int) -> subprocess.Popen[str]:
    command = [
        sys.executable, "-m", "bot.sandbox", "--port", str(port), "--flood-limits",
        "--paid-per-second", str(limit),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    process.stdout.readline()  # « Telegram Bot API sandbox at … »: it is listening
    return process


def control(url: str, path: str, body: object | None = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{url}/sandbox/{path}", data=data, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


async def prepare(database: Database, url: str, count: int) -> None:
    """Subscribers in the database, and their chats in the sandbox."""
    await database.upgrade()
    now = datetime.now(UTC)
    rows = [
        {"telegram_id": FIRST_ID + i, "language": "fr" if i % 4 else "en", "consent_version": "bench",
         "consented_at": now, "subscribed": True, "created_at": now}
        for i in range(count)
    ]  # fmt: skip
    async with database.transaction() as repos:
        session = repos.session
        await session.execute(insert(Resident), rows)
    for i in range(count):
        control(url, "users", {"user_id": FIRST_ID + i, "first_name": f"R{i}", "language_code": "fr"})


async def run(subscribers: int, rate: float, limit: int, window: int) -> dict[str, float]:
    port = free_port()
    sandbox = start_sandbox(port, limit)
    url = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(
                _env_file=None,
                telegram_bot_token=DEFAULT_TOKEN,
                telegram_api_url=url,
                data_dir=Path(folder),
                send_rate=rate,
                paid_broadcasts=True,
                broadcast_window=window,
            )
            fabrique = build(settings)
            await prepare(fabrique.database, url, subscribers)
            await fabrique.application.initialize()
            async with fabrique.database.transaction() as repos:
                now = datetime.now(UTC)
                broadcast = await repos.broadcasts.add(
                    Broadcast(
                        author_id=1, author_language="fr", state=SENDING, text_fr="Bench",
                        entities_fr="[]", created_at=now, started_at=now, total=0,
                    )
                )  # fmt: skip
                await repos.broadcasts.write_recipients(broadcast)
            started = time.monotonic()
            fabrique.broadcasts.start()
            while True:
                async with fabrique.database.transaction() as repos:
                    counts = await repos.broadcasts.counts(broadcast.id)
                if not any(counts.get(state) for state in UNFINISHED):
                    break
                await asyncio.sleep(0.5)
            wall = time.monotonic() - started
            await fabrique.broadcasts.stop()
            await fabrique.application.shutdown()
            await fabrique.database.close()
        flood = control(url, "flood")
        assert isinstance(flood, dict)
    finally:
        sandbox.terminate()
        sandbox.wait()
    achieved = float(flood["sent_per_second"])
    return {
        "subscribers": subscribers,
        "delivered": counts.get("sent", 0),
        "window": window,
        "configured_rate": rate,
        "achieved_rate": round(achieved, 1),
        "achieved_over_configured": round(achieved / rate, 3),
        "too_many_requests": int(flood["too_many_requests_answered"]),
        "peak_in_any_second": int(flood["peak_per_second"]),
        "server_limit": limit,
        "wall_seconds": round(wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=950.0)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--window", type=int, default=1, help="BROADCAST_WINDOW: messages in flight at once")
    args = parser.parse_args()
    result = asyncio.run(run(args.subscribers, args.rate, args.limit, args.window))
    print(json.dumps(result, indent=2))
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    verdict = result["achieved_over_configured"] >= 0.97 and result["too_many_requests"] == 0
    print("target met" if verdict else "target MISSED")


if __name__ == "__main__":
    main()

"""The ceiling under bench/throughput.py: Bot API calls per second with no bot logic at all.

The local Bot API server runs in its own process (as in bench/throughput.py, with 50 ms added
to every call); this process makes ``--calls`` sendMessage calls through python-telegram-bot's
``Bot`` with ``--concurrency`` of them in flight, the way Fabrique's handlers do, and reports
calls per second. Each resident update costs Fabrique about three such calls (answer the
button, clear the old keyboard, send the next screen) and the simulated resident one more
(its action), so updates per second cannot exceed a quarter of this figure on the same cores.

    python bench/ceiling.py --calls 5000 --concurrency 256
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time

from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest
from throughput import sandbox_with_residents  # bench/ is on the path when run as a script

from bot.handlers.transport import AiohttpRequest
from bot.sandbox.sandbox import DEFAULT_TOKEN

CHATS = 1000
FIRST_ID = 6_000_000


async def measure(
    calls: int, concurrency: int, latency: float, pool: int, transport: str
) -> dict[str, float | int | str]:
    async with sandbox_with_residents(latency, FIRST_ID, CHATS) as url:
        request: BaseRequest = (
            HTTPXRequest(connection_pool_size=pool, pool_timeout=30.0)
            if transport == "httpx"
            else AiohttpRequest(pool)
        )
        bot = Bot(DEFAULT_TOKEN, base_url=f"{url}/bot", request=request)
        async with bot:
            remaining = iter(range(calls))

            async def worker() -> None:
                for n in remaining:
                    await bot.send_message(FIRST_ID + n % CHATS, f"Message {n}")

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - started
    return {
        "calls": calls,
        "concurrency": concurrency,
        "transport": transport,
        "connection_pool": pool,
        "latency_s": latency,
        "calls_per_s": round(calls / elapsed, 1),
        "updates_per_s_at_most": round(calls / elapsed / 4, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every Bot API call")
    parser.add_argument("--pool", type=int, nargs="+", default=[256, 16], help="connection pool sizes")
    args = parser.parse_args()
    for transport in ("httpx", "aiohttp"):
        for pool in args.pool:
            result = measure(args.calls, args.concurrency, args.latency, pool, transport)
            print(json.dumps(asyncio.run(result)))
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {python}")


if __name__ == "__main__":
    main()

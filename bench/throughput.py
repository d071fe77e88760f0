"""Residents' throughput: Fabrique against a no-logic bot making the same Bot API calls, 50 ms each.

The local Bot API server runs in its own process with ``--latency 0.05``; simulated residents
(this process, bench/residents.py) each go through one paradox — /start, consent, « Répondre »,
a persona, a wish, a typed ranking, confirm — and each bot runs in its own process. One run:

1. Recording: Fabrique (SQLite) answers one resident with no added latency, and the Bot API
   calls it makes for each action are saved as a script (bench/recording.py).
2. The ceiling: a bot with no logic replays that script for every resident — the same calls,
   texts and keyboards, over the same transport and update processing (bench/ceiling_bot.py).
3. Fabrique on SQLite and, with ``--postgres URL`` (an admin URL; ``TEST_POSTGRES_URL`` by
   default), on PostgreSQL, each in a fresh database; with ``--before REF``, also Fabrique as it
   was at that commit; with ``--baseline``, a plain python-telegram-bot ConversationHandler bot
   doing the same dialog (bench/baseline_bot.py, about 13 minutes for 1,000 residents).

Each case runs in closed loop first (``--residents`` all at once, each acting as soon as
answered: the most updates per second it sustains; Fabrique's as ``ratio_to_ceiling``). Then,
unless ``--no-open-loop``, the ceiling and the current Fabrique run in open loop: residents
arrive evenly for ``--open-seconds`` and think 2–6 s after each screen, so that the offered load
is a given rate (100 updates/s, then 50 % and 80 % of the case's closed-loop figure; the ceiling
at 100 updates/s and 80 %: what a bot making the same calls with no logic of its own keeps
residents waiting at the same load); latencies are measured once all arrivals are under way.
Every run starts a fresh server, bot and database. One JSON line per run; targets (issue 17):
Fabrique at least 0.6 of the ceiling, and at 80 % of its own maximum a p99 under 500 ms,
nothing lost.

    python bench/throughput.py --residents 1000 [--postgres postgresql+asyncpg://u:p@127.0.0.1/postgres]

``BENCH_WRAP`` (e.g. ``"python -m cProfile -o /tmp/fabrique.prof"``) wraps Fabrique's command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from recording import record
from residents import ACTIONS, FIRST_ID, arrivals, closed_loop, open_loop
from sqlalchemy.engine import make_url

from bot.sandbox.sandbox import DEFAULT_TOKEN

CONCURRENT_UPDATES = 512
"""Fabrique's MAX_CONCURRENT_UPDATES (its connection pool too) and the ceiling bot's both."""
OPEN_RATE = 100.0
OPEN_SHARES = (0.5, 0.8)
"""Open-loop rates besides :data:`OPEN_RATE`, as shares of the case's closed-loop updates/s."""
CEILING_SHARE = 0.8
FABRIQUE = [sys.executable, "-m", "bot", "run"]
HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system, all threads) a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_seconds() -> float:
    """The CPU time the machine's cores have been busy so far, all processes (Linux: user,
    nice, system, interrupts; not idle, I/O wait, nor time stolen by other virtual machines)."""
    ticks = [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def usage(bot: int, server: int) -> dict[str, float]:
    """CPU seconds used so far by the bot, the Bot API server, the simulated residents (this
    process), and the whole machine."""
    return {
        "bot": cpu_seconds(bot),
        "bot_api_server": cpu_seconds(server),
        "residents": time.process_time(),
        "machine": machine_seconds(),
    }


@dataclass
class Case:
    """A bot to measure: its command, and a fresh environment for each run (``{api}`` is the
    server's URL)."""

    name: str
    command: list[str]
    environment: Callable[[], AbstractAsyncContextManager[dict[str, str]]]
    cwd: str | None = None
    wrapped: bool = False


@asynccontextmanager
async def sandbox_with_residents(latency: float, first_id: int, count: int) -> AsyncIterator[tuple[str, int]]:
    """The local Bot API server in its own process, adding ``latency`` to every call, with
    ``count`` residents from ``first_id``; its URL and process id."""
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
        yield url, sandbox.pid
    finally:
        sandbox.terminate()
        await sandbox.wait()


@asynccontextmanager
async def running(case: Case, count: int, latency: float) -> AsyncIterator[tuple[str, int, int]]:
    """``case``'s bot polling a fresh server with ``count`` residents; the server's URL, the
    bot's process id and the server's."""
    async with (
        case.environment() as env,
        sandbox_with_residents(latency, FIRST_ID, count) as (url, server),
    ):
        wrap = os.environ.get("BENCH_WRAP", "").split() if case.wrapped else []
        bot = await asyncio.create_subprocess_exec(
            *(part.replace("{api}", url) for part in wrap + case.command),
            env={key: value.replace("{api}", url) for key, value in env.items()},
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, cwd=case.cwd,
        )  # fmt: skip
        try:
            async with aiohttp.ClientSession() as client:
                while True:  # the bot is up once it long-polls
                    async with client.get(f"{url}/sandbox/updates") as answer:
                        if (await answer.json()).get("long_polling"):
                            break
                    await asyncio.sleep(0.2)
            yield url, bot.pid, server
        finally:
            bot.terminate()
            await bot.wait()


async def measured(
    case: Case, count: int, latency: float, drive: Callable[[str], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    async with running(case, count, latency) as (url, pid, server):
        before = usage(pid, server)
        result = {"case": case.name, **await drive(url)}
        after = usage(pid, server)
    used = {name: 1000 * (after[name] - seconds) / result["updates"] for name, seconds in before.items()}
    # The rest of the machine's work: PostgreSQL's server, the system (and anything else running).
    used["other"] = used["machine"] - used["bot"] - used["bot_api_server"] - used["residents"]
    for name, ms in used.items():
        result[f"{name}_cpu_ms_per_update"] = round(ms, 2)
    print(json.dumps(result), flush=True)
    return result


async def closed(case: Case, count: int, latency: float, ceiling: float | None = None) -> float:
    """One closed-loop run of ``case``, printed; its updates per second."""

    async def drive(url: str) -> dict[str, Any]:
        result = await closed_loop(url, count)
        if ceiling:
            result["ratio_to_ceiling"] = round(result["updates_per_second"] / ceiling, 3)
        return result

    return float((await measured(case, count, latency, drive))["updates_per_second"])


async def opened(case: Case, rate: float, seconds: float, latency: float) -> None:
    """One open-loop run of ``case`` at ``rate`` updates per second, printed."""
    await measured(case, arrivals(rate, seconds), latency, lambda url: open_loop(url, rate, seconds))


def unchanged(env: dict[str, str]) -> Callable[[], AbstractAsyncContextManager[dict[str, str]]]:
    """The same environment for every run."""

    @asynccontextmanager
    async def same() -> AsyncIterator[dict[str, str]]:
        yield env

    return same


def sqlite(env: dict[str, str]) -> Callable[[], AbstractAsyncContextManager[dict[str, str]]]:
    """Fresh environments with a new SQLite database each."""

    @asynccontextmanager
    async def fresh() -> AsyncIterator[dict[str, str]]:
        with tempfile.TemporaryDirectory() as folder:
            yield env | {"DATA_DIR": folder, "WEB_PORT": str(free_port())}

    return fresh


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


def postgresql(env: dict[str, str], admin: str) -> Callable[[], AbstractAsyncContextManager[dict[str, str]]]:
    """Fresh environments with a new database on the PostgreSQL server at the URL ``admin``."""

    @asynccontextmanager
    async def fresh() -> AsyncIterator[dict[str, str]]:
        async with fresh_postgres(admin) as database:
            yield env | {"DATABASE_URL": database, "WEB_PORT": str(free_port())}

    return fresh


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


async def recorded(fabrique: Case, script: Path) -> None:
    """Record Fabrique's calls for each action into ``script``, and print them."""
    async with running(fabrique, 1, 0.0) as (url, _, _):
        steps = await record(url, FIRST_ID)
    await asyncio.to_thread(script.write_text, json.dumps(steps))
    methods = [[call["method"] for call in step] for step in steps]
    calls = sum(map(len, methods))
    summary = {"case": "Fabrique's Bot API calls per action (recorded)", "steps": methods,
               "calls_per_update": round(calls / len(ACTIONS), 2)}  # fmt: skip
    print(json.dumps(summary), flush=True)


async def ceiling_runs(script: Path, env: dict[str, str], args: argparse.Namespace) -> float:
    """The ceiling bot replaying ``script``: closed loop, then open loop at 100 updates/s and
    80 %; its updates/s."""
    command = [sys.executable, str(HERE / "ceiling_bot.py"), "{api}", str(script), str(CONCURRENT_UPDATES)]
    case = Case("ceiling: same Bot API calls, no logic", command, unchanged(env))
    ceiling = await closed(case, args.residents, args.latency)
    if args.open_loop:
        for rate in (OPEN_RATE, CEILING_SHARE * ceiling):
            await opened(case, rate, args.open_seconds, args.latency)
    return ceiling


async def fabrique_runs(env: dict[str, str], ceiling: float, args: argparse.Namespace) -> None:
    """Fabrique (and as it was at ``--before``) on each database: closed loop, then open loop."""
    async with checkout(args.before) as earlier:
        versions = [(f"Fabrique {args.before}", earlier)] if earlier else []
        for label, tree in [*versions, ("Fabrique", None)]:
            cases = [Case(f"{label}, SQLite", FABRIQUE, sqlite(env), tree, wrapped=True)]
            if args.postgres:
                cases.append(
                    Case(f"{label}, PostgreSQL", FABRIQUE, postgresql(env, args.postgres), tree, True)
                )
            for case in cases:
                most = await closed(case, args.residents, args.latency, ceiling)
                if args.open_loop and tree is None:
                    for rate in (OPEN_RATE, *(share * most for share in OPEN_SHARES)):
                        await opened(case, rate, args.open_seconds, args.latency)


async def main_async(args: argparse.Namespace) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "STAFF_"))}
    bare = base | {"TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN}
    # Simulated residents answer at once; real ones take more than Telegram's second per chat.
    fabrique = bare | {"TELEGRAM_API_URL": "{api}", "PER_CHAT_RATE": "1000",
                       "MAX_CONCURRENT_UPDATES": str(CONCURRENT_UPDATES)}  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "script.json"
        await recorded(Case("recording", FABRIQUE, sqlite(fabrique)), script)
        ceiling = await ceiling_runs(script, bare, args)
    if args.baseline:
        command = [sys.executable, str(HERE / "baseline_bot.py"), "{api}"]
        baseline = Case("plain PTB ConversationHandler (baseline)", command, unchanged(bare))
        await closed(baseline, args.residents, args.latency)
    await fabrique_runs(fabrique, ceiling, args)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=1000, help="residents of each closed-loop run")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every Bot API call")
    parser.add_argument(
        "--postgres", default=os.environ.get("TEST_POSTGRES_URL"), help="admin URL of a PostgreSQL server"
    )
    parser.add_argument(
        "--before", metavar="REF", help="also run Fabrique as it was at this git commit (closed loop)"
    )
    parser.add_argument(
        "--baseline", action="store_true", help="also run the plain python-telegram-bot bot (13 min)"
    )
    parser.add_argument("--open-seconds", type=float, default=45.0, help="arrivals of each open-loop run")
    parser.add_argument("--no-open-loop", dest="open_loop", action="store_false")
    args = parser.parse_args()
    asyncio.run(main_async(args))
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {python}")


if __name__ == "__main__":
    main()

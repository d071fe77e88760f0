"""Two bot processes in webhook mode on one PostgreSQL, each given an arbitrary share of the updates."""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import text

from bot.sandbox import BotApiSandbox
from bot.storage import Database
from bot.typography import french
from tests.conftest import TOKEN, postgres_database
from tests.dialogs.test_resident_dialog import accept, first_answer
from tests.phone import Phone
from tests.services.test_broadcasts import STAFF, compose, finished, subscribers
from tests.test_cli import environment
from tests.web.test_server import SECRET, free_port
from tests.words import words

t = words("fr")


@asynccontextmanager
async def round_robin(backends: list[int], served: Counter[int]) -> AsyncIterator[str]:
    """A load balancer without sticky routing: each webhook call goes to the next process."""
    turn = itertools.cycle(backends)
    async with aiohttp.ClientSession() as client:

        async def forward(request: web.Request) -> web.StreamResponse:
            port = next(turn)
            served[port] += 1
            headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-telegram")}
            async with client.post(f"http://127.0.0.1:{port}/telegram", data=await request.read(),
                                   headers={**headers, "Content-Type": "application/json"}) as answer:  # fmt: skip
                return web.Response(status=answer.status, body=await answer.read())

        app = web.Application()
        app.router.add_post("/telegram", forward)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            await runner.cleanup()


async def ready(port: int) -> bool:
    try:
        async with aiohttp.ClientSession() as client, client.get(f"http://127.0.0.1:{port}/readyz") as answer:
            return answer.status == 200
    except aiohttp.ClientError:
        return False


async def test_two_processes_share_the_updates_and_the_broadcast(
    telegram: tuple[BotApiSandbox, str], tmp_path: Path
) -> None:
    sandbox, api = telegram
    async with postgres_database() as url:
        database = Database(url)
        await database.upgrade()
        ids = await subscribers(database, sandbox, 60, "fr", 300_000)
        await database.close()
        ports = [free_port(), free_port()]
        served: Counter[int] = Counter()
        async with round_robin(ports, served) as balancer:
            processes = [
                await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot", "run", cwd=tmp_path, stderr=asyncio.subprocess.DEVNULL,
                    env=environment(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api, DATABASE_URL=url,
                                    WEBHOOK_URL=balancer, WEBHOOK_SECRET=SECRET, WEB_PORT=str(port),
                                    STAFF_IDS=str(STAFF), SEND_RATE="30", BROADCAST_LEASE_SECONDS="2"),
                )
                for port in ports
            ]  # fmt: skip
            try:
                # Each process sets the webhook once its server listens.
                await sandbox.wait_for(
                    lambda: sum(c.method == "setWebhook" for c in sandbox.api_calls) >= 2, timeout=60
                )
                for port in ports:
                    assert await ready(port), f"process on {port} is not ready"
                residents = [Phone(sandbox, 9400 + i, "fr") for i in range(3)]
                for resident in residents:
                    await accept(resident, t)
                await asyncio.gather(*(first_answer(resident, t) for resident in residents))
                for resident in residents:
                    assert french("Merci ! Votre réponse") in resident.text

                staff = Phone(sandbox, STAFF, "fr")
                controls = await compose(staff, "Deux processus, une seule annonce.", None)
                await staff.tap_in_place(t._("✅ Envoyer maintenant"), on=controls)
                await finished(sandbox)
                assert [len(sandbox.bot_messages(i)) for i in ids] == [1] * len(ids), (
                    "never twice, never lost"
                )
                assert all(served[port] > 5 for port in ports), f"both processes took updates: {served}"
            finally:
                for process in processes:
                    process.terminate()
                for process in processes:
                    await asyncio.wait_for(process.wait(), timeout=30)
        check = Database(url)
        async with check.session() as session:
            rows = (
                await session.execute(text("SELECT count(*), count(DISTINCT resident_id) FROM answers"))
            ).one()
        await check.close()
        assert tuple(rows) == (3, 3)

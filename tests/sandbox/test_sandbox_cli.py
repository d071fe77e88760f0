"""``python -m bot.sandbox`` serves the Bot API and prints its URL."""

from __future__ import annotations

import asyncio
import re
import sys

import aiohttp


async def test_standalone_server() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.sandbox", "--port", "0", "--token", "42:STANDALONE",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        match = re.search(r"at (http://\S+)", line)
        assert match, line
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{match.group(1)}/bot42:STANDALONE/getMe") as answer,
        ):
            assert (await answer.json())["result"]["id"] == 42
    finally:
        process.terminate()
        await process.wait()

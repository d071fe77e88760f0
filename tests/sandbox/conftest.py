"""Fixtures: a served sandbox, a python-telegram-bot Bot pointed at it, raw HTTP access."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import Bot

from bot.sandbox import BotApiSandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[BotApiSandbox]:
    sandbox = BotApiSandbox()
    async with sandbox.serve():
        yield sandbox


@pytest.fixture
async def bot(sandbox: BotApiSandbox) -> AsyncIterator[Bot]:
    assert sandbox.url is not None
    async with Bot(
        sandbox.token,
        base_url=f"{sandbox.url}/bot",
        base_file_url=f"{sandbox.url}/file/bot",
    ) as bot:
        yield bot


@pytest.fixture
def alice(sandbox: BotApiSandbox) -> int:
    sandbox.add_user(1001, "Alice", username="alice_fr", language_code="fr")
    return 1001


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class RawApi:
    """Calls the Bot API over HTTP without python-telegram-bot, to see exact answers."""

    def __init__(self, session: aiohttp.ClientSession, sandbox: BotApiSandbox) -> None:
        self.session = session
        self.sandbox = sandbox

    async def __call__(
        self, method: str, token: str | None = None, **params: Any
    ) -> tuple[int, dict[str, Any]]:
        url = f"{self.sandbox.url}/bot{token or self.sandbox.token}/{method}"
        async with self.session.post(url, json=params) as response:
            return response.status, await response.json()


@pytest.fixture
def raw(http: aiohttp.ClientSession, sandbox: BotApiSandbox) -> RawApi:
    return RawApi(http, sandbox)


@pytest.fixture
def png() -> bytes:
    """A valid 3x2 PNG image."""
    width, height = 3, 2

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )

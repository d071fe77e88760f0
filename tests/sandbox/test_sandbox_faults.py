"""Injected latency and faults (429 storms, 5xx, slow answers)."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter

from bot.sandbox import BotApiSandbox
from tests.sandbox.conftest import RawApi


@pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")
async def test_too_many_requests(bot: Bot, sandbox: BotApiSandbox, alice: int, raw: RawApi) -> None:
    sandbox.faults.too_many_requests("sendMessage", retry_after=3, times=2)
    assert await raw("sendMessage", chat_id=alice, text="x") == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        },
    )
    with pytest.raises(RetryAfter):
        await bot.send_message(alice, "x")
    await bot.send_message(alice, "enfin")  # the storm is over
    assert [m.text for m in sandbox.bot_messages(alice)] == ["enfin"]
    assert [c.error_code for c in sandbox.api_calls] == [None, 429, 429, None]  # getMe first


async def test_server_errors_only_hit_their_method(
    bot: Bot, sandbox: BotApiSandbox, alice: int, raw: RawApi
) -> None:
    sandbox.faults.server_error("SENDMESSAGE")
    await bot.get_me()
    assert await raw("sendMessage", chat_id=alice, text="x") == (
        502,
        {"ok": False, "error_code": 502, "description": "Bad Gateway"},
    )
    sandbox.faults.server_error(error_code=500, description="Internal Server Error")
    with pytest.raises(NetworkError):
        await bot.get_me()
    sandbox.faults.server_error()
    sandbox.faults.clear()
    await bot.get_me()


async def test_latency_and_slow_answers(bot: Bot, sandbox: BotApiSandbox) -> None:
    loop = asyncio.get_running_loop()
    sandbox.latency = 0.05
    started = loop.time()
    await bot.get_me()
    assert loop.time() - started >= 0.05
    sandbox.latency = 0.0
    sandbox.faults.slow("getMe", delay=0.05)
    started = loop.time()
    await bot.get_me()
    assert loop.time() - started >= 0.05
    assert sandbox.faults.rules[0].times == 0

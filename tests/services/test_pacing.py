"""The pacer keeps each chat far enough under Telegram's limit for network jitter."""

from __future__ import annotations

import asyncio

from bot.sandbox.limits import FloodControl, FloodLimits, FloodTarget
from bot.services.pacing import CHAT_HEADROOM, Pacer

CHAT = 4242


async def test_a_late_message_does_not_make_the_next_one_too_soon() -> None:
    """Three messages leave at once and reach Telegram a tenth of a second late; the fourth,
    which arrives at once, still finds the chat's budget refilled."""
    now = [0.0]
    pacer = Pacer(30, per_chat_rate=1.0, per_chat_burst=3, monotonic=lambda: now[0])
    telegram = FloodControl(FloodLimits(per_chat_per_second=1.0, per_chat_burst=3), lambda: now[0])
    chat = FloodTarget(CHAT, "private", paid=False)
    for _ in range(3):
        await pacer.reply(CHAT)
    now[0] = 0.1
    for _ in range(3):
        telegram.admit("sendMessage", chat)

    now[0] = 1.0  # a second after they left: Telegram's rate alone would allow the fourth
    fourth = asyncio.create_task(pacer.reply(CHAT))
    await asyncio.sleep(0)
    assert not fourth.done()

    now[0] = 1 / CHAT_HEADROOM + 0.001
    await asyncio.wait_for(fourth, timeout=5)
    telegram.admit("sendMessage", chat)
    assert telegram.refusals == []

"""Updates handled concurrently across residents, strictly in order for each resident.

python-telegram-bot handles updates one after another by default: with Bot API calls of tens
of milliseconds, a bot then serves about 20 updates a second and every resident waits behind
the others. Here each resident (each chat, for updates without a user) has its own line: an
update starts when the previous one of the same resident is done, while other residents'
updates run alongside. At most ``limit`` updates are queued or in flight; past that, fetching
new updates waits (backpressure), and a graceful stop finishes every update already taken.
A resident paused by flood control does not even join their line, so a flood holds no room
that others need.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import BaseUpdateProcessor

from bot.metrics import Metrics
from bot.services.abuse import FloodControl


def resident_of(update: object) -> int | None:
    """Whose line an update joins: its user, or else its chat."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None


def sender_of(update: object) -> int | None:
    """The resident behind an update that flood control counts: private messages and presses."""
    if not isinstance(update, Update) or update.effective_user is None:
        return None
    if update.callback_query is not None:
        return update.effective_user.id
    chat = update.effective_chat
    if update.effective_message is not None and chat is not None and chat.type == ChatType.PRIVATE:
        return update.effective_user.id
    return None


def kind_of(update: object) -> str:
    """A coarse label for metrics: message, callback_query, my_chat_member…"""
    if isinstance(update, Update):
        for kind in ("message", "edited_message", "callback_query", "my_chat_member"):
            if getattr(update, kind) is not None:
                return kind
    return "other"


class PerResidentOrder(BaseUpdateProcessor):
    def __init__(self, limit: int, metrics: Metrics, flood: FloodControl) -> None:
        super().__init__(max_concurrent_updates=limit)
        self._last: dict[int, asyncio.Future[None]] = {}
        self._metrics = metrics
        self._flood = flood

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        self._metrics.updates.labels(kind_of(update)).inc()
        sender = sender_of(update)
        if sender is not None and not self._flood.admit(sender):
            self._metrics.flooded.inc()
            if isinstance(coroutine, Coroutine):
                coroutine.close()
            return
        key = resident_of(update)
        if key is None:
            with self._metrics.latency.time():
                await coroutine
            return
        previous = self._last.get(key)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[key] = mine
        try:
            if previous is not None:
                await asyncio.shield(previous)
            with self._metrics.latency.time():
                await coroutine
        finally:
            mine.set_result(None)
            if self._last.get(key) is mine:
                del self._last[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release: a graceful stop waits for the updates in flight."""


class BoundedUpdateQueue(asyncio.Queue[object]):
    """The application's update queue, admitting at most ``limit`` unfinished updates.

    python-telegram-bot only ever ``put``s into it (the poller, the webhook, the stop signal)
    and calls ``task_done`` once each is handled.
    """

    def __init__(self, limit: int) -> None:
        super().__init__()
        self._room = asyncio.Semaphore(limit)

    async def put(self, item: object) -> None:
        await self._room.acquire()
        await super().put(item)

    def task_done(self) -> None:
        super().task_done()
        self._room.release()

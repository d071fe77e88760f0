"""Pacing of outgoing messages within Telegram's flood limits, shared by dialogs and broadcasts.

One budget of ``rate`` messages per second covers everything the bot sends. Replies to
residents in a dialog take from it without waiting for broadcasts (priority); broadcasts wait
for what is left. Each chat also has its own small budget (a short burst, then about one
message per second), and everyone holds back while Telegram has asked to (a 429's
``retry_after``).

Telegram counts a chat's messages when they arrive, not when they leave: a message held up on
the way would make the next one, sent on time, arrive too soon after it. So each chat is paced
at :data:`CHAT_HEADROOM` of its rate, which leaves a message about a tenth of a second's slack
at one message per second.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

CHAT_HEADROOM = 0.9
"""The share of a chat's rate the bot uses, so that network jitter cannot make two messages
arrive closer together than Telegram allows."""


class _Bucket:
    """A token bucket: ``capacity`` messages at once, refilled at ``rate`` per second."""

    __slots__ = ("capacity", "rate", "tokens", "updated")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.updated = now

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0 when one is)."""
        self.refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def full(self, now: float) -> bool:
        return self.tokens + (now - self.updated) * self.rate >= self.capacity


class Pacer:
    def __init__(
        self,
        rate: float,
        *,
        per_chat_rate: float = 1.0,
        per_chat_burst: int = 3,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self._monotonic = monotonic
        now = monotonic()
        # At most a fiftieth of a second's worth goes out back to back.
        self._overall = _Bucket(rate, max(1.0, rate / 50), now)
        self._overall.tokens = 1.0
        self._per_chat_rate = per_chat_rate * CHAT_HEADROOM
        self._per_chat_burst = float(per_chat_burst)
        self._chats: dict[int, _Bucket] = {}
        self._paused_until = 0.0
        self._turn = asyncio.Lock()

    def _chat(self, chat_id: int, now: float) -> _Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if len(self._chats) >= 10_000:
                self._chats = {c: b for c, b in self._chats.items() if not b.full(now)}
            bucket = self._chats[chat_id] = _Bucket(self._per_chat_rate, self._per_chat_burst, now)
        return bucket

    def pause(self, seconds: float) -> None:
        """Telegram refused a broadcast message (429): hold every message for ``seconds``."""
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)

    def pause_chat(self, chat_id: int, seconds: float) -> None:
        """Telegram refused a reply in one chat (429): hold that chat only, not everyone."""
        bucket = self._chat(chat_id, self._monotonic())
        bucket.tokens = min(bucket.tokens, 1 - seconds * bucket.rate)

    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._monotonic())

    async def wait_unpaused(self) -> None:
        while (delay := self.paused_for()) > 0:  # noqa: ASYNC110 - waiting on time, a pause may grow
            await asyncio.sleep(delay)

    async def reply(self, chat_id: int | None) -> None:
        """A reply to a resident: it takes from the shared budget at once, ahead of broadcasts,
        and only waits for its own chat's budget."""
        now = self._monotonic()
        self._overall.refill(now)
        self._overall.tokens = max(self._overall.tokens - 1, -self.rate)
        if chat_id is None:
            return
        bucket = self._chat(chat_id, now)
        while (delay := bucket.wait(self._monotonic())) > 0:  # noqa: ASYNC110 - a rate, not an event
            await asyncio.sleep(delay)
        bucket.tokens -= 1

    async def take(self, chat_id: int) -> None:
        """Wait for a broadcast message's turn: budget left, chat budget left, no pause."""
        async with self._turn:
            while True:
                now = self._monotonic()
                chat = self._chat(chat_id, now)
                delay = max(self.paused_for(), self._overall.wait(now), chat.wait(now))
                if delay <= 0:
                    self._overall.tokens -= 1
                    chat.tokens -= 1
                    return
                await asyncio.sleep(delay)

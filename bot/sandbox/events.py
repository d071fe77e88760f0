"""Change notification and the event log streamed to observers (tests, phone preview)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class ChangeNotifier:
    """Wakes every waiter after each change; waiters re-check their own predicate.

    Works like ``asyncio.Condition.wait_for`` with a synchronous ``notify_all``, so that
    plain (non-async) state changes can wake waiters too.
    """

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        """Wake all current waiters."""
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_until(self, predicate: Callable[[], bool], within: float | None) -> bool:
        """Wait until ``predicate()`` holds; False if ``within`` seconds pass first."""
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        try:
            async with asyncio.timeout_at(deadline):
                while not predicate():
                    waiter = loop.create_future()
                    self._waiters.add(waiter)
                    try:
                        await waiter
                    finally:
                        self._waiters.discard(waiter)
        except TimeoutError:
            return predicate()
        return True


@dataclass(frozen=True)
class SandboxEvent:
    """One change in the sandbox: ``type`` is e.g. ``"message"``, ``"message_edited"``."""

    seq: int
    type: str
    chat_id: int | None
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON form, as streamed by ``/sandbox/events``."""
        return {"seq": self.seq, "type": self.type, "chat_id": self.chat_id, "data": self.data}


class EventLog:
    """Ordered events, each numbered from 1, with a notifier woken on every new one."""

    def __init__(self, notifier: ChangeNotifier) -> None:
        self.events: list[SandboxEvent] = []
        self._notifier = notifier

    def emit(self, type_: str, chat_id: int | None, **data: Any) -> SandboxEvent:
        """Record an event and wake waiters."""
        event = SandboxEvent(len(self.events) + 1, type_, chat_id, data)
        self.events.append(event)
        self._notifier.notify()
        return event

    def since(self, seq: int) -> list[SandboxEvent]:
        """Events numbered after ``seq``."""
        return self.events[max(seq, 0) :]

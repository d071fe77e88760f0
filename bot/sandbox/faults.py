"""Injected faults: error answers and slow answers for chosen Bot API methods."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from bot.sandbox.errors import ApiError, too_many_requests


@dataclass
class FaultRule:
    """Answer the next ``times`` calls of ``method`` (any method if None) with a fault."""

    method: str | None
    times: int
    error: ApiError | None = None  # None: answer normally, after ``delay``
    delay: float = 0.0
    chat_id: int | None = None  # only calls to this chat (None: any chat)

    def matches(self, method: str, chat_id: object = None) -> bool:
        """Whether this rule applies to a call of ``method`` (lowercase) to ``chat_id``."""
        return (
            self.times > 0
            and (self.method is None or self.method.lower() == method)
            and (self.chat_id is None or str(self.chat_id) == str(chat_id))
        )


class FaultPlan:
    """Rules consulted, in order, before every Bot API call; the first match applies."""

    def __init__(self, applied: Callable[[], None] = lambda: None) -> None:
        self.rules: list[FaultRule] = []
        self._applied = applied
        """Called as a rule takes a call (before its delay): a test waits for a call in flight."""

    def fail(self, method: str | None, error: ApiError, *, times: int = 1, delay: float = 0.0) -> FaultRule:
        """Answer ``error`` to the next ``times`` calls (after ``delay`` seconds)."""
        rule = FaultRule(method, times, error, delay)
        self.rules.append(rule)
        return rule

    def too_many_requests(
        self, method: str | None = None, *, retry_after: int = 1, times: int = 1
    ) -> FaultRule:
        """Answer 429 ``Too Many Requests: retry after N`` (a flood-control storm)."""
        return self.fail(method, too_many_requests(retry_after), times=times)

    def server_error(
        self,
        method: str | None = None,
        *,
        error_code: int = 502,
        description: str = "Bad Gateway",
        times: int = 1,
    ) -> FaultRule:
        """Answer a 5xx error."""
        return self.fail(method, ApiError(error_code, description), times=times)

    def slow(
        self, method: str | None = None, *, delay: float, times: int = 1, chat_id: int | None = None
    ) -> FaultRule:
        """Answer normally but ``delay`` seconds late (only for ``chat_id``, if given)."""
        rule = FaultRule(method, times, None, delay, chat_id)
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule."""
        self.rules.clear()

    async def apply(self, method: str, chat_id: object = None) -> None:
        """Consume the first rule matching ``method`` (and the call's chat): wait its delay,
        raise its error."""
        rule = next((rule for rule in self.rules if rule.matches(method, chat_id)), None)
        if rule is None:
            return
        rule.times -= 1
        self._applied()
        if rule.delay > 0:
            await asyncio.sleep(rule.delay)
        if rule.error is not None:
            raise ApiError(rule.error.error_code, rule.error.description, rule.error.parameters)

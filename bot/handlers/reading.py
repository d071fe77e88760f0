"""Updates that this version of python-telegram-bot cannot read are dropped, not fatal.

Telegram adds fields to the Bot API and python-telegram-bot sometimes makes them required.
Left alone, one such update stops polling for good (the same batch is fetched again and
again, and its content lands in the logs), and in webhook mode Telegram retries it while
holding back every update behind it. Here it is counted, logged by kind only, and skipped.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update

from bot.handlers.transport import AiohttpRequest
from bot.metrics import Metrics

log = logging.getLogger(__name__)


def unreadable(exc: Exception, metrics: Metrics) -> None:
    """Count and log an update that could not be read, without any of its content."""
    metrics.errors.inc()
    log.error("unreadable update dropped: %s", type(exc).__name__)


class ReadableUpdates(AiohttpRequest):
    """The connection for ``getUpdates``: it replaces an unreadable update with a bare one
    carrying only its id, so that polling confirms it and moves on."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(1)
        self._metrics = metrics

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        answer = super().parse_json_payload(payload)
        if isinstance(answer.get("result"), list):
            answer["result"] = [self._readable(raw) for raw in answer["result"]]
        return answer

    def _readable(self, raw: dict[str, Any]) -> dict[str, Any]:
        try:
            Update.de_json(raw, None)
        except Exception as exc:
            unreadable(exc, self._metrics)
            return {"update_id": raw["update_id"]}
        return raw

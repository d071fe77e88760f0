"""An aiohttp server: Telegram's webhook (when configured), ``/healthz``, ``/readyz``, ``/metrics``.

The webhook checks Telegram's secret header in constant time, stores the update in the inbox as
Telegram sent it and answers once it is stored; handling happens from the inbox. When the
database cannot store it, the answer is 503 and Telegram sends the update again.
Anything that is not an update as Telegram sends one is answered 4xx with one log line that
says why, never what it held.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.application import Fabrique
from bot.handlers.concurrency import is_update

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram"
MAX_DEPTH = 64
"""Deeper JSON than this is no update from Telegram (theirs nest a dozen levels at most)."""


def _refuse(status: int, reason: str) -> web.Response:
    log.warning("webhook request refused (%d): %s", status, reason)
    return web.Response(status=status, text=reason)


def _too_deep(data: Any) -> bool:
    """Whether the JSON value nests deeper than MAX_DEPTH (walked without recursion)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            return True
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        pending.extend((child, depth + 1) for child in children)
    return False


def create_web_app(fabrique: Fabrique, *, webhook_secret: str | None) -> web.Application:
    """The routes; the webhook route exists only when a secret is given (webhook mode)."""
    app = web.Application()

    async def receive(request: web.Request) -> web.StreamResponse:
        assert webhook_secret is not None
        given = request.headers.get(SECRET_HEADER, "")
        # Header bytes that are not ASCII arrive as surrogates, which cannot be encoded.
        if not given.isascii() or not hmac.compare_digest(given.encode(), webhook_secret.encode()):
            return _refuse(403, "wrong secret")
        if request.content_type != "application/json":
            return _refuse(415, "not JSON")
        try:
            data = json.loads(await request.read())
        except web.HTTPRequestEntityTooLarge:
            return _refuse(413, "too large")
        except (ValueError, RecursionError):  # ValueError covers bad JSON and bad UTF-8
            return _refuse(400, "not JSON")
        if not is_update(data) or _too_deep(data):
            return _refuse(400, "not an update")
        try:
            await fabrique.intake.store_one(data)
        except Exception as exc:  # not stored: Telegram is told to try again later
            log.warning("webhook update not stored: %s", type(exc).__name__)
            return web.Response(status=503, text="try again")
        return web.Response(text="ok")

    async def healthz(_request: web.Request) -> web.StreamResponse:
        return web.json_response({"status": "ok"})

    async def readyz(_request: web.Request) -> web.StreamResponse:
        try:
            ready = await fabrique.database.is_at_head()
        except Exception as exc:  # any failure to reach the database means "not ready"
            log.warning("readiness check failed: %s", type(exc).__name__)
            ready = False
        status = 200 if ready else 503
        return web.json_response({"database": "ok" if ready else "unavailable"}, status=status)

    async def metrics(_request: web.Request) -> web.StreamResponse:
        body = generate_latest(fabrique.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    if webhook_secret is not None:
        app.router.add_post(WEBHOOK_PATH, receive)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app

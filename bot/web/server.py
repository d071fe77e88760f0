"""An aiohttp server: Telegram's webhook (when configured), ``/healthz``, ``/readyz``, ``/metrics``.

The webhook checks Telegram's secret header in constant time, hands the update to the
application's queue and answers at once; handling happens asynchronously. When the queue is
full the answer waits, which slows Telegram down (backpressure) instead of dropping updates.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from telegram import Update

from bot.application import Fabrique
from bot.handlers.reading import unreadable

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram"


def create_web_app(fabrique: Fabrique, *, webhook_secret: str | None) -> web.Application:
    """The routes; the webhook route exists only when a secret is given (webhook mode)."""
    application = fabrique.application
    app = web.Application()

    async def receive(request: web.Request) -> web.StreamResponse:
        assert webhook_secret is not None
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), webhook_secret.encode()):
            return web.Response(status=403, text="wrong secret")
        try:
            data = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400, text="not JSON")
        try:
            update = Update.de_json(data, application.bot)
        except Exception as exc:
            unreadable(exc, fabrique.metrics)
            return web.Response(text="dropped")  # acknowledged, so that Telegram does not retry
        await application.update_queue.put(update)
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

"""Running the bot: long polling or webhook, with the health and metrics server, until stopped.

``serve`` is what ``fabrique-bot run`` does; ``polling`` and ``webhook`` are the same
lifecycles as async context managers, for the preview and the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from bot.application import ALLOWED_UPDATES, Fabrique
from bot.web.server import WEBHOOK_PATH, create_web_app


async def _start(fabrique: Fabrique) -> None:
    application = fabrique.application
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)


async def _stop(fabrique: Fabrique) -> None:
    """Finish every update already taken (the queue is joined), then close everything."""
    application = fabrique.application
    await application.stop()
    if application.post_stop is not None:
        await application.post_stop(application)
    await application.shutdown()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)


@asynccontextmanager
async def polling(fabrique: Fabrique, *, poll_timeout: int = 10) -> AsyncIterator[Fabrique]:
    """The bot long-polling its Bot API server until the block ends."""
    application = fabrique.application
    assert application.updater is not None
    await _start(fabrique)
    await application.updater.start_polling(
        poll_interval=0, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES
    )
    await application.start()
    try:
        yield fabrique
    finally:
        await application.updater.stop()
        await _stop(fabrique)


@asynccontextmanager
async def http(fabrique: Fabrique, host: str, port: int, *, webhook_secret: str | None) -> AsyncIterator[str]:
    """The health, metrics (and webhook) server; yields its base URL."""
    runner = web.AppRunner(create_web_app(fabrique, webhook_secret=webhook_secret), shutdown_timeout=5.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        yield f"http://{bound_host}:{bound_port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def webhook(fabrique: Fabrique, host: str, port: int) -> AsyncIterator[str]:
    """The bot receiving Telegram's webhook: set at start; at the end, updates stop being
    accepted first, then the ones already accepted are finished."""
    settings = fabrique.settings
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    application = fabrique.application
    await _start(fabrique)
    await application.start()
    try:
        async with http(fabrique, host, port, webhook_secret=settings.webhook_secret) as url:
            await application.bot.set_webhook(
                f"{settings.webhook_url}{WEBHOOK_PATH}",
                secret_token=settings.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
                max_connections=100,
            )
            yield url
    finally:
        await _stop(fabrique)


async def serve(fabrique: Fabrique) -> None:
    """``fabrique-bot run``: until SIGINT or SIGTERM, then a graceful stop."""
    settings = fabrique.settings
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop_signal, stop.set)
    try:
        if settings.webhook_url is not None:
            async with webhook(fabrique, settings.web_host, settings.web_port):
                await stop.wait()
        else:
            async with (
                polling(fabrique),
                http(fabrique, settings.web_host, settings.web_port, webhook_secret=None),
            ):
                await stop.wait()
    finally:
        with contextlib.suppress(NotImplementedError):
            for stop_signal in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(stop_signal)

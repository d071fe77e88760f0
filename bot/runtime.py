"""Running the bot: long polling or webhook, with the health and metrics server, until stopped.

``serve`` is what ``fabrique-bot run`` does; ``polling`` and ``webhook`` are the same
lifecycles as async context managers, for the preview and the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from aiohttp import web
from telegram import Bot, User
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError, TimedOut

from bot.application import ALLOWED_UPDATES, Fabrique
from bot.errors import OperatorError, unreachable
from bot.handlers.transport import AiohttpRequest
from bot.web.server import WEBHOOK_PATH, create_web_app


@contextmanager
def telegram_reported(api_url: str) -> Iterator[None]:
    """Telegram refusing the token, or no Bot API server to talk to, as one line that names
    what to fix and never the token (python-telegram-bot's own message prints it in full)."""
    try:
        yield
    except InvalidToken:
        raise OperatorError(
            f"the Bot API at {api_url} rejected TELEGRAM_BOT_TOKEN: copy it again from @BotFather"
        ) from None
    except NetworkError as exc:
        if isinstance(exc, BadRequest):  # an answer, not a network failure
            raise
        reason = "no answer" if isinstance(exc, TimedOut) else _network_reason(exc.__cause__)
        raise OperatorError(
            f"cannot reach the Bot API at {api_url}: {reason} (check the network, or TELEGRAM_API_URL)"
        ) from None


def _network_reason(cause: BaseException | None) -> str:
    """aiohttp keeps the socket's error as ``os_error``."""
    return unreachable(getattr(cause, "os_error", cause)) or type(cause).__name__


async def who_am_i(token: str, api_url: str) -> User:
    """``getMe`` at ``api_url``: the bot that ``token`` belongs to."""
    requests = AiohttpRequest(1), AiohttpRequest(1)
    bot = Bot(token, base_url=f"{api_url}/bot", request=requests[0], get_updates_request=requests[1])
    try:
        with telegram_reported(api_url):
            await bot.initialize()
        return bot.bot
    finally:  # closed here: Bot.shutdown does nothing after a failed initialize
        await asyncio.gather(*(request.shutdown() for request in requests))


async def _start(fabrique: Fabrique) -> None:
    """Initialize (``getMe``), then upgrade the database and publish the commands; if that
    fails, what was opened is closed before the error goes on."""
    application = fabrique.application
    with telegram_reported(fabrique.settings.telegram_api_url):
        await application.initialize()
        try:
            with fabrique.database.reported():
                if application.post_init is not None:
                    await application.post_init(application)
        except BaseException:
            await application.shutdown()
            if application.post_shutdown is not None:
                await application.post_shutdown(application)
            raise
    _settle()


def _settle() -> None:
    """Once started: what the bot loaded (libraries, content, communes, translations) lives as
    long as the process, so the garbage collector stops going through it at each full pass
    (``gc.freeze``), and its frequent passes come every 10,000 objects kept instead of every
    700 (nearly all of an update's objects are freed without it). Measured in bench/README.md."""
    gc.collect()  # what starting left unreachable is freed, not frozen
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


async def _stop(fabrique: Fabrique) -> None:
    """Finish the update each resident's line is handling (and send its replies), then close
    everything; what is left waits in the inbox for the next start."""
    application = fabrique.application
    if application.post_stop is not None:
        await application.post_stop(application)
    await application.shutdown()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)


@asynccontextmanager
async def polling(fabrique: Fabrique, *, poll_timeout: int = 10) -> AsyncIterator[Fabrique]:
    """The bot long-polling its Bot API server until the block ends."""
    await _start(fabrique)
    fabrique.poller.start(timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES)
    try:
        yield fabrique
    finally:
        await fabrique.poller.stop()
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
    accepted first, then the ones being handled are finished."""
    settings = fabrique.settings
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    application = fabrique.application
    await _start(fabrique)
    try:
        async with http(fabrique, host, port, webhook_secret=settings.webhook_secret) as url:
            address = f"{settings.webhook_url}{WEBHOOK_PATH}"
            try:
                with telegram_reported(settings.telegram_api_url):
                    await application.bot.set_webhook(
                        address,
                        secret_token=settings.webhook_secret,
                        allowed_updates=ALLOWED_UPDATES,
                        max_connections=100,
                    )
            except TelegramError as exc:
                raise OperatorError(
                    f"Telegram refused the webhook {address}: {exc.message} (WEBHOOK_URL must be a "
                    "public HTTPS address Telegram can reach, on port 443, 80, 88 or 8443)"
                ) from None
            yield url
    finally:
        await _stop(fabrique)


async def serve(fabrique: Fabrique) -> None:
    """``fabrique-bot run``: until SIGINT or SIGTERM, then a graceful stop."""
    settings = fabrique.settings
    # The token and the Bot API server, checked first on a Bot of its own that is closed
    # however getMe ends (the application's own sessions stay open after a failed initialize).
    await who_am_i(settings.token, settings.telegram_api_url)
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

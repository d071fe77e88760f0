"""Running the bot inside an event loop that something else also uses (the preview, tests).

``fabrique-bot run`` with a token uses python-telegram-bot's own ``run_polling``; this is the
same lifecycle, step by step, as an async context manager.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.application import ALLOWED_UPDATES, Fabrique


@asynccontextmanager
async def polling(fabrique: Fabrique, *, poll_timeout: int = 10) -> AsyncIterator[Fabrique]:
    """Start the bot long-polling its Bot API server; stop it cleanly when the block ends."""
    application = fabrique.application
    assert application.updater is not None
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.updater.start_polling(
        poll_interval=0, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES
    )
    await application.start()
    try:
        yield fabrique
    finally:
        await application.updater.stop()
        await application.stop()
        if application.post_stop is not None:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)

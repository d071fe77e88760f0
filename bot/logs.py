"""Logs hold nothing a resident wrote or pressed, whatever level the root logger is at.

The bot's own records name no resident and no text. Some libraries log what passes through
them at DEBUG: python-telegram-bot every update and every Bot API call's parameters, aiosqlite
every statement's parameters, SQLAlchemy every row fetched (and every statement at INFO),
httpx every URL, which holds the bot token. Those loggers are kept above that.
"""

from __future__ import annotations

import logging
import traceback

QUIETER = {
    "telegram": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "aiosqlite": logging.WARNING,
    "asyncpg": logging.WARNING,
    "sqlalchemy.engine": logging.WARNING,
}


def keep_residents_out_of_logs() -> None:
    """Raise the libraries' loggers to the least level that logs no content (never lower them)."""
    for name, level in QUIETER.items():
        logger = logging.getLogger(name)
        if logger.level < level:
            logger.setLevel(level)


def trace(error: BaseException | None) -> str:
    """An exception's type and the frames it went through, with its causes; never its message,
    which may hold what a resident typed."""
    parts: list[str] = []
    while error is not None and len(parts) < 5:
        frames = "".join(traceback.format_list(traceback.extract_tb(error.__traceback__)))
        parts.append(f"{type(error).__module__}.{type(error).__qualname__} (message withheld)\n{frames}")
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return "\ncaused by ".join(parts) or "unknown error"

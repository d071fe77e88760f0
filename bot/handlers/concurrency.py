"""Who an update belongs to: the resident line it joins (see :mod:`bot.services.lines`), the
sender flood control counts, and a coarse kind for metrics."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType


def resident_of(update: object) -> int | None:
    """Whose line an update joins: its user, or else its chat."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None


def sender_of(update: object) -> int | None:
    """The resident behind an update that flood control counts: private messages and presses."""
    if not isinstance(update, Update) or update.effective_user is None:
        return None
    if update.callback_query is not None:
        return update.effective_user.id
    chat = update.effective_chat
    if update.effective_message is not None and chat is not None and chat.type == ChatType.PRIVATE:
        return update.effective_user.id
    return None


def kind_of(update: object) -> str:
    """A coarse label for metrics: message, callback_query, my_chat_member…"""
    if isinstance(update, Update):
        for kind in ("message", "edited_message", "callback_query", "my_chat_member"):
            if getattr(update, kind) is not None:
                return kind
    return "other"

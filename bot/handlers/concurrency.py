"""Who an update belongs to: the resident line it joins (see :mod:`bot.services.lines`), the
sender flood control counts, and a coarse kind for metrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.constants import ChatType

BIGINT = range(-(2**63), 2**63)
"""The ids the database stores (64-bit): Telegram's, and nothing a forged update could add."""


def update_id(item: object) -> int | None:
    """The id of ``item`` if it is a JSON object with a whole number as ``update_id``."""
    number = item.get("update_id") if isinstance(item, dict) else None
    return number if type(number) is int else None


def is_update(item: object) -> bool:
    """Whether ``item`` is an update as Telegram sends one: a JSON object with a 64-bit id."""
    number = update_id(item)
    return number is not None and number in BIGINT  # None first: ``None in range`` scans it all


def line_of(update: Mapping[str, Any]) -> int:
    """Whose line an update (as Telegram's JSON) joins: its user's id, or else its chat's, else 0.

    An update holds one object besides its id (a message, a press, a change of membership…),
    whose sender is its ``from`` (``user`` for a few kinds) and whose chat is its own ``chat`` or
    its message's."""
    for kind, item in update.items():
        if kind == "update_id" or not isinstance(item, dict):
            continue
        message = item.get("message")
        for owner in (
            item.get("from"),
            item.get("user"),
            item.get("chat"),
            message.get("chat") if isinstance(message, dict) else None,
        ):
            if isinstance(owner, dict) and type(owner.get("id")) is int and owner["id"] in BIGINT:
                return int(owner["id"])
    return 0


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

"""What a service answers to one update, for the Telegram layer to render."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from typing import Literal

from bot.dialogs.screen import Screen

MAX_TEXT = 4096
"""Telegram's limit on a message's text, counted after entity parsing (in UTF-16 code units)."""
_TAG = re.compile(r"<[^>]*>")


def shown_length(html: str) -> int:
    """The length Telegram counts for an HTML text: tags removed, entities decoded, in UTF-16
    code units (never less than the number of characters)."""
    return len(unescape(_TAG.sub("", html)).encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply: a document (e.g. the CSV export) or a photo (a chart)."""

    kind: Literal["document", "photo"]
    filename: str
    content: bytes
    caption: str = ""


@dataclass
class Reply:
    """Messages to send, and what happens to the message whose button was pressed.

    ``toast`` answers the button press; ``edit`` replaces the pressed message;
    ``clear_keyboard`` only removes its buttons; ``send`` are new messages, in order, followed
    by ``files``; ``retire`` is an earlier message whose buttons are removed (the resident's
    previous live keyboard).
    """

    toast: str | None = None
    edit: Screen | None = None
    clear_keyboard: bool = False
    send: list[Screen] = field(default_factory=list)
    files: list[Attachment] = field(default_factory=list)
    retire: int | None = None

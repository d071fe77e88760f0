"""What a service answers to one update, for the Telegram layer to render."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.dialogs.screen import Screen


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
    by ``files``.
    """

    toast: str | None = None
    edit: Screen | None = None
    clear_keyboard: bool = False
    send: list[Screen] = field(default_factory=list)
    files: list[Attachment] = field(default_factory=list)

"""What the dialog shows, independent of Telegram: HTML text and buttons."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any


def h(text: str) -> str:
    """Escape text (a resident's or the content's) for Telegram's HTML parse mode."""
    return escape(text, quote=False)


@dataclass(frozen=True)
class Button:
    """A button that sends ``data`` back to the bot, or opens ``url``."""

    label: str
    data: str = ""
    url: str = ""


Entity = dict[str, Any]
"""A Telegram message entity as JSON (``{"type": "bold", "offset": 0, "length": 4}``)."""


@dataclass(frozen=True)
class Screen:
    """One message: HTML text and rows of buttons.

    With ``entities`` (a staff announcement written with Telegram's own formatting), the text
    is plain and the entities format it; nothing is parsed as HTML.
    """

    text: str
    keyboard: tuple[tuple[Button, ...], ...] = field(default=())
    entities: tuple[Entity, ...] | None = None

    def with_notice(self, notice: str) -> Screen:
        """The same screen, introduced by a notice (e.g. why an input was refused)."""
        assert self.entities is None, "a notice would shift the entities"
        return Screen(f"{notice}\n\n{self.text}", self.keyboard)

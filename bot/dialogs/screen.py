"""What the dialog shows, independent of Telegram: HTML text and buttons."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape


def h(text: str) -> str:
    """Escape text (a resident's or the content's) for Telegram's HTML parse mode."""
    return escape(text, quote=False)


@dataclass(frozen=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True)
class Screen:
    """One message: HTML text and rows of buttons."""

    text: str
    keyboard: tuple[tuple[Button, ...], ...] = field(default=())

    def with_notice(self, notice: str) -> Screen:
        """The same screen, introduced by a notice (e.g. why an input was refused)."""
        return Screen(f"{notice}\n\n{self.text}", self.keyboard)

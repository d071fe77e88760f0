"""What a service answers to one update, for the Telegram layer to render."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.dialogs.screen import Screen


@dataclass
class Reply:
    """Messages to send, and what happens to the message whose button was pressed.

    ``toast`` answers the button press; ``edit`` replaces the pressed message;
    ``clear_keyboard`` only removes its buttons; ``send`` are new messages, in order.
    """

    toast: str | None = None
    edit: Screen | None = None
    clear_keyboard: bool = False
    send: list[Screen] = field(default_factory=list)

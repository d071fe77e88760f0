"""What a step sees of a resident's turn, and the moves a step answers with.

Steps and widgets never talk to Telegram or the database: they read the :class:`DialogContext`,
change the draft through it, and return a :data:`Move` that the dialog engine applies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.content import Content, Paradox
from bot.dialogs.callbacks import Callback
from bot.dialogs.screen import Button
from bot.i18n import Translator
from bot.places import Places
from bot.storage.models import DialogState

Value = Any
"""A question's answer as JSON stores it: a string, a list of strings, or None (not said)."""


@dataclass(frozen=True)
class Previous:
    """What the resident answered last time, offered again with one tap, by question id."""

    values: Mapping[str, Value] = field(default_factory=dict)
    answered: frozenset[str] = frozenset()
    """The paradoxes the resident has a confirmed answer to."""


@dataclass(frozen=True)
class Card:
    """Another resident's shared wish, offered for the resident's opinion."""

    wish_id: int
    text: str
    paradox_id: str
    vote: int | None = None
    """The resident's vote on it, once given (they can change it on the same card)."""
    left: int = 0
    """How many other wishes are still waiting for their opinion."""


@dataclass
class DialogContext:
    t: Translator
    content: Content
    places: Places
    state: DialogState
    previous: Previous
    profile: dict[str, Value] = field(default_factory=dict)
    """The answers given once per resident (a key is present once the question was asked)."""
    card: Card | None = None
    """The wish on the voting card, loaded by the service when the resident is voting."""

    def button(self, label: str, action: str, arg: str = "") -> Button:
        """A button valid only on the screen about to be shown."""
        return Button(label, Callback(action, arg, self.state.version).encode())

    @property
    def paradox(self) -> Paradox:
        paradox = self.content.paradox(self.state.paradox_id)
        if paradox is None:
            raise LookupError(f"paradox {self.state.paradox_id!r} is not in the content")
        return paradox

    @property
    def draft(self) -> dict[str, Value]:
        """The answer in progress, by question id."""
        return _object(self.state.draft)

    def set_draft(self, question: str, value: Value) -> None:
        self.state.draft = json.dumps(self.draft | {question: value}, ensure_ascii=False)

    def drop_draft(self, question: str) -> None:
        draft = self.draft
        draft.pop(question, None)
        self.state.draft = json.dumps(draft, ensure_ascii=False)

    @property
    def view(self) -> dict[str, Value]:
        """What the current step's widget shows (a page, a detail, a partial ranking…)."""
        return _object(self.state.view)

    def set_view(self, **changes: Value) -> None:
        view = {key: value for key, value in (self.view | changes).items() if value is not None}
        self.state.view = json.dumps(view, ensure_ascii=False)


def _object(stored: str | None) -> dict[str, Value]:
    """A stored JSON object; anything else (an older row, a hand edit) reads as empty."""
    try:
        loaded = json.loads(stored or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


@dataclass(frozen=True)
class Redraw:
    """The step's state changed: show the step again, in place."""

    toast: str | None = None


@dataclass(frozen=True)
class Done:
    """The step is answered: go on to the next step of the flow."""

    echo: str


@dataclass(frozen=True)
class GoTo:
    step: str


@dataclass(frozen=True)
class Reject:
    """The input cannot be used; ``message`` says why and what to do instead."""

    message: str


@dataclass(frozen=True)
class Confirm:
    """The resident confirmed the summary: the answer is to be stored."""


@dataclass(frozen=True)
class Cast:
    """The resident gives their opinion of the wish on the card: the vote is to be stored."""

    value: int


@dataclass(frozen=True)
class Deal:
    """The resident asks for the next wish: the service picks it."""


Move = Redraw | Done | GoTo | Reject | Confirm | Cast | Deal

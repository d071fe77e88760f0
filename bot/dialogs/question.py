"""A question, declared once: the dialog, the summary, ``/mydata``, the export and the statistics
all read it from here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.content import Content
from bot.dialogs.context import DialogContext, Move, Value
from bot.dialogs.screen import Screen
from bot.i18n import Translator
from bot.places import Places


class Reading(Protocol):
    """What it takes to show a value: the reader's language and the content."""

    @property
    def t(self) -> Translator: ...
    @property
    def content(self) -> Content: ...
    @property
    def places(self) -> Places: ...


@dataclass(frozen=True)
class Reader:
    t: Translator
    content: Content
    places: Places


class Widget(Protocol):
    """How a question is asked and answered: a choice, a search, a text, a ranking."""

    def screen(self, question: Question, ctx: DialogContext, heading: str) -> Screen: ...
    def on_action(self, question: Question, ctx: DialogContext, action: str, arg: str) -> Move | None:
        """The move for a button of this widget, or None for a button it does not know."""

    def on_text(self, question: Question, ctx: DialogContext, text: str) -> Move: ...
    def on_other(self, question: Question, ctx: DialogContext) -> Move: ...
    def shown(self, reading: Reading, value: Value) -> str:
        """The value as the resident reads it (plain text, to escape for HTML)."""

    def valid(self, reading: Reading, value: Value) -> bool:
        """Whether a stored value still fits the content (it may have changed since)."""

    def reopen(self, question: Question, ctx: DialogContext) -> None:
        """The resident asked to change their answer: what the widget keeps of it."""


@dataclass(frozen=True)
class Column:
    """One column of the export: its name, its header, what it holds, and the cell for a value.

    The cell is a function of the value only (the exporter computes it once per distinct value,
    so it must not depend on anything else), text in French whatever the header's language.
    """

    name: str
    """Its English name: the CSV's header with ``--language en``, the key in JSON lines."""
    cell: Callable[[Reading, Value], str | int | None]
    guard: str | None = None
    """An answer column whose value at least five respondents must share for the cell to be
    given (otherwise it is left empty, so nobody in a small commune can be singled out)."""
    header: str = field(kw_only=True)
    """Its header in the workbook and the French CSV (a message id): « Commune »."""
    description: str = field(kw_only=True)
    """What it holds, its line in the workbook's « Lisez-moi » sheet (a message id)."""
    subject: str | None = field(default=None, kw_only=True)
    """A content text (a value's name) that fills ``{value}`` in the header and description."""
    free_text: bool = field(default=False, kw_only=True)
    """A resident's own words: every cell differs (none is cached), wide and wrapped in the
    workbook."""


@dataclass(frozen=True)
class Breakdown:
    """A way the statistics split respondents: one group per key, in the declared order."""

    id: str
    title: str
    """The table's title (a message id): « Répondants par territoire »."""
    key: Callable[[Value], str | None]
    groups: Callable[[Reading], Sequence[tuple[str, str]]]
    """The groups shown, in order, as (key, label)."""
    population: Callable[[Places], Mapping[str, float]] | None = None
    """The population's share of each group, for the representativeness table."""


def _in_details(question_id: str) -> Callable[[Value], dict[str, Any]]:
    return lambda value: {"details": {question_id: value}}


@dataclass(frozen=True)
class Question:
    """One question of the consultation."""

    id: str
    prompt: str
    """The question itself (a message id); the widget may fill ``{count}``, ``{min}``…"""
    widget: Widget
    summary: str
    """How the answer reads in the summary and ``/mydata``: a message id with ``{value}``."""
    edit: str
    """The summary's button to change this answer."""
    once: bool = False
    """Asked once per resident (after their first confirmed answer), not with each answer."""
    skippable: bool = False
    when: Callable[[DialogContext], bool] | None = None
    """Asked only when this holds (for example only for one paradox)."""
    store: Callable[[Value], dict[str, Any]] | None = None
    """The answer's typed columns for this value; by default it is kept in ``details``."""
    restore: Callable[[Any], Value] | None = None
    """The value back from a stored answer, an ``Answer`` or a row (the inverse of ``store``)."""
    columns: Callable[[Reading], Sequence[Column]] = lambda _: ()
    breakdowns: tuple[Breakdown, ...] = field(default=())

    def asked(self, ctx: DialogContext) -> bool:
        return self.when is None or self.when(ctx)

    def stored(self, value: Value) -> dict[str, Any]:
        return (self.store or _in_details(self.id))(value)

    def restored(self, answer: Any) -> Value:
        if self.restore is not None:
            return self.restore(answer)
        details = json.loads(answer.details or "{}")
        return details.get(self.id) if isinstance(details, dict) else None


def columns_of(questions: Sequence[Question], values: Mapping[str, Value]) -> dict[str, Any]:
    """The answer's columns for these questions' values; those without typed columns are
    gathered, as JSON, in ``details``."""
    columns: dict[str, Any] = {}
    details: dict[str, Value] = {}
    for question in questions:
        if question.id in values:
            stored = question.stored(values[question.id])
            details |= stored.pop("details", {})
            columns |= stored
    if details:
        columns["details"] = json.dumps(details, ensure_ascii=False)
    return columns

"""Reusable ways of asking: a choice among items, a searchable choice, a free text, a ranking.

A widget keeps the answer in progress in the draft (``ctx.draft[question.id]``) and what it
shows in the view (a page, a detail, suggestions); every text it says is given by the
declaration, so one widget serves many questions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.dialogs.context import DialogContext, Done, Move, Redraw, Reject, Value
from bot.dialogs.question import Question, Reading
from bot.dialogs.ranking import TypedRankingError, parse_typed_ranking, typed_digits
from bot.dialogs.screen import Button, Screen, h
from bot.dialogs.text import plain_wish, visible_length
from bot.places import Exact, NotFound, Several


@dataclass(frozen=True)
class Item:
    """Something to choose: its id, its name and, optionally, a portrait and a detail view."""

    id: str
    name: str
    portrait: str = ""
    detail: str = ""


@dataclass(frozen=True)
class ChoiceTexts:
    """What a choice says (message ids)."""

    hint: str
    typed_hint: str
    """Said when a typed answer is not a number of the list; ``{count}`` items."""
    chosen: str
    """The echo once chosen; ``{name}``."""
    gone: str
    pick: str = ""
    """The detail view's button; ``{name}``."""
    back: str = ""
    """The detail view's way back to the list."""
    previous: str = ""
    """The button offering last time's choice; ``{name}``."""


@dataclass(frozen=True)
class Choice:
    """One item among a list, by a tap or its number, with pages and a detail view when the
    items have one; ``none`` is an extra answer (« none of them »), typed as 0."""

    items: Callable[[Reading], Sequence[Item]]
    texts: ChoiceTexts
    none: Item | None = None
    per_page: int = 6
    per_row: int = 2

    def _all(self, reading: Reading) -> list[Item]:
        none = [Item(self.none.id, reading.t._(self.none.name))] if self.none else []
        return [*self.items(reading), *none]

    def _item(self, reading: Reading, item_id: Value) -> Item | None:
        return next((item for item in self._all(reading) if item.id == item_id), None)

    def valid(self, reading: Reading, value: Value) -> bool:
        return self._item(reading, value) is not None

    def shown(self, reading: Reading, value: Value) -> str:
        item = self._item(reading, value)
        return item.name if item else ""

    def reopen(self, question: Question, ctx: DialogContext) -> None:
        ctx.drop_draft(question.id)

    def _pages(self, reading: Reading) -> int:
        return max(1, -(-len(self.items(reading)) // self.per_page))

    def screen(self, question: Question, ctx: DialogContext, heading: str) -> Screen:
        detail = self._item(ctx, ctx.view.get("detail"))
        if detail is not None and detail.detail:
            return self._detail(ctx, detail)
        t = ctx.t
        items = self.items(ctx)
        page = min(int(ctx.view.get("page", 0)), self._pages(ctx) - 1)
        start = page * self.per_page
        shown = items[start : start + self.per_page]
        text = f"{heading} {t._(question.prompt)}"
        if any(item.portrait for item in shown):
            lines = [f"{start + n + 1}. <b>{h(i.name)}</b> — {h(i.portrait)}" for n, i in enumerate(shown)]
            text += "\n\n" + "\n".join(lines)
        text += "\n\n" + t._(self.texts.hint)
        rows: list[tuple[Button, ...]] = []
        previous = ctx.previous.values.get(question.id)
        if self.texts.previous and question.id not in ctx.draft and self.valid(ctx, previous):
            label = t._(self.texts.previous, name=self.shown(ctx, previous))
            rows.append((ctx.button(label, "pick", str(previous)),))
        if any(item.detail for item in shown):
            rows.extend(
                (
                    ctx.button(i.name, "pick", i.id),
                    ctx.button(t._("ℹ️ {name}", name=i.name), "info", i.id),
                )
                for i in shown
            )
        else:
            buttons = [ctx.button(i.name, "pick", i.id) for i in shown]
            rows.extend(tuple(buttons[n : n + self.per_row]) for n in range(0, len(buttons), self.per_row))
        pages = self._pages(ctx)
        if pages > 1:
            rows.append(
                (
                    ctx.button("◀", "page", str((page - 1) % pages)),
                    ctx.button(t._("Page {page}/{pages}", page=page + 1, pages=pages), "page", str(page)),
                    ctx.button("▶", "page", str((page + 1) % pages)),
                )
            )
        if self.none is not None:
            rows.append((ctx.button(t._(self.none.name), "pick", self.none.id),))
        return Screen(text, tuple(rows))

    def _detail(self, ctx: DialogContext, item: Item) -> Screen:
        t = ctx.t
        text = f"<b>{h(item.name)}</b> — {h(item.portrait)}\n\n{h(item.detail)}"
        return Screen(
            text,
            (
                (ctx.button(t._(self.texts.pick, name=item.name), "pick", item.id),),
                (ctx.button(t._(self.texts.back), "back"),),
            ),
        )

    def _pick(self, question: Question, ctx: DialogContext, item_id: str) -> Move:
        if self._item(ctx, item_id) is None:
            return Reject(ctx.t._(self.texts.gone))
        ctx.set_draft(question.id, item_id)
        return Done(ctx.t._(self.texts.chosen, name=self.shown(ctx, item_id)))

    def on_action(self, question: Question, ctx: DialogContext, action: str, arg: str) -> Move | None:
        if action == "pick":
            return self._pick(question, ctx, arg)
        if action == "info" and (item := self._item(ctx, arg)) is not None and item.detail:
            ctx.set_view(detail=arg)
            return Redraw()
        if action == "back":
            ctx.set_view(detail=None)
            return Redraw()
        if action == "page" and arg in (pages := [str(page) for page in range(self._pages(ctx))]):
            if pages.index(arg) == int(ctx.view.get("page", 0)):
                return Redraw(ctx.t._("Vous êtes déjà sur cette page."))
            ctx.set_view(page=pages.index(arg))
            return Redraw()
        return None

    def on_text(self, question: Question, ctx: DialogContext, text: str) -> Move:
        items = self.items(ctx)
        count = len(items)
        digits = typed_digits(text.strip())
        if digits is not None and len(digits) <= len(str(count)) and int(digits) <= count:
            index = int(digits)
            if index:
                return self._pick(question, ctx, items[index - 1].id)
            if self.none is not None:
                return self._pick(question, ctx, self.none.id)
        return Reject(ctx.t._(self.texts.typed_hint, count=count))

    def on_other(self, question: Question, ctx: DialogContext) -> Move:
        return self.on_text(question, ctx, "")


@dataclass(frozen=True)
class SearchTexts:
    """What a searchable choice says (message ids)."""

    hint: str
    suggestions: str
    not_found: str
    """Said when nothing matches; ``{text}`` is what was typed."""
    elsewhere: str
    """Said for a postal code outside the list."""
    chosen: str
    """The echo once chosen; ``{name}``."""
    outside: str
    """The button and the answer « somewhere else »."""


SHOWN_TYPED = 40
"""What a resident typed is repeated up to this many characters."""


@dataclass(frozen=True)
class PlaceSearch:
    """A commune among the metropolis', found from what people type (a name with or without
    accents, a postal code, an arrondissement), or « outside the metropolis »."""

    texts: SearchTexts
    outside: str

    def valid(self, reading: Reading, value: Value) -> bool:
        return value == self.outside or reading.places.commune(value) is not None

    def shown(self, reading: Reading, value: Value) -> str:
        if value == self.outside:
            return reading.t._(self.texts.outside)
        commune = reading.places.commune(value)
        return commune.name if commune else ""

    def reopen(self, question: Question, ctx: DialogContext) -> None:
        ctx.drop_draft(question.id)

    def screen(self, question: Question, ctx: DialogContext, heading: str) -> Screen:
        t = ctx.t
        text = f"{heading} {t._(question.prompt)}\n\n{t._(self.texts.hint)}"
        rows: list[tuple[Button, ...]] = []
        matches = [c for code in ctx.view.get("matches", []) if (c := ctx.places.commune(code))]
        if matches:
            text += "\n\n" + t._(self.texts.suggestions)
            rows.extend((ctx.button(c.short, "pick", c.code),) for c in matches)
        rows.append((ctx.button(t._(self.texts.outside), "pick", self.outside),))
        return Screen(text, tuple(rows))

    def _pick(self, question: Question, ctx: DialogContext, code: str) -> Move:
        ctx.set_draft(question.id, code)
        return Done(ctx.t._(self.texts.chosen, name=self.shown(ctx, code)))

    def on_action(self, question: Question, ctx: DialogContext, action: str, arg: str) -> Move | None:
        if action == "pick" and self.valid(ctx, arg):
            return self._pick(question, ctx, arg)
        return None

    def on_text(self, question: Question, ctx: DialogContext, text: str) -> Move:
        found = ctx.places.find(text)
        if isinstance(found, Exact):
            ctx.set_view(matches=None)
            return self._pick(question, ctx, found.commune.code)
        if isinstance(found, Several):
            ctx.set_view(matches=[commune.code for commune in found.communes])
            return Redraw()
        assert isinstance(found, NotFound)
        if found.outside_postal_code:
            return Reject(ctx.t._(self.texts.elsewhere, outside=ctx.t._(self.texts.outside)))
        typed = plain_wish(text)
        typed = typed if len(typed) <= SHOWN_TYPED else typed[: SHOWN_TYPED - 1] + "…"
        return Reject(ctx.t._(self.texts.not_found, text=h(typed)))

    def on_other(self, question: Question, ctx: DialogContext) -> Move:
        return Reject(ctx.t._(self.texts.hint))


@dataclass(frozen=True)
class TextTexts:
    """What a free text says (message ids)."""

    hint: str
    """``{min}`` and ``{max}`` characters."""
    current: str
    keep: str
    kept: str
    too_short: str
    too_long: str
    not_text: str
    noted: str


@dataclass(frozen=True)
class FreeText:
    """A text of ``minimum`` to ``maximum`` characters, typed in one message."""

    texts: TextTexts
    minimum: int
    maximum: int

    def valid(self, reading: Reading, value: Value) -> bool:
        return isinstance(value, str) and self.minimum <= visible_length(value) and len(value) <= self.maximum

    def shown(self, reading: Reading, value: Value) -> str:
        return value if isinstance(value, str) else ""

    def reopen(self, question: Question, ctx: DialogContext) -> None:
        """The text is kept: the resident can keep it with one tap."""

    def screen(self, question: Question, ctx: DialogContext, heading: str) -> Screen:
        t = ctx.t
        text = f"{heading} {t._(question.prompt)}\n\n" + t._(
            self.texts.hint, min=self.minimum, max=self.maximum
        )
        rows: list[tuple[Button, ...]] = []
        current = ctx.draft.get(question.id)
        if current:
            text += "\n\n" + t._(self.texts.current, wish=h(current))
            rows.append((ctx.button(t._(self.texts.keep), "keep"),))
        return Screen(text, tuple(rows))

    def on_action(self, question: Question, ctx: DialogContext, action: str, arg: str) -> Move | None:
        if action == "keep" and ctx.draft.get(question.id):
            return Done(ctx.t._(self.texts.kept))
        return None

    def on_text(self, question: Question, ctx: DialogContext, text: str) -> Move:
        typed = plain_wish(text)
        if visible_length(typed) < self.minimum:
            return Reject(ctx.t._(self.texts.too_short, min=self.minimum))
        if len(typed) > self.maximum:
            return Reject(ctx.t._(self.texts.too_long, length=len(typed), max=self.maximum))
        ctx.set_draft(question.id, typed)
        return Done(ctx.t._(self.texts.noted))

    def on_other(self, question: Question, ctx: DialogContext) -> Move:
        return Reject(ctx.t._(self.texts.not_text))


@dataclass(frozen=True)
class Ranking:
    """Every item, in order of preference: by taps, one after the other, or typed digits."""

    items: Callable[[Reading], Sequence[Item]]

    def _ids(self, reading: Reading) -> list[str]:
        return [item.id for item in self.items(reading)]

    def valid(self, reading: Reading, value: Value) -> bool:
        return isinstance(value, list) and sorted(value) == sorted(self._ids(reading))

    def shown(self, reading: Reading, value: Value) -> str:
        names = {item.id: item.name for item in self.items(reading)}
        return "\n".join(f"{n}. {names.get(v, v)}" for n, v in enumerate(value or [], start=1))

    def reopen(self, question: Question, ctx: DialogContext) -> None:
        ctx.drop_draft(question.id)

    def screen(self, question: Question, ctx: DialogContext, heading: str) -> Screen:
        t = ctx.t
        items = self.items(ctx)
        ranked: list[str] = ctx.view.get("ranked", [])
        listing = "\n".join(
            f"{n}. <b>{h(i.name)}</b> — {h(i.portrait)}" for n, i in enumerate(items, start=1)
        )
        parts = [f"{heading} {t._(question.prompt, count=len(items))}", listing]
        if ranked:
            parts.append(t._("Votre classement pour l’instant :") + "\n" + h(self.shown(ctx, ranked)))
        parts.append(
            t._(
                "Touchez les valeurs dans l’ordre, ou tapez leurs numéros dans l’ordre, "
                "par exemple « {example} ».",
                example=" ".join(str(n) for n in _example(len(items))),
            )
        )
        rows: list[tuple[Button, ...]] = []
        previous = ctx.previous.values.get(question.id)
        if previous is not None and self.valid(ctx, previous) and not ranked:
            rows.append((ctx.button(t._("Même classement que la dernière fois"), "same"),))
        rows.extend((ctx.button(i.name, "rank", i.id),) for i in items if i.id not in ranked)
        if ranked:
            rows.append((ctx.button(t._("↩ Annuler"), "undo"), ctx.button(t._("✖ Recommencer"), "reset")))
        return Screen("\n\n".join(parts), tuple(rows))

    def _complete(self, question: Question, ctx: DialogContext, ranked: list[str]) -> Move:
        ctx.set_draft(question.id, ranked)
        ctx.set_view(ranked=None)
        return Done(ctx.t._("Classement enregistré."))

    def on_action(self, question: Question, ctx: DialogContext, action: str, arg: str) -> Move | None:
        ranked: list[str] = ctx.view.get("ranked", [])
        ids = self._ids(ctx)
        if action == "rank" and arg in ids:
            if arg in ranked:
                return Redraw(ctx.t._("Cette valeur est déjà classée."))
            remaining = [value for value in ids if value not in [*ranked, arg]]
            if len(remaining) == 1:
                return self._complete(question, ctx, [*ranked, arg, *remaining])
            ctx.set_view(ranked=[*ranked, arg])
            return Redraw()
        if action in ("undo", "reset") and ranked:
            ctx.set_view(ranked=ranked[:-1] if action == "undo" else None)
            return Redraw()
        previous = ctx.previous.values.get(question.id)
        if action == "same" and previous is not None and self.valid(ctx, previous):
            return self._complete(question, ctx, list(previous))
        return None

    def on_text(self, question: Question, ctx: DialogContext, text: str) -> Move:
        ids = self._ids(ctx)
        parsed = parse_typed_ranking(text, len(ids))
        if isinstance(parsed, TypedRankingError):
            return Reject(_explain(ctx, parsed, len(ids)))
        return self._complete(question, ctx, [ids[n - 1] for n in parsed])

    def on_other(self, question: Question, ctx: DialogContext) -> Move:
        return self.on_text(question, ctx, "")


def _explain(ctx: DialogContext, error: TypedRankingError, count: int) -> str:
    numbers = ", ".join(str(n) for n in error.numbers)
    example = " ".join(str(n) for n in _example(count))
    reasons = {
        "not_digits": ctx.t._(
            "Je n’ai pas compris ce classement : tapez uniquement les numéros des valeurs."
        ),
        "out_of_range": ctx.t._(
            "Les numéros vont de 1 à {count} ; ceci n’en est pas un : {numbers}.",
            count=count,
            numbers=numbers,
        ),
        "repeated": ctx.t._(
            "Chaque valeur ne peut être classée qu’une fois ; en double : {numbers}.", numbers=numbers
        ),
        "missing": ctx.t._(
            "Il faut classer les {count} valeurs ; il manque : {numbers}.", count=count, numbers=numbers
        ),
    }
    return (
        reasons[error.reason]
        + "\n"
        + ctx.t._(
            "Exemple : « {example} » place la valeur n° {first} en premier.",
            example=example,
            first=_example(count)[0],
        )
    )


def _example(count: int) -> tuple[int, ...]:
    """A sample order for the hint, e.g. 3 1 5 2 4 for five values."""
    return (3, 1, 5, 2, 4)[:count] if count == 5 else tuple(range(count, 0, -1))

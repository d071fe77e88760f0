"""The resident dialog, one small named step per question.

Each step renders its screen from the dialog state and turns a resident's input (a button or
a text) into a :data:`Move`. Steps never talk to Telegram or the database: the dialog engine
applies moves, and the consultation service stores and sends.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from bot.content import Content, Paradox
from bot.dialogs.callbacks import Callback
from bot.dialogs.ranking import TypedRankingError, parse_typed_ranking, typed_digits
from bot.dialogs.screen import Button, Screen, h
from bot.i18n import Translator
from bot.personas import NO_PERSONA
from bot.storage.models import DialogState

WISH_MIN = 10
WISH_MAX = 1000
PERSONAS_PER_PAGE = 6
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters, except tab and line feed."""


class StepName(StrEnum):
    IDLE = "idle"
    PARADOX = "paradox"
    PERSONA = "persona"
    WISH = "wish"
    VALUES = "values"
    SUMMARY = "summary"


@dataclass(frozen=True)
class Previous:
    """What the resident answered before: offered again with one tap."""

    persona_id: str | None = None
    ranking: tuple[str, ...] = ()
    answered: frozenset[str] = frozenset()


@dataclass
class DialogContext:
    t: Translator
    content: Content
    state: DialogState
    previous: Previous

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
    def ranking(self) -> list[str]:
        return [value for value in self.state.ranking.split(",") if value]

    def persona_name(self, persona_id: str | None) -> str:
        persona = self.content.persona(persona_id)
        return self.t.content(persona.name) if persona else self.t._("Aucun d’entre eux")

    def value_name(self, value_id: str) -> str:
        value = self.content.value(value_id)
        return self.t.content(value.name) if value else value_id


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
    step: StepName


@dataclass(frozen=True)
class Reject:
    """The input cannot be used; ``message`` says why and what to do instead."""

    message: str


@dataclass(frozen=True)
class Confirm:
    """The resident confirmed the summary: the answer is to be stored."""


Move = Redraw | Done | GoTo | Reject | Confirm


class Step:
    name: ClassVar[StepName]

    def screen(self, ctx: DialogContext) -> Screen:
        raise NotImplementedError

    def on_action(self, ctx: DialogContext, action: str, arg: str) -> Move:
        return Reject(ctx.t._("Ce bouton ne correspond pas à cette étape."))

    def on_text(self, ctx: DialogContext, text: str) -> Move:
        return Reject(ctx.t._("Pour cette étape, utilisez les boutons ci-dessous."))

    def on_other(self, ctx: DialogContext) -> Move:
        """A sticker, photo, voice note or any message without text."""
        return self.on_text(ctx, "")


def plain_wish(text: str) -> str:
    """The wish as stored: Unicode-normalised, without invisible characters at its ends.

    Anything typed can be stored and shown again: half of a character (a lone surrogate, which
    Telegram's JSON can carry) becomes "�", and control characters other than tab and line feed
    (NUL, which PostgreSQL refuses, among them) are dropped.
    """
    text = _CONTROLS.sub("", _SURROGATES.sub("\N{REPLACEMENT CHARACTER}", text))
    text = unicodedata.normalize("NFC", text)
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]


def _invisible(character: str) -> bool:
    """Spaces, and format characters such as zero-width spaces and direction marks."""
    return character.isspace() or unicodedata.category(character) == "Cf"


def visible_length(text: str) -> int:
    """How many characters a reader sees: format characters (zero-width…) do not count."""
    return sum(1 for c in text if unicodedata.category(c) != "Cf")


def paradox_heading(ctx: DialogContext, paradox: Paradox) -> str:
    number = ctx.content.paradoxes.index(paradox) + 1
    return ctx.t._(
        "Paradoxe {number} sur {total}",
        number=number,
        total=len(ctx.content.paradoxes),
    )


class IdleStep(Step):
    name = StepName.IDLE

    def screen(self, ctx: DialogContext) -> Screen:
        text = ctx.t._(
            "Que souhaitez-vous faire ? Répondre au paradoxe suivant, en choisir un, "
            "ou consulter le calendrier avec /agenda."
        )
        return Screen(
            text,
            (
                (Button(ctx.t._("Paradoxe suivant ▶"), Callback("next").encode()),),
                (Button(ctx.t._("Choisir un paradoxe"), Callback("list").encode()),),
            ),
        )

    def on_text(self, ctx: DialogContext, text: str) -> Move:
        return Reject(ctx.t._("Aucune réponse n’est en cours."))


class ParadoxStep(Step):
    name = StepName.PARADOX

    def screen(self, ctx: DialogContext) -> Screen:
        paradox = ctx.paradox
        text = (
            f"<i>{h(paradox_heading(ctx, paradox))}</i>\n"
            f"<b>{h(ctx.t.content(paradox.title))}</b>\n\n{h(ctx.t.content(paradox.text))}"
        )
        if paradox.id in ctx.previous.answered:
            text += "\n\n" + ctx.t._(
                "Vous avez déjà répondu à ce paradoxe : une nouvelle réponse remplacera l’ancienne."
            )
        return Screen(
            text,
            (
                (ctx.button(ctx.t._("Répondre ▶"), "start"),),
                (Button(ctx.t._("Autres paradoxes"), Callback("list").encode()),),
            ),
        )

    def on_action(self, ctx: DialogContext, action: str, arg: str) -> Move:
        if action == "start":
            return Done(ctx.t._("C’est parti !"))
        return super().on_action(ctx, action, arg)

    def on_text(self, ctx: DialogContext, text: str) -> Move:
        return Reject(
            ctx.t._("Touchez « Répondre ▶ » pour commencer, ou /paradoxes pour en choisir un autre.")
        )


class PersonaStep(Step):
    name = StepName.PERSONA

    def _pages(self, ctx: DialogContext) -> int:
        return -(-len(ctx.content.personas) // PERSONAS_PER_PAGE)

    def screen(self, ctx: DialogContext) -> Screen:
        detail = ctx.content.persona(ctx.state.persona_detail)
        return self._detail(ctx, detail.id) if detail else self._list(ctx)

    def _list(self, ctx: DialogContext) -> Screen:
        personas = ctx.content.personas
        page = min(ctx.state.persona_page, self._pages(ctx) - 1)
        start = page * PERSONAS_PER_PAGE
        shown = personas[start : start + PERSONAS_PER_PAGE]
        lines = [
            f"{start + offset + 1}. <b>{h(ctx.t.content(p.name))}</b> — {h(ctx.t.content(p.portrait))}"
            for offset, p in enumerate(shown)
        ]
        text = "\n".join(
            [
                ctx.t._("<b>Question 1 sur 3.</b> De quel habitant vous sentez-vous le plus proche ?"),
                "",
                *lines,
                "",
                ctx.t._(
                    "Touchez un prénom pour le choisir, ou ℹ️ pour en savoir plus. "
                    "Vous pouvez aussi taper son numéro (0 : aucun d’entre eux)."
                ),
            ]
        )
        rows: list[tuple[Button, ...]] = []
        if ctx.previous.persona_id and ctx.state.persona_id is None:
            label = ctx.t._("Comme la dernière fois : {name}", name=ctx.persona_name(ctx.previous.persona_id))
            rows.append((ctx.button(label, "pick", ctx.previous.persona_id),))
        rows.extend(
            (
                ctx.button(ctx.t.content(p.name), "pick", p.id),
                ctx.button(ctx.t._("ℹ️ {name}", name=ctx.t.content(p.name)), "info", p.id),
            )
            for p in shown
        )
        pages = self._pages(ctx)
        if pages > 1:
            rows.append(
                (
                    ctx.button("◀", "page", str((page - 1) % pages)),
                    ctx.button(
                        ctx.t._("Page {page}/{pages}", page=page + 1, pages=pages),
                        "page",
                        str(page),
                    ),
                    ctx.button("▶", "page", str((page + 1) % pages)),
                )
            )
        rows.append((ctx.button(ctx.t._("Aucun d’entre eux"), "pick", NO_PERSONA),))
        return Screen(text, tuple(rows))

    def _detail(self, ctx: DialogContext, persona_id: str) -> Screen:
        persona = ctx.content.persona(persona_id)
        assert persona is not None
        name = ctx.t.content(persona.name)
        text = (
            f"<b>{h(name)}</b> — {h(ctx.t.content(persona.portrait))}\n\n{h(ctx.t.content(persona.detail))}"
        )
        return Screen(
            text,
            (
                (ctx.button(ctx.t._("Je choisis {name}", name=name), "pick", persona.id),),
                (ctx.button(ctx.t._("◀ Tous les habitants"), "back"),),
            ),
        )

    def _pick(self, ctx: DialogContext, persona_id: str) -> Move:
        if persona_id != NO_PERSONA and ctx.content.persona(persona_id) is None:
            return Reject(ctx.t._("Cet habitant ne fait plus partie de la liste."))
        ctx.state.persona_id = persona_id
        ctx.state.persona_detail = None
        return Done(ctx.t._("Habitant choisi : {name}", name=ctx.persona_name(persona_id)))

    def on_action(self, ctx: DialogContext, action: str, arg: str) -> Move:
        if action == "pick":
            return self._pick(ctx, arg)
        if action == "info" and ctx.content.persona(arg):
            ctx.state.persona_detail = arg
            return Redraw()
        if action == "back":
            ctx.state.persona_detail = None
            return Redraw()
        if action == "page" and arg in (pages := [str(page) for page in range(self._pages(ctx))]):
            if pages.index(arg) == ctx.state.persona_page:
                return Redraw(ctx.t._("Vous êtes déjà sur cette page."))
            ctx.state.persona_page = pages.index(arg)
            return Redraw()
        return super().on_action(ctx, action, arg)

    def on_text(self, ctx: DialogContext, text: str) -> Move:
        count = len(ctx.content.personas)
        digits = typed_digits(text.strip())
        if digits is not None and len(digits) <= len(str(count)) and int(digits) <= count:
            index = int(digits)
            return self._pick(ctx, ctx.content.personas[index - 1].id if index else NO_PERSONA)
        return Reject(
            ctx.t._(
                "Pour choisir un habitant, touchez son prénom ou tapez son numéro, de 1 à {count} "
                "(0 : aucun d’entre eux).",
                count=count,
            )
        )


class WishStep(Step):
    name = StepName.WISH

    def screen(self, ctx: DialogContext) -> Screen:
        text = ctx.t._(
            "<b>Question 2 sur 3.</b> Projetez-vous en 2030. Complétez la phrase : "
            "« En 2030, ma métropole idéale est… »\n\n"
            "Écrivez votre réponse en un message, de {min} à {max} caractères.",
            min=WISH_MIN,
            max=WISH_MAX,
        )
        rows: list[tuple[Button, ...]] = []
        if ctx.state.wish:
            text += "\n\n" + ctx.t._("Votre réponse actuelle : « {wish} »", wish=h(ctx.state.wish))
            rows.append((ctx.button(ctx.t._("Garder ma réponse"), "keep"),))
        return Screen(text, tuple(rows))

    def on_action(self, ctx: DialogContext, action: str, arg: str) -> Move:
        if action == "keep" and ctx.state.wish:
            return Done(ctx.t._("Réponse conservée."))
        return super().on_action(ctx, action, arg)

    def on_text(self, ctx: DialogContext, text: str) -> Move:
        wish = plain_wish(text)
        if visible_length(wish) < WISH_MIN:
            return Reject(
                ctx.t._(
                    "C’est un peu court : écrivez au moins {min} caractères pour décrire "
                    "votre métropole idéale.",
                    min=WISH_MIN,
                )
            )
        if len(wish) > WISH_MAX:
            return Reject(
                ctx.t._(
                    "C’est un peu long : {length} caractères pour {max} au plus. "
                    "Raccourcissez votre texte et renvoyez-le.",
                    length=len(wish),
                    max=WISH_MAX,
                )
            )
        ctx.state.wish = wish
        return Done(ctx.t._("Merci, c’est noté."))

    def on_other(self, ctx: DialogContext) -> Move:
        return Reject(
            ctx.t._(
                "Ici, j’ai besoin d’un texte écrit : les messages vocaux, photos et "
                "autocollants ne peuvent pas être enregistrés comme réponse."
            )
        )


class ValuesStep(Step):
    name = StepName.VALUES

    def screen(self, ctx: DialogContext) -> Screen:
        values = ctx.content.values
        ranked = ctx.ranking
        listing = "\n".join(
            f"{index}. <b>{h(ctx.t.content(v.name))}</b> — {h(ctx.t.content(v.description))}"
            for index, v in enumerate(values, start=1)
        )
        parts = [
            ctx.t._(
                "<b>Question 3 sur 3.</b> Classez les {count} valeurs de la métropole, "
                "de la plus importante à la moins importante pour vous.",
                count=len(values),
            ),
            listing,
        ]
        if ranked:
            parts.append(
                ctx.t._("Votre classement pour l’instant :") + "\n" + self.ranking_lines(ctx, ranked)
            )
        parts.append(
            ctx.t._(
                "Touchez les valeurs dans l’ordre, ou tapez leurs numéros dans l’ordre, "
                "par exemple « {example} ».",
                example=" ".join(str(n) for n in _example(len(values))),
            )
        )
        rows: list[tuple[Button, ...]] = []
        if ctx.previous.ranking and not ranked:
            rows.append((ctx.button(ctx.t._("Même classement que la dernière fois"), "same"),))
        rows.extend((ctx.button(ctx.t.content(v.name), "rank", v.id),) for v in values if v.id not in ranked)
        if ranked:
            rows.append(
                (
                    ctx.button(ctx.t._("↩ Annuler"), "undo"),
                    ctx.button(ctx.t._("✖ Recommencer"), "reset"),
                )
            )
        return Screen("\n\n".join(parts), tuple(rows))

    @staticmethod
    def ranking_lines(ctx: DialogContext, ranked: list[str]) -> str:
        return "\n".join(
            f"{index}. {h(ctx.value_name(value))}" for index, value in enumerate(ranked, start=1)
        )

    def _complete(self, ctx: DialogContext, ranked: list[str]) -> Move:
        ctx.state.ranking = ",".join(ranked)
        return Done(ctx.t._("Classement enregistré."))

    def on_action(self, ctx: DialogContext, action: str, arg: str) -> Move:
        ranked = ctx.ranking
        ids = [v.id for v in ctx.content.values]
        if action == "rank" and arg in ids:
            if arg in ranked:
                return Redraw(ctx.t._("Cette valeur est déjà classée."))
            ranked.append(arg)
            remaining = [value for value in ids if value not in ranked]
            if len(remaining) == 1:
                return self._complete(ctx, [*ranked, *remaining])
            ctx.state.ranking = ",".join(ranked)
            return Redraw()
        if action == "undo" and ranked:
            ctx.state.ranking = ",".join(ranked[:-1])
            return Redraw()
        if action == "reset" and ranked:
            ctx.state.ranking = ""
            return Redraw()
        if action == "same" and sorted(ctx.previous.ranking) == sorted(ids):
            return self._complete(ctx, list(ctx.previous.ranking))
        return super().on_action(ctx, action, arg)

    def on_text(self, ctx: DialogContext, text: str) -> Move:
        values = ctx.content.values
        parsed = parse_typed_ranking(text, len(values))
        if isinstance(parsed, TypedRankingError):
            return Reject(self._explain(ctx, parsed, len(values)))
        return self._complete(ctx, [values[n - 1].id for n in parsed])

    @staticmethod
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
                "Chaque valeur ne peut être classée qu’une fois ; en double : {numbers}.",
                numbers=numbers,
            ),
            "missing": ctx.t._(
                "Il faut classer les {count} valeurs ; il manque : {numbers}.",
                count=count,
                numbers=numbers,
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


class SummaryStep(Step):
    name = StepName.SUMMARY

    def screen(self, ctx: DialogContext) -> Screen:
        text = "\n\n".join(
            [
                ctx.t._("Voici votre réponse. Tout est juste ?"),
                ctx.t._("<b>Paradoxe :</b> {title}", title=h(ctx.t.content(ctx.paradox.title))),
                ctx.t._("<b>Habitant :</b> {name}", name=h(ctx.persona_name(ctx.state.persona_id))),
                ctx.t._("<b>En 2030, ma métropole idéale est…</b> {wish}", wish=h(ctx.state.wish or "")),
                ctx.t._("<b>Vos valeurs :</b>") + "\n" + ValuesStep.ranking_lines(ctx, ctx.ranking),
            ]
        )
        return Screen(
            text,
            (
                (ctx.button(ctx.t._("✅ Je confirme"), "confirm"),),
                (
                    ctx.button(ctx.t._("✏️ Habitant"), "edit", StepName.PERSONA),
                    ctx.button(ctx.t._("✏️ Métropole idéale"), "edit", StepName.WISH),
                    ctx.button(ctx.t._("✏️ Valeurs"), "edit", StepName.VALUES),
                ),
            ),
        )

    def on_action(self, ctx: DialogContext, action: str, arg: str) -> Move:
        if action == "confirm":
            return Confirm()
        if action == "edit" and arg in (StepName.PERSONA, StepName.WISH, StepName.VALUES):
            ctx.state.return_to_summary = True
            if arg == StepName.VALUES:
                ctx.state.ranking = ""
            if arg == StepName.PERSONA:
                ctx.state.persona_id = None
            return GoTo(StepName(arg))
        return super().on_action(ctx, action, arg)

    def on_text(self, ctx: DialogContext, text: str) -> Move:
        return Reject(
            ctx.t._("Touchez « ✅ Je confirme » pour enregistrer votre réponse, ou ✏️ pour la modifier.")
        )


STEPS: tuple[Step, ...] = (
    IdleStep(),
    ParadoxStep(),
    PersonaStep(),
    WishStep(),
    ValuesStep(),
    SummaryStep(),
)
FLOW: tuple[StepName, ...] = (
    StepName.PARADOX,
    StepName.PERSONA,
    StepName.WISH,
    StepName.VALUES,
    StepName.SUMMARY,
)

"""The steps of the resident dialog: the fixed ones (idle, the paradox, the summary, the
profile) and one per declared question.

Each step renders its screen from the dialog state and turns a resident's input (a button or
a text) into a :data:`Move`; the dialog engine applies it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum

from bot.content import Paradox
from bot.dialogs.callbacks import Callback
from bot.dialogs.context import Cast, Confirm, Deal, DialogContext, Done, GoTo, Move, Reject
from bot.dialogs.question import Question
from bot.dialogs.screen import Button, Screen, h
from bot.i18n import N_

NOT_SAID = N_("Je préfère ne pas le dire")
EDITS_PER_ROW = 3


class StepName(StrEnum):
    """The steps that are not questions; a question's step is named by its id."""

    IDLE = "idle"
    PARADOX = "paradox"
    SUMMARY = "summary"
    PROFILE = "profile"
    VOTE = "vote"


class Step:
    def screen(self, ctx: DialogContext) -> Screen:
        raise NotImplementedError

    def on_action(self, ctx: DialogContext, action: str, arg: str) -> Move:
        return Reject(ctx.t._("Ce bouton ne correspond pas à cette étape."))

    def on_text(self, ctx: DialogContext, text: str) -> Move:
        return Reject(ctx.t._("Pour cette étape, utilisez les boutons ci-dessous."))

    def on_other(self, ctx: DialogContext) -> Move:
        """A sticker, photo, voice note or any message without text."""
        return self.on_text(ctx, "")


def paradox_heading(ctx: DialogContext, paradox: Paradox) -> str:
    number = ctx.content.paradoxes.index(paradox) + 1
    return ctx.t._("Paradoxe {number} sur {total}", number=number, total=len(ctx.content.paradoxes))


class IdleStep(Step):
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
                (Button(ctx.t._("🗳 Donner mon avis sur d’autres souhaits"), Callback("vote").encode()),),
            ),
        )

    def on_text(self, ctx: DialogContext, text: str) -> Move:
        return Reject(ctx.t._("Aucune réponse n’est en cours."))


class ParadoxStep(Step):
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


class QuestionStep(Step):
    """A declared question, asked through its widget; ``heading`` numbers it in its flow."""

    def __init__(self, question: Question, heading: Callable[[DialogContext, Question], str]) -> None:
        self.question = question
        self._heading = heading

    def screen(self, ctx: DialogContext) -> Screen:
        question = self.question
        screen = question.widget.screen(question, ctx, self._heading(ctx, question))
        if not question.skippable:
            return screen
        return Screen(screen.text, (*screen.keyboard, (ctx.button(ctx.t._(NOT_SAID), "skip"),)))

    def on_action(self, ctx: DialogContext, action: str, arg: str) -> Move:
        question = self.question
        move = question.widget.on_action(question, ctx, action, arg)
        if move is not None:
            return move
        if action == "skip" and question.skippable:
            ctx.set_draft(question.id, None)
            return Done(ctx.t._("C’est noté, sans réponse."))
        return super().on_action(ctx, action, arg)

    def on_text(self, ctx: DialogContext, text: str) -> Move:
        return self.question.widget.on_text(self.question, ctx, text)

    def on_other(self, ctx: DialogContext) -> Move:
        return self.question.widget.on_other(self.question, ctx)


def _edits(ctx: DialogContext, questions: Sequence[Question]) -> tuple[tuple[Button, ...], ...]:
    buttons = [ctx.button(ctx.t._(q.edit), "edit", q.id) for q in questions]
    return tuple(tuple(buttons[n : n + EDITS_PER_ROW]) for n in range(0, len(buttons), EDITS_PER_ROW))


def _answered(ctx: DialogContext, question: Question) -> bool:
    value = ctx.draft.get(question.id)
    if value is None:
        return question.skippable and question.id in ctx.draft
    return question.widget.valid(ctx, value)


def _line(ctx: DialogContext, question: Question, value: object) -> str:
    shown = question.widget.shown(ctx, value) if value is not None else ctx.t._("non renseigné")
    return ctx.t._(question.summary, value=h(shown))


class SummaryStep(Step):
    """The answer as a whole, to confirm or to change question by question."""

    def __init__(self, questions: Callable[[DialogContext], Sequence[Question]]) -> None:
        self._questions = questions

    def screen(self, ctx: DialogContext) -> Screen:
        questions = self._questions(ctx)
        draft = ctx.draft
        text = "\n\n".join(
            [
                ctx.t._("Voici votre réponse. Tout est juste ?"),
                ctx.t._("<b>Paradoxe :</b> {title}", title=h(ctx.t.content(ctx.paradox.title))),
                *(_line(ctx, q, draft.get(q.id)) for q in questions),
            ]
        )
        confirm = (ctx.button(ctx.t._("✅ Je confirme"), "confirm"),)
        return Screen(text, (confirm, *_edits(ctx, questions)))

    def on_action(self, ctx: DialogContext, action: str, arg: str) -> Move:
        if action == "confirm":
            missing = next((q for q in self._questions(ctx) if not _answered(ctx, q)), None)
            if missing is None:
                return Confirm()
            ctx.state.return_to = StepName.SUMMARY  # the content changed since: ask it again
            return GoTo(missing.id)
        question = next((q for q in self._questions(ctx) if q.id == arg), None)
        if action == "edit" and question is not None:
            ctx.state.return_to = StepName.SUMMARY
            question.widget.reopen(question, ctx)
            return GoTo(question.id)
        return super().on_action(ctx, action, arg)

    def on_text(self, ctx: DialogContext, text: str) -> Move:
        return Reject(
            ctx.t._("Touchez « ✅ Je confirme » pour enregistrer votre réponse, ou ✏️ pour la modifier.")
        )


class ProfileStep(Step):
    """What the resident said once (their commune, their age…), each changeable."""

    def __init__(self, questions: Callable[[DialogContext], Sequence[Question]]) -> None:
        self._questions = questions

    def screen(self, ctx: DialogContext) -> Screen:
        questions = self._questions(ctx)
        lines = [_line(ctx, q, ctx.profile.get(q.id)) for q in questions]
        text = "\n".join(
            [
                ctx.t._("<b>Votre profil</b>"),
                ctx.t._("Il aide à savoir d’où viennent les réponses ; chaque question est facultative."),
                "",
                *lines,
            ]
        )
        done = (ctx.button(ctx.t._("✅ C’est bon"), "done"),)
        return Screen(text, (*_edits(ctx, questions), done))

    def on_action(self, ctx: DialogContext, action: str, arg: str) -> Move:
        if action == "done":
            return GoTo(ctx.state.resume or StepName.IDLE)
        question = next((q for q in self._questions(ctx) if q.id == arg), None)
        if action == "edit" and question is not None:
            ctx.state.return_to = StepName.PROFILE
            return GoTo(question.id)
        return super().on_action(ctx, action, arg)

    def on_text(self, ctx: DialogContext, text: str) -> Move:
        return Reject(ctx.t._("Touchez ✏️ pour changer une réponse, ou « ✅ C’est bon »."))


VOTES = (
    (1, N_("👍 D’accord")),
    (-1, N_("👎 Pas d’accord")),
    (0, N_("🤷 Je ne sais pas")),
)
"""The opinions a resident can give of another's wish, by the value stored."""


class VoteStep(Step):
    """Another resident's wish, and the resident's opinion of it; changeable on the same card."""

    def screen(self, ctx: DialogContext) -> Screen:
        t, card = ctx.t, ctx.card
        assert card is not None, "the service loads the card before a voting screen"
        paradox = ctx.content.paradox(card.paradox_id)
        title = t.content(paradox.title) if paradox else ""
        text = "\n\n".join(
            [
                t._("<b>Le souhait d’un habitant</b>, sur le paradoxe « {title} » :", title=h(title)),
                t._("« En 2030, ma métropole idéale est… {wish} »", wish=h(card.text)),
                t.ngettext(
                    "Encore {n} souhait à découvrir après celui-ci.",
                    "Encore {n} souhaits à découvrir après celui-ci.",
                    card.left,
                ),
            ]
        )
        choices = [
            ctx.button(("✓ " if card.vote == value else "") + t._(label), "vote", str(value + 1))
            for value, label in VOTES
        ]
        rows: list[tuple[Button, ...]] = [tuple(choices[:2]), (choices[2],)]
        last = (ctx.button(t._("Suivant ▶"), "deal"),) if card.vote is not None else ()
        rows.append((*last, ctx.button(t._("Arrêter"), "stop")))
        return Screen(text, tuple(rows))

    def on_action(self, ctx: DialogContext, action: str, arg: str) -> Move:
        values = {str(value + 1): value for value, _ in VOTES}
        if action == "vote" and arg in values and ctx.card is not None:
            return Cast(values[arg])
        if action == "deal" and ctx.card is not None and ctx.card.vote is not None:
            return Deal()
        if action == "stop":
            return GoTo(ctx.state.resume or StepName.IDLE)
        return super().on_action(ctx, action, arg)

    def on_text(self, ctx: DialogContext, text: str) -> Move:
        return Reject(ctx.t._("Touchez un bouton pour donner votre avis, ou « Arrêter »."))

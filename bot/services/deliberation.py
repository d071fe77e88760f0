"""Residents weigh each other's wishes: sharing a wish, and voting on the wishes others shared.

A wish is shared only with its author's explicit consent, per answer, and shown to nobody
until staff approve it (``bot.services.moderation``). Voting is a step of the resident's
dialog (``VoteStep``): the card's wish is loaded here before it is drawn, and the next one is
picked as Pol.is does, favouring wishes with few votes and those that separate opinions, by
their extremity at the last analysis of the votes (``bot.synthesis.opinions``; stored by
``bot.synthesis.deliberation``).
"""

from __future__ import annotations

import random
from dataclasses import replace

from bot.clock import Clock
from bot.dialogs import DialogContext, ResidentDialog, Screen, StepName, h
from bot.dialogs.callbacks import Callback
from bot.dialogs.context import Card
from bot.dialogs.screen import Button
from bot.dialogs.text import shorten
from bot.i18n import Translator
from bot.storage import Repositories, Resident
from bot.storage.deliberation import APPROVED, PENDING, REJECTED
from bot.synthesis.opinions import Counts, next_wish

SHOWN_TITLE = 60


class Deliberation:
    def __init__(self, dialog: ResidentDialog, clock: Clock) -> None:
        self.dialog = dialog
        self.clock = clock

    async def load(self, repos: Repositories, resident: Resident, ctx: DialogContext) -> None:
        """Before a voting screen: the wish on the card, or the next one if it was withdrawn."""
        if ctx.state.step != StepName.VOTE:
            return
        ctx.card = await self._card(repos, resident, ctx.view.get("wish"))
        if ctx.card is None:
            await self.deal(repos, resident, ctx)

    async def _card(self, repos: Repositories, resident: Resident, wish_id: object) -> Card | None:
        """The card of a wish already dealt: the resident may have voted on it since."""
        wish = await repos.deliberation.approved(wish_id if isinstance(wish_id, int) else None)
        if wish is None:
            return None
        left = sum(1 for tally in await repos.deliberation.tallies(resident) if tally.wish_id != wish.id)
        vote = await repos.deliberation.vote_of(resident, wish.id)
        return Card(wish.id, wish.text, wish.paradox_id, vote, left)

    async def deal(self, repos: Repositories, resident: Resident, ctx: DialogContext) -> str | None:
        """Put the next wish on the card; when none is left, go back where the resident was and
        return what to tell them."""
        tallies = await repos.deliberation.tallies(resident)
        if not tallies:
            ctx.card = None
            state = ctx.state
            state.step, state.resume, state.view = state.resume or StepName.IDLE, None, None
            return ctx.t._(
                "Vous avez donné votre avis sur tous les souhaits partagés pour l’instant, merci ! "
                "D’autres arriveront : revenez avec /avis."
            )
        rng = random.Random(f"{resident.id}:{ctx.state.version}")  # the same card after a restart
        chosen = next_wish(
            {t.wish_id: Counts(t.agree, t.disagree, t.passed) for t in tallies},
            rng,
            extremity={t.wish_id: t.extremity for t in tallies},  # from the last analysis
        )
        ctx.set_view(wish=chosen)
        wish = await repos.deliberation.approved(chosen)
        assert wish is not None, "a tally is of an approved wish, in this same transaction"
        ctx.card = Card(wish.id, wish.text, wish.paradox_id, None, len(tallies) - 1)  # not voted yet
        return None

    async def cast(self, repos: Repositories, resident: Resident, ctx: DialogContext, value: int) -> None:
        """Store the resident's opinion of the wish on the card (changeable on the same card)."""
        assert ctx.card is not None
        await repos.deliberation.vote(resident, ctx.card.wish_id, value, self.clock.now())
        ctx.card = replace(ctx.card, vote=value)

    @staticmethod
    def share_question(t: Translator, answer_id: int) -> tuple[str, tuple[tuple[Button, ...], ...]]:
        """Asked after each confirmed answer: may its wish be shown to other residents?"""
        text = t._(
            "Votre souhait peut-il être montré, sans votre nom, à d’autres habitants pour qu’ils "
            "disent s’ils sont d’accord ? Il ne le sera qu’après relecture par l’équipe de la "
            "consultation, tel que vous l’avez écrit. Vous pourrez changer d’avis avec /partage."
        )
        keyboard = (
            (
                Button(t._("Oui, le partager"), Callback("share", f"{answer_id}.y").encode()),
                Button(t._("Non, le garder pour moi"), Callback("share", f"{answer_id}.n").encode()),
            ),
        )
        return text, keyboard

    async def set_sharing(self, repos: Repositories, resident: Resident, arg: str) -> bool | None:
        """Share or stop sharing one of the resident's answers (``<answer id>.y|n``); None for an
        answer that is not theirs (forged data)."""
        answer_id, _, choice = arg.partition(".")
        answer = next((a for a in await repos.answers.of(resident) if str(a.id) == answer_id), None)
        if answer is None or choice not in ("y", "n"):
            return None
        shared = await repos.deliberation.shared(resident)
        if choice == "y" and answer.id not in shared:
            await repos.deliberation.share(answer, self.clock.now())
        elif choice == "n":
            await repos.deliberation.withdraw(answer)
        return choice == "y"

    async def sharing(
        self, repos: Repositories, resident: Resident, t: Translator, ctx: DialogContext
    ) -> Screen:
        """``/partage``: each answer's wish, whether it is shared, and a button to change it."""
        answers = await repos.answers.of(resident)
        if not answers:
            return Screen(t._("Vous n’avez pas encore de réponse confirmée."))
        shared = await repos.deliberation.shared(resident)
        states = {
            PENDING: t._("partagé, en attente de relecture"),
            APPROVED: t._("partagé et proposé aux autres habitants"),
            REJECTED: t._("non retenu par l’équipe de la consultation"),
        }
        lines, rows = [t._("<b>Vos souhaits partagés</b>")], []
        for number, answer in enumerate(answers, start=1):
            paradox = ctx.content.paradox(answer.paradox_id)
            title = t.content(paradox.title) if paradox else answer.paradox_id
            wish = shared.get(answer.id)
            state = states[wish.state] if wish else t._("non partagé")
            lines.append(f"{number}. {h(shorten(title, SHOWN_TITLE))} — {h(state)}")
            label = (
                t._("Ne plus partager n° {number}", number=number)
                if wish
                else t._("Partager n° {number}", number=number)
            )
            rows.append((Button(label, Callback("sharing", f"{answer.id}.{'n' if wish else 'y'}").encode()),))
        return Screen("\n".join(lines), tuple(rows))

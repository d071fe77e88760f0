"""Staff read every shared wish before any resident sees it: publish it as written, or not.

``/moderate`` gives a staff member one pending wish at a time, held for them for
:data:`LEASE` so that two moderators never read the same one; the wish is published as written
or rejected with a reason, never edited. A wish that seems to hold personal data (a phone
number, an email address, a name, an address) carries a warning.
"""

from __future__ import annotations

import re
from datetime import timedelta

from bot.clock import Clock
from bot.content import Content
from bot.dialogs.callbacks import Callback
from bot.dialogs.screen import Button, Screen, h
from bot.i18n import N_, I18n, Translator
from bot.services.consultation import Who
from bot.services.replies import Reply
from bot.storage import Database, Repositories
from bot.storage.deliberation import APPROVED, REJECTED
from bot.storage.models import SharedWish

LEASE = timedelta(minutes=15)
REASONS: dict[str, str] = {
    "personal": N_("données personnelles"),
    "insult": N_("insulte"),
    "offtopic": N_("hors sujet"),
    "duplicate": N_("doublon"),
}
"""Why a wish is rejected, by the code stored."""
PERSONAL_DATA: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?:\+33|0033|\b0)\s*[1-9](?:[\s.-]*\d{2}){4}\b"), N_("un numéro de téléphone")),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), N_("une adresse e-mail")),
    (re.compile(r"\b(?:je m[’']appelle|mon nom est|my name is)\s+\w+", re.IGNORECASE), N_("un nom")),
    (
        re.compile(
            r"\b\d{1,4}(?:\s*(?:bis|ter))?,?\s+(?:rue|avenue|av\.|boulevard|bd|chemin|allée|impasse|place|"
            r"cours|traverse|montée|quai|route)\b",
            re.IGNORECASE,
        ),
        N_("une adresse"),
    ),
)


def personal_data(text: str) -> list[str]:
    """What the wish seems to contain that could identify someone (message ids)."""
    return [kind for pattern, kind in PERSONAL_DATA if pattern.search(text)]


class Moderation:
    def __init__(self, database: Database, content: Content, i18n: I18n, clock: Clock) -> None:
        self.database = database
        self.content = content
        self.i18n = i18n
        self.clock = clock

    def _t(self, who: Who) -> Translator:
        return self.i18n.guess(who.language_code)

    async def next(self, who: Who, after: int = 0) -> Reply:
        """``/moderate``: the next wish waiting for this moderator."""
        async with self.database.transaction() as repos:
            return Reply(send=[await self._next(repos, who, after)])

    async def _next(self, repos: Repositories, who: Who, after: int = 0) -> Screen:
        t = self._t(who)
        wish = await repos.deliberation.claim(who.telegram_id, self.clock.now(), LEASE, after)
        if wish is None:
            return Screen(t._("Aucun souhait à relire pour l’instant."))
        return self._card(t, wish, await repos.deliberation.waiting())

    def _card(self, t: Translator, wish: SharedWish, waiting: int) -> Screen:
        paradox = self.content.paradox(wish.paradox_id)
        persona = self.content.persona(wish.persona_id)
        parts = [
            t.ngettext(
                "{n} souhait en attente de relecture.",
                "{n} souhaits en attente de relecture.",
                waiting,
            ),
            t._(
                "Paradoxe « {paradox} », habitant : {persona}",
                paradox=h(t.content(paradox.title)) if paradox else h(wish.paradox_id),
                persona=h(t.content(persona.name)) if persona else h(wish.persona_id),
            ),
            f"« {h(wish.text)} »",
        ]
        found = personal_data(wish.text)
        if found:
            parts.append(
                t._(
                    "⚠ Ce souhait semble contenir {what} : refusez-le s’il permet de reconnaître quelqu’un.",
                    what=", ".join(t._(kind) for kind in found),
                )
            )
        keyboard = (
            (
                Button(t._("✅ Publier"), Callback("mod", f"a.{wish.id}").encode()),
                Button(t._("✖ Refuser"), Callback("mod", f"r.{wish.id}").encode()),
            ),
            (Button(t._("⏭ Passer"), Callback("mod", f"s.{wish.id}").encode()),),
        )
        return Screen("\n\n".join(parts), keyboard)

    async def press(self, who: Who, arg: str) -> Reply:
        """A moderator's button: ``a.<id>`` publish, ``r.<id>`` choose a reason, ``x.<id>.<reason>``
        reject, ``s.<id>`` pass to the next one."""
        t = self._t(who)
        kind, _, rest = arg.partition(".")
        wish_id, _, reason = rest.partition(".")
        if not wish_id.isdigit():
            return Reply(toast=t._("Ce bouton n’est plus d’actualité."))
        number = int(wish_id)
        async with self.database.transaction() as repos:
            now = self.clock.now()
            if kind == "r":
                reasons = tuple(
                    (Button(t._(label), Callback("mod", f"x.{number}.{code}").encode()),)
                    for code, label in REASONS.items()
                )
                return Reply(edit=Screen(t._("Pourquoi refuser ce souhait ?"), reasons))
            if kind == "s":
                await repos.deliberation.release(number, who.telegram_id)
                return Reply(clear_keyboard=True, send=[await self._next(repos, who, after=number)])
            decided = (
                kind == "a" and await repos.deliberation.decide(number, who.telegram_id, APPROVED, None, now)
            ) or (
                kind == "x"
                and reason in REASONS
                and await repos.deliberation.decide(number, who.telegram_id, REJECTED, reason, now)
            )
            if not decided:
                return Reply(
                    toast=t._("Ce souhait n’est plus à relire (déjà traité, ou votre tour est passé).")
                )
            done = (
                t._("✓ Publié.") if kind == "a" else t._("✓ Refusé : {reason}.", reason=t._(REASONS[reason]))
            )
            return Reply(edit=Screen(done), send=[await self._next(repos, who)])

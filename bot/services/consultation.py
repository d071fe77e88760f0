"""The resident side of the consultation: consent, language, paradoxes and the dialog.

Every public method handles one update in one database transaction and returns a
:class:`Reply`. Messages that thank a resident for an answer are only returned once the
answer is stored, and the Telegram layer only sends them after the transaction commits.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from babel import Locale

from bot.clock import Clock
from bot.commands import RESIDENT_COMMANDS
from bot.config import LANGUAGES
from bot.content import Content, Paradox, Stage
from bot.dialogs import DialogContext, Previous, ResidentDialog, Screen, StepName, h
from bot.dialogs.callbacks import Callback
from bot.dialogs.context import Cast, Confirm, Deal, Done, GoTo, Redraw, Reject, Value
from bot.dialogs.question import Question, Reader, columns_of
from bot.dialogs.questions import QUESTIONS
from bot.dialogs.screen import Button
from bot.i18n import I18n, Translator
from bot.places import Places, load_places
from bot.privacy import NOTICE_VERSION, privacy_notice
from bot.services.deliberation import Deliberation
from bot.services.personal_data import personal_data, profile_of
from bot.services.reminders import REMIND, Reminders, Timing
from bot.services.replies import Reply
from bot.services.standing import RECOUNT, Standings
from bot.storage import Answer, Database, DialogState, Repositories, Resident

MAX_SOURCE = 56
"""A deep-link payload is kept up to this length, so that it fits in a consent button."""
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""What Telegram allows in a deep link's payload."""


@dataclass(frozen=True)
class Who:
    """The Telegram user behind an update."""

    telegram_id: int
    language_code: str | None = None
    pressed: int | None = None
    """The message whose button was pressed, for a button press."""


@dataclass
class Turn:
    """One update's view of a resident, inside its transaction."""

    who: Who
    repos: Repositories
    t: Translator
    resident: Resident | None
    ctx: DialogContext | None


class ConsultationService:
    def __init__(
        self,
        database: Database,
        content: Content,
        i18n: I18n,
        clock: Clock,
        questions: Sequence[Question] = QUESTIONS,
        places: Places | None = None,
        reminders: Reminders | None = None,
        recount: timedelta = RECOUNT,
    ) -> None:
        self.database = database
        self.content = content
        self.i18n = i18n
        self.clock = clock
        self.places = places or load_places()
        self.dialog = ResidentDialog(questions)
        self.deliberation = Deliberation(self.dialog, clock)
        self.reminders = reminders or Reminders(content, i18n, clock, questions, Timing(after=None))
        self.standings = Standings(content, self.places, clock, recount)

    def _context(
        self, t: Translator, resident: Resident, state: DialogState, previous: Previous
    ) -> DialogContext:
        return DialogContext(t, self.content, self.places, state, previous, profile_of(resident))

    @asynccontextmanager
    async def _turn(self, who: Who) -> AsyncIterator[Turn]:
        async with self.database.transaction() as repos:
            resident = await repos.residents.by_telegram_id(who.telegram_id)
            if resident is None:
                yield Turn(who, repos, self.i18n.guess(who.language_code), None, None)
                return
            t = self.i18n(resident.language)
            if resident.consent_version != NOTICE_VERSION:
                # The notice changed since they accepted it: nothing new is stored until they
                # accept the new one (their earlier answers stay as they were).
                yield Turn(who, repos, t, resident, None)
                return
            state = await repos.dialogs.of(resident, self.clock.now())
            ctx = self._context(t, resident, state, await self._previous(repos, resident))
            if state.paradox_id is not None and self.content.paradox(state.paradox_id) is None:
                self.dialog.reset(ctx)  # the content changed under the draft: start afresh
            await self.deliberation.load(repos, resident, ctx)
            version, profile, reminder = state.version, dict(ctx.profile), state.reminder_id
            yield Turn(who, repos, t, resident, ctx)
            if state.version != version:
                state.updated_at = self.clock.now()
                await self.reminders.follow(repos, state, reminder)
            if ctx.profile != profile:
                await self._describe(repos, resident, ctx.profile)

    async def _describe(self, repos: Repositories, resident: Resident, profile: dict[str, Value]) -> None:
        """Keep what the resident said of themselves, on them and on their answers."""
        resident.profile = json.dumps(profile, ensure_ascii=False)
        once = [q for q in self.dialog.questions if q.once]
        await self.standings.changing(repos, resident)
        await repos.answers.describe(resident, columns_of(once, profile))

    async def _previous(self, repos: Repositories, resident: Resident) -> Previous:
        """The last answer's values, offered again (each widget checks they still fit)."""
        answers = await repos.answers.recent(resident)
        if not answers:
            return Previous()
        last = answers[0]
        return Previous(
            values={q.id: q.restored(last) for q in self.dialog.questions if not q.once},
            answered=frozenset(a.paradox_id for a in answers),
        )

    # Commands

    async def start(self, who: Who, payload: str | None) -> Reply:
        """``/start``, with an optional deep-link payload: a source, possibly a paradox."""
        source = deep_link_source(payload)
        async with self._turn(who) as turn:
            if turn.ctx is None:
                welcome = (
                    self._welcome(turn.t, source) if turn.resident is None else self._consent_first(turn)
                )
                return Reply(send=[welcome])
            if source:
                turn.ctx.state.source = source
            paradox = self.content.paradox(source)
            if paradox is not None:
                return Reply(send=[self.dialog.begin(turn.ctx, paradox.id)])
            if self.dialog.in_progress(turn.ctx):
                screen = self.dialog.screen(turn.ctx)
                return Reply(send=[screen.with_notice(turn.t._("Bon retour ! Vous en étiez là :"))])
            return Reply(send=[self._next_paradox(turn.ctx)])

    async def paradoxes(self, who: Who) -> Reply:
        async with self._turn(who) as turn:
            return Reply(send=[self._paradox_list(turn)])

    async def agenda(self, who: Who) -> Reply:
        async with self._turn(who) as turn:
            return Reply(send=[Screen(self._agenda(turn.t))])

    async def language(self, who: Who) -> Reply:
        async with self._turn(who) as turn:
            text = turn.t._("Choisissez votre langue :")
            return Reply(send=[Screen(text, (self._language_buttons(),))])

    async def privacy(self, who: Who) -> Reply:
        async with self._turn(who) as turn:
            t = turn.t
            notice = privacy_notice(t, self.content)
            if turn.resident is None or turn.ctx is None:
                return Reply(send=[Screen(notice, self._consent_buttons(t, t.language, None))])
            accepted = t._(
                "Vous avez donné votre accord le {date}.",
                date=t.datetime(turn.resident.consented_at),
            )
            return Reply(send=[Screen(f"{notice}\n\n{accepted}")])

    async def cancel(self, who: Who) -> Reply:
        async with self._turn(who) as turn:
            ctx = turn.ctx
            if ctx is None or not self.dialog.in_progress(ctx):
                text = turn.t._("Il n’y a rien à annuler.")
                return Reply(send=[self._idle_or_welcome(turn).with_notice(text)])
            notice = (
                turn.t._("Votre réponse en cours est abandonnée ; rien n’a été enregistré.")
                if ctx.state.paradox_id
                else turn.t._("Entendu. Pour répondre plus tard aux questions facultatives : /profile")
            )
            self.dialog.reset(ctx)
            return Reply(send=[self.dialog.screen(ctx).with_notice(notice)])

    async def profile(self, who: Who) -> Reply:
        """``/profile``: the commune and age band the resident gave, to see and change."""
        async with self._turn(who) as turn:
            if turn.ctx is None:
                return Reply(send=[self._consent_first(turn)])
            return Reply(send=[self.dialog.open_profile(turn.ctx)], retire=self._moved_on(turn.ctx, True))

    async def avis(self, who: Who) -> Reply:
        """``/avis``: other residents' wishes, one at a time, for the resident's opinion."""
        async with self._turn(who) as turn:
            if turn.ctx is None:
                return Reply(send=[self._consent_first(turn)])
            retire = self._moved_on(turn.ctx, True)
            return Reply(send=[await self._votes(turn, turn.ctx)], retire=retire)

    async def results(self, who: Who) -> Reply:
        """``/resultats``: where the resident's latest ranking stands, and the participation."""
        async with self._turn(who) as turn:
            commune = profile_of(turn.resident).get("commune") if turn.resident is not None else None
            standing = await self.standings.latest(turn.repos, turn.resident, commune)
            return Reply(send=[Screen(self.standings.results(turn.t, standing, commune is not None))])

    async def partage(self, who: Who) -> Reply:
        """``/partage``: which of the resident's wishes are shared, each changeable."""
        async with self._turn(who) as turn:
            if turn.ctx is None or turn.resident is None:
                return Reply(send=[self._consent_first(turn)])
            return Reply(send=[await self.deliberation.sharing(turn.repos, turn.resident, turn.t, turn.ctx)])

    async def stop(self, who: Who) -> Reply:
        """``/stop``: no more announcements, nor reminders."""
        async with self._turn(who) as turn:
            if turn.resident is not None:
                turn.resident.subscribed = False
                turn.resident.reminders = False
            text = turn.t._(
                "C’est noté : vous ne recevrez plus d’annonces ni de rappels. "
                "Pour recevoir à nouveau les annonces : /subscribe"
            )
            return Reply(send=[Screen(text)])

    async def subscribe(self, who: Who) -> Reply:
        """``/subscribe``: announcements of the next stages, for residents who consented."""
        async with self._turn(who) as turn:
            if turn.resident is None or turn.ctx is None:
                return Reply(send=[self._consent_first(turn)])
            turn.resident.subscribed = True
            text = turn.t._(
                "C’est noté : vous recevrez les annonces des prochaines étapes. Pour les arrêter : /stop"
            )
            return Reply(send=[Screen(text)])

    async def my_data(self, who: Who) -> Reply:
        """``/mydata``: everything stored about the resident, readable and as a JSON file."""
        async with self._turn(who) as turn:
            t, resident = turn.t, turn.resident
            if resident is None:
                return Reply(send=[Screen(t._("Je n’ai rien enregistré sur vous."))])
            state = await turn.repos.dialogs.of(resident, self.clock.now())
            reader = Reader(t, self.content, self.places)
            return await personal_data(turn.repos, resident, state, reader, self.dialog.questions)

    async def forget(self, who: Who) -> Reply:
        """``/forget``: asks for confirmation before erasing anything."""
        async with self._turn(who) as turn:
            t = turn.t
            if turn.resident is None:
                return Reply(send=[Screen(t._("Je n’ai rien enregistré sur vous."))])
            text = t._(
                "Effacer vos données ? Votre identifiant, votre langue, votre réponse en cours et "
                "votre abonnement aux annonces seront supprimés. Vos réponses confirmées restent dans "
                "la consultation, sans plus aucun lien avec vous. C’est définitif."
            )
            keyboard = (
                (
                    Button(t._("Oui, tout effacer"), Callback("forget", "y").encode()),
                    Button(t._("Annuler"), Callback("forget", "n").encode()),
                ),
            )
            return Reply(send=[Screen(text, keyboard)])

    async def edited(self, who: Who) -> Reply:
        """An edited message: answers are what was sent, so say how to change one."""
        async with self._turn(who) as turn:
            text = turn.t._(
                "Je ne tiens pas compte des messages modifiés : envoyez plutôt un nouveau message. "
                "Pour changer une réponse, utilisez les boutons ✏️ du résumé, ou /cancel."
            )
            return Reply(send=[Screen(text)])

    async def flooded(self, who: Who) -> Reply:
        """The resident sent too much too fast: say so, once, politely."""
        async with self._turn(who) as turn:
            text = turn.t._(
                "Doucement 🙂 Vous m’avez envoyé beaucoup de messages d’un coup. Je fais une pause "
                "d’une minute avec vous ; ensuite, reprenez où vous en étiez, rien n’est perdu."
            )
            return Reply(toast=turn.t._("Pause d’une minute"), send=[Screen(text)])

    def group_invitation(self, language_code: str | None) -> Screen:
        """Said once when the bot is added to a group or channel; everything else there is ignored."""
        t = self.i18n.guess(language_code)
        return Screen(
            t._(
                "Bonjour ! Je recueille l’avis de chaque habitant en conversation privée, pour que vos "
                "réponses restent les vôtres. Écrivez-moi directement pour participer."
            )
        )

    def inline_invitation(self, language_code: str | None) -> str:
        """The button offered to someone who typed the bot's name in another chat."""
        return self.i18n.guess(language_code)._("Participer à la consultation en privé")

    async def blocked(self, who: Who) -> None:
        """The resident blocked the bot: they are unsubscribed."""
        async with self._turn(who) as turn:
            if turn.resident is not None:
                turn.resident.subscribed = False

    async def help(self, who: Who) -> Reply:
        async with self._turn(who) as turn:
            return Reply(send=[Screen(self._help(turn.t))])

    async def unknown_command(self, who: Who) -> Reply:
        async with self._turn(who) as turn:
            text = turn.t._("Je ne connais pas cette commande.") + "\n\n" + self._help(turn.t)
            return Reply(send=[Screen(text)])

    # Messages

    async def text(self, who: Who, text: str) -> Reply:
        async with self._turn(who) as turn:
            if turn.ctx is None:
                return Reply(send=[self._consent_first(turn)])
            result = self.dialog.text(turn.ctx, text)
            assert result.screen is not None
            return Reply(send=[result.screen], retire=self._moved_on(turn.ctx, result.changed))

    async def other(self, who: Who) -> Reply:
        """A message without text: a sticker, a photo, a voice note…"""
        async with self._turn(who) as turn:
            if turn.ctx is None:
                return Reply(send=[self._consent_first(turn)])
            result = self.dialog.other(turn.ctx)
            assert result.screen is not None
            return Reply(send=[result.screen], retire=self._moved_on(turn.ctx, result.changed))

    # Buttons

    async def press(self, who: Who, data: str | None) -> Reply:
        callback = Callback.decode(data)
        async with self._turn(who) as turn:
            if callback is None:
                return self._stale(turn)
            if callback.version is None:
                return await self._global(turn, callback)
            if turn.ctx is None:
                return Reply(
                    toast=turn.t._("Acceptez d’abord la notice pour participer."),
                    send=[self._consent_first(turn)],
                )
            if callback.version != turn.ctx.state.version:
                return self._stale(turn)
            if callback.action == REMIND:
                return await self._reminded(turn, turn.ctx, callback.arg)
            return await self._dialog_press(turn, turn.ctx, callback)

    async def _reminded(self, turn: Turn, ctx: DialogContext, arg: str) -> Reply:
        """The reminder's button: back to the exact step the resident left, their draft intact."""
        if not await self.reminders.resumed(turn.repos, ctx.state, arg):
            return self._stale(turn)
        notice = turn.t._("Bon retour ! Vous en étiez là :")
        return Reply(clear_keyboard=True, send=[self.dialog.screen(ctx).with_notice(notice)])

    async def _dialog_press(self, turn: Turn, ctx: DialogContext, callback: Callback) -> Reply:
        result = self.dialog.press(ctx, callback.action, callback.arg)
        move = result.move
        if isinstance(move, Reject):
            return Reply(toast=move.message)
        if isinstance(move, Redraw):
            return Reply(toast=move.toast, edit=result.screen, retire=self._adopt(turn, ctx))
        if ctx.state.keyboard_message_id == turn.who.pressed:  # its buttons go now
            ctx.state.keyboard_message_id = None
        if isinstance(move, Confirm):
            return Reply(clear_keyboard=True, send=[await self._store(turn, ctx)])
        if isinstance(move, Cast | Deal):
            return await self._weigh(turn, ctx, move)
        assert isinstance(move, Done | GoTo)
        assert result.screen is not None
        return Reply(clear_keyboard=True, send=[result.screen])

    async def _weigh(self, turn: Turn, ctx: DialogContext, move: Cast | Deal) -> Reply:
        """A vote on the card, or the next card: the same message is redrawn."""
        assert turn.resident is not None
        if isinstance(move, Cast):
            await self.deliberation.cast(turn.repos, turn.resident, ctx, move.value)
            return Reply(edit=self.dialog.screen(ctx), retire=self._adopt(turn, ctx))
        done = await self.deliberation.deal(turn.repos, turn.resident, ctx)
        if done is not None:
            return Reply(clear_keyboard=True, send=[self.dialog.screen(ctx).with_notice(done)])
        return Reply(edit=self.dialog.screen(ctx), retire=self._adopt(turn, ctx))

    async def _votes(self, turn: Turn, ctx: DialogContext) -> Screen:
        """Into the voting cards, from wherever the resident is."""
        assert turn.resident is not None
        self.dialog.open_votes(ctx)
        done = await self.deliberation.deal(turn.repos, turn.resident, ctx)
        screen = self.dialog.screen(ctx)
        return screen.with_notice(done) if done else screen

    async def _shared(self, turn: Turn, ctx: DialogContext, arg: str) -> Reply:
        """The resident's answer to « may your wish be shown? », just after confirming."""
        assert turn.resident is not None
        t = turn.t
        shared = await self.deliberation.set_sharing(turn.repos, turn.resident, arg)
        if shared is None:
            return self._stale(turn)
        notice = (
            t._("Merci ! Votre souhait sera proposé aux autres habitants après relecture.")
            if shared
            else t._("Entendu : votre souhait reste dans la consultation sans être montré.")
        )
        if turn.resident.subscribed:
            return Reply(clear_keyboard=True, send=[self.dialog.screen(ctx).with_notice(notice)])
        return Reply(clear_keyboard=True, send=[self._subscription_offer(t).with_notice(notice)])

    async def _global(self, turn: Turn, callback: Callback) -> Reply:
        t, ctx, arg = turn.t, turn.ctx, callback.arg
        match callback.action:
            case "ok" if (consent := self._consent(arg)) is not None:
                return await self._accept(turn, *consent)
            case "no":
                text = t._(
                    "Entendu : rien n’est enregistré. Vous pouvez lire les paradoxes avec "
                    "/paradoxes. Pour participer plus tard, envoyez /start et touchez "
                    "« J’accepte »."
                )
                return Reply(edit=Screen(text))
            case "forget" if arg == "y" and turn.resident is not None:
                await turn.repos.residents.erase(turn.resident)
                await turn.repos.inbox.forget_line(turn.who.telegram_id)
                await turn.repos.outbox.forget_line(turn.who.telegram_id)
                text = t._(
                    "Vos données sont effacées. Vos réponses restent dans la consultation, sans plus "
                    "aucun lien avec vous. Merci d’avoir participé !"
                )
                return Reply(edit=Screen(text))
            case "forget" if arg in ("y", "n"):
                return Reply(edit=Screen(t._("Rien n’a été effacé.")))
            case "noremind" if turn.resident is not None:
                turn.resident.reminders = False
                return Reply(edit=Screen(t._("C’est noté : je ne vous enverrai plus de rappel.")))
            case "join" if (paradox := self.content.paradox(arg)) is not None:
                return Reply(clear_keyboard=True, send=[self._welcome(t, None, paradox)])
            case "lang" if arg in LANGUAGES:
                return self._set_language(turn, arg)
            case "open" if (paradox := self.content.paradox(arg)) is not None:
                if ctx is None:
                    return Reply(clear_keyboard=True, send=[self._read_only(t, paradox)])
                return Reply(clear_keyboard=True, send=[self.dialog.begin(ctx, paradox.id)])
            case "next" if ctx is not None:
                return Reply(clear_keyboard=True, send=[self._next_paradox(ctx)])
            case "list":
                return Reply(clear_keyboard=True, send=[self._paradox_list(turn)])
            case "resume" if ctx is not None:
                return Reply(clear_keyboard=True, send=[self.dialog.screen(ctx)])
            case "share" if ctx is not None:
                return await self._shared(turn, ctx, arg)
            case "sharing" if ctx is not None and turn.resident is not None:
                if await self.deliberation.set_sharing(turn.repos, turn.resident, arg) is None:
                    return self._stale(turn)
                return Reply(edit=await self.deliberation.sharing(turn.repos, turn.resident, t, ctx))
            case "vote" if ctx is not None:
                return Reply(clear_keyboard=True, send=[await self._votes(turn, ctx)])
            case "sub" if arg in ("y", "n") and ctx is not None and turn.resident is not None:
                turn.resident.subscribed = arg == "y"
                notice = (
                    t._("C’est noté : vous recevrez les annonces des prochaines étapes.")
                    if arg == "y"
                    else t._("Entendu : vous ne recevrez pas d’annonces.")
                )
                return Reply(clear_keyboard=True, send=[self.dialog.screen(ctx).with_notice(notice)])
        return self._stale(turn)

    def _stale(self, turn: Turn) -> Reply:
        """A button from an earlier screen or an earlier run: say so and remove it. The current
        screen is shown again only when its buttons are nowhere else (never a second live copy)."""
        t = turn.t
        live = turn.ctx.state.keyboard_message_id if turn.ctx else None
        if live is not None and live != turn.who.pressed:
            return Reply(
                toast=t._("Ce bouton n’est plus d’actualité : utilisez le dernier message."),
                clear_keyboard=True,
            )
        toast = t._("Ce bouton n’est plus d’actualité : voici où vous en êtes.")
        return Reply(toast=toast, clear_keyboard=True, send=[self._idle_or_welcome(turn)])

    @staticmethod
    def _adopt(turn: Turn, ctx: DialogContext) -> int | None:
        """The pressed message, redrawn with its buttons, is the live keyboard; the previous one
        (if another) is retired."""
        state, pressed = ctx.state, turn.who.pressed
        previous = state.keyboard_message_id
        state.keyboard_message_id = pressed
        return previous if previous != pressed else None

    @staticmethod
    def _moved_on(ctx: DialogContext, changed: bool) -> int | None:
        """A typed answer that moves the dialog on makes the live keyboard stale: it is retired."""
        if not changed:
            return None
        previous, ctx.state.keyboard_message_id = ctx.state.keyboard_message_id, None
        return previous

    async def translator(self, who: Who) -> Translator:
        """The resident's chosen language, or their Telegram app's for a stranger."""
        async with self.database.session() as session:
            language = await Repositories(session).residents.language_of(who.telegram_id)
        return self.i18n(language) if language else self.i18n.guess(who.language_code)

    def _idle_or_welcome(self, turn: Turn) -> Screen:
        if turn.ctx is None:
            return self._welcome(turn.t, None)
        return self.dialog.screen(turn.ctx)

    def _consent(self, arg: str) -> tuple[str, str | None, Paradox | None] | None:
        """The consent button's ``<language>[:<deep-link payload>]``, or ``<language>::<paradox>``
        when the resident chose a paradox before accepting (navigation is not a source);
        None for data the bot never puts there."""
        language, _, rest = arg.partition(":")
        source, _, paradox_id = rest.partition(":")
        paradox = self.content.paradox(paradox_id)
        forged = (source and deep_link_source(source) != source) or (paradox_id and paradox is None)
        if language not in LANGUAGES or forged:
            return None
        return language, source or None, paradox

    async def _accept(self, turn: Turn, language: str, source: str | None, paradox: Paradox | None) -> Reply:
        t = self.i18n(language)
        if turn.ctx is not None:
            toast = t._("Vous avez déjà accepté la notice.")
            return Reply(toast=toast, clear_keyboard=True, send=[self.dialog.screen(turn.ctx)])
        if turn.resident is not None:
            return await self._renew(turn, turn.resident, t)
        return await self._enrol(turn, t, source, paradox)

    async def _renew(self, turn: Turn, resident: Resident, t: Translator) -> Reply:
        """A resident accepts the new version of the notice and continues where they were."""
        now = self.clock.now()
        resident.consent_version = NOTICE_VERSION
        resident.consented_at = now
        resident.language = t.language
        state = await turn.repos.dialogs.of(resident, now)
        ctx = self._context(t, resident, state, await self._previous(turn.repos, resident))
        state.version += 1
        thanks = t._("Merci ! Reprenons où vous en étiez.")
        return Reply(
            toast=t._("Merci !"), clear_keyboard=True, send=[self.dialog.screen(ctx).with_notice(thanks)]
        )

    async def _enrol(self, turn: Turn, t: Translator, source: str | None, chosen: Paradox | None) -> Reply:
        now = self.clock.now()
        repos = turn.repos
        telegram_id = turn.who.telegram_id
        resident = await repos.residents.add(telegram_id, t.language, NOTICE_VERSION, now)
        state = await repos.dialogs.of(resident, now)
        state.source = source
        ctx = self._context(t, resident, state, Previous())
        paradox = chosen or self.content.paradox(source)
        screen = self.dialog.begin(ctx, paradox.id) if paradox else self._next_paradox(ctx)
        thanks = t._("Merci ! Commençons.")
        return Reply(toast=t._("Merci !"), clear_keyboard=True, send=[screen.with_notice(thanks)])

    def _set_language(self, turn: Turn, language: str) -> Reply:
        t = self.i18n(language)
        name = _language_name(language)
        if turn.resident is None or turn.ctx is None:
            return Reply(edit=Screen(t._("Langue : {name}", name=name)), send=[self._welcome(t, None)])
        turn.resident.language = language
        turn.ctx.t = t
        turn.ctx.state.version += 1
        return Reply(
            edit=Screen(t._("Langue : {name}", name=name)),
            send=[self.dialog.screen(turn.ctx)],
        )

    async def _store(self, turn: Turn, ctx: DialogContext) -> Screen:
        """Store the confirmed answer; the thank-you is sent only after the commit."""
        resident, state, t = turn.resident, ctx.state, ctx.t
        assert resident is not None
        assert state.paradox_id
        paradox = ctx.paradox
        questions = self.dialog.answer_questions(ctx)
        once = [q for q in self.dialog.questions if q.once]
        await self.standings.changing(turn.repos, resident)
        answer = await turn.repos.answers.save(
            Answer(
                resident_id=resident.id,
                paradox_id=state.paradox_id,
                **columns_of([*questions, *once], ctx.draft | ctx.profile),
                language=resident.language,
                source=state.source,
                consent_version=resident.consent_version,
                submitted_at=self.clock.now(),
            )
        )
        await turn.repos.deliberation.withdraw(answer)  # a new answer needs a new consent to share
        await self.reminders.completed(turn.repos, state)
        self.dialog.after_answer(ctx)
        answered = len(ctx.previous.answered | {paradox.id})
        text = (
            t._(
                "Merci ! Votre réponse au paradoxe « {title} » est enregistrée.",
                title=h(t.content(paradox.title)),
            )
            + "\n"
            + t.ngettext(
                "Vous avez répondu à {n} paradoxe sur {total}.",
                "Vous avez répondu à {n} paradoxes sur {total}.",
                answered,
                total=len(self.content.paradoxes),
            )
        )
        standing = await self.standings.of(
            turn.repos, resident, self.standings.comparable(answer.ranking), answer.persona_id, answer.commune
        )
        place = self.standings.after_answer(t, standing)
        question, keyboard = self.deliberation.share_question(t, answer.id)
        return Screen(f"{text}\n\n{place}\n\n{question}", keyboard)

    @staticmethod
    def _subscription_offer(t: Translator) -> Screen:
        text = t._(
            "Souhaitez-vous recevoir les annonces des prochaines étapes de la consultation ? "
            "(Une poignée de messages, pas plus.)"
        )
        keyboard = (
            (
                Button(t._("Oui, volontiers"), Callback("sub", "y").encode()),
                Button(t._("Non merci"), Callback("sub", "n").encode()),
            ),
        )
        return Screen(text, keyboard)

    # Screens

    def _welcome(self, t: Translator, source: str | None, paradox: Paradox | None = None) -> Screen:
        """The introduction and the notice to accept; accepting records ``source`` (a deep
        link's payload) and opens ``paradox`` (one chosen before accepting) or the source's."""
        intro = t._(
            "Bonjour ! Je suis le robot de « {name} ». Avec moi, vous donnez votre avis sur "
            "l’avenir de la métropole Aix-Marseille-Provence en quelques minutes : un paradoxe, "
            "un habitant qui vous ressemble, votre métropole idéale en 2030 et vos valeurs.",
            name=h(t.content(self.content.consultation.name)),
        )
        notice = privacy_notice(t, self.content)
        buttons = self._consent_buttons(t, t.language, source, paradox)
        return Screen(f"{intro}\n\n{notice}", buttons)

    def _consent_buttons(
        self, t: Translator, language: str, source: str | None, paradox: Paradox | None = None
    ) -> tuple[tuple[Button, ...], ...]:
        accept = language
        if source:
            accept = f"{language}:{source}"
        elif paradox:
            accept = f"{language}::{paradox.id}"
        other = next(code for code in LANGUAGES if code != language)
        return (
            (
                Button(t._("J’accepte"), Callback("ok", accept).encode()),
                Button(t._("Non merci"), Callback("no").encode()),
            ),
            (Button(f"🌐 {_language_name(other)}", Callback("lang", other).encode()),),
        )

    def _consent_first(self, turn: Turn) -> Screen:
        t = turn.t
        if turn.resident is not None:  # they accepted an earlier version of the notice
            notice = t._("Notre notice sur vos données a changé : relisez-la et acceptez-la pour continuer.")
            return Screen(
                privacy_notice(t, self.content), self._consent_buttons(t, t.language, None)
            ).with_notice(notice)
        return self._welcome(t, None).with_notice(t._("Pour participer, j’ai besoin de votre accord :"))

    def _read_only(self, t: Translator, paradox: Paradox) -> Screen:
        text = f"<b>{h(t.content(paradox.title))}</b>\n\n{h(t.content(paradox.text))}"
        join = Button(t._("Participer"), Callback("join", paradox.id).encode())
        return Screen(text, ((join,),))

    def _next_paradox(self, ctx: DialogContext) -> Screen:
        pending = [p for p in self.content.paradoxes if p.id not in ctx.previous.answered]
        if pending:
            return self.dialog.begin(ctx, pending[0].id)
        self.dialog.reset(ctx)
        done = ctx.t._(
            "Vous avez répondu à tous les paradoxes, merci ! Vous pouvez modifier une réponse "
            "en choisissant à nouveau son paradoxe."
        )
        return self._list_screen(ctx.t, ctx).with_notice(done)

    def _paradox_list(self, turn: Turn) -> Screen:
        return self._list_screen(turn.t, turn.ctx)

    def _list_screen(self, t: Translator, ctx: DialogContext | None) -> Screen:
        answered = ctx.previous.answered if ctx else frozenset()
        lines = [
            f"{index}. {'✅ ' if p.id in answered else ''}{h(t.content(p.title))}"
            for index, p in enumerate(self.content.paradoxes, start=1)
        ]
        text = t._("<b>Les paradoxes de la métropole</b>") + "\n\n" + "\n".join(lines)
        numbers = [
            Button(str(index), Callback("open", p.id).encode())
            for index, p in enumerate(self.content.paradoxes, start=1)
        ]
        rows: list[tuple[Button, ...]] = [tuple(numbers[i : i + 4]) for i in range(0, len(numbers), 4)]
        if ctx is not None and ctx.state.paradox_id and ctx.state.step != StepName.PARADOX:
            current = ctx.paradox
            text += "\n\n" + t._(
                "Votre réponse au paradoxe « {title} » est en cours : choisir un autre paradoxe "
                "la remplacera.",
                title=h(t.content(current.title)),
            )
            rows.insert(0, (Button(t._("↩ Reprendre ma réponse"), Callback("resume").encode()),))
        return Screen(text, tuple(rows))

    def _agenda(self, t: Translator) -> str:
        now = self.clock.now()
        past = [s for s in self.content.stages if s.starts <= now]
        upcoming = [s for s in self.content.stages if s.starts > now]
        parts = [t._("<b>Le calendrier de la consultation</b>"), t._("<b>Étapes à venir</b>")]
        parts.extend(_stage_line(t, stage) for stage in upcoming)
        if not upcoming:
            parts.append(t._("Aucune nouvelle étape n’est annoncée pour l’instant."))
        if past:
            parts.append(t._("<b>Étapes passées</b>"))
            parts.extend(_stage_line(t, stage) for stage in past)
        parts.append(t._("Heures de Paris."))
        return "\n\n".join(parts)

    @staticmethod
    def _language_buttons() -> tuple[Button, ...]:
        return tuple(Button(_language_name(code), Callback("lang", code).encode()) for code in LANGUAGES)

    @staticmethod
    def _help(t: Translator) -> str:
        lines = [f"/{name} — {t._(description)}" for name, description in RESIDENT_COMMANDS]
        return "\n".join([t._("<b>Ce que je sais faire</b>"), *lines])


def deep_link_source(payload: str | None) -> str | None:
    """The source a deep link's payload records: only a payload Telegram could have sent (a
    typed ``/start <anything>`` or forged button data records none), cut to MAX_SOURCE."""
    if payload is None or _PAYLOAD.fullmatch(payload) is None:
        return None
    return payload[:MAX_SOURCE]


def stage_when(t: Translator, stage: Stage) -> str:
    """When a stage takes place, as precisely as the calendar knows it."""
    if stage.precision == "month":
        when = t.month(stage.starts.date())
    elif stage.precision == "time":
        when = t.datetime(stage.starts)
    else:
        when = t.date(stage.starts.date())
    return t._("{when} (à confirmer)", when=when) if stage.tentative else when


def _stage_line(t: Translator, stage: Stage) -> str:
    when = stage_when(t, stage)
    return f"• <b>{h(when)}</b> — {h(t.content(stage.title))}\n{h(t.content(stage.description))}"


def _language_name(code: str) -> str:
    """A language's own name, e.g. « Français », « English »."""
    name = Locale(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]

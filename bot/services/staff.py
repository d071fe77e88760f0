"""Staff side: composing, previewing, scheduling and steering broadcasts.

Staff are the Telegram users listed in ``STAFF_IDS``. Their broadcast drafts live in the
database like residents' answers, so a draft survives a restart of the bot.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta
from typing import Any

from bot.clock import PARIS, Clock
from bot.content import Content, Stage
from bot.dialogs.callbacks import Callback
from bot.dialogs.screen import Button, Entity, Screen, h
from bot.i18n import I18n, Translator
from bot.services.broadcasts import (
    BroadcastEngine,
    announcement,
    controls,
    progress,
    progress_screen,
    report,
)
from bot.services.consultation import Who, stage_when
from bot.services.replies import Reply
from bot.storage import Database, Repositories
from bot.storage.broadcasts import CANCELLED, DONE, DRAFT, PAUSED, SCHEDULED, SENDING
from bot.storage.models import Broadcast

ACTIONS = frozenset(
    {"bskip", "bsend", "bsched", "bedit", "bdrop", "bpause", "bresume", "bstop", "bstage", "bremind"}
)
MAX_TEXT = 3800
"""Room is left for the stop hint appended to every announcement (Telegram allows 4096)."""
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_WHEN = (
    re.compile(r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})\s+(?P<H>\d{1,2})[h:](?P<M>\d{2})$"),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})[ T](?P<H>\d{1,2})[h:](?P<M>\d{2})$"),
)
REMINDER_TIME = time(10, 0)


def parse_when(text: str) -> datetime | None:
    """A Paris date and time typed by staff (« 24/05/2027 18:30 » or « 2027-05-24 18:30 »)."""
    for pattern in _WHEN:
        match = pattern.match(text.strip())
        if match:
            try:
                return datetime(
                    int(match["y"]), int(match["m"]), int(match["d"]), int(match["H"]), int(match["M"]),
                    tzinfo=PARIS,
                )  # fmt: skip
            except ValueError:
                return None
    return None


class StaffService:
    def __init__(
        self,
        database: Database,
        content: Content,
        i18n: I18n,
        clock: Clock,
        engine: BroadcastEngine,
        staff_ids: frozenset[int],
    ) -> None:
        self.database = database
        self.content = content
        self.i18n = i18n
        self.clock = clock
        self.engine = engine
        self.staff_ids = staff_ids

    def is_staff(self, who: Who) -> bool:
        return who.telegram_id in self.staff_ids

    def handles(self, who: Who, data: str | None) -> bool:
        """Whether a button press is a staff action of a staff member."""
        callback = Callback.decode(data)
        return self.is_staff(who) and callback is not None and callback.action in ACTIONS

    def _t(self, who: Who) -> Translator:
        return self.i18n.guess(who.language_code)

    # Composing

    async def compose(self, who: Who) -> Reply:
        """``/broadcast``: a new draft, replacing any unfinished one."""
        t = self._t(who)
        async with self.database.transaction() as repos:
            draft = await self._new_draft(repos, who, t, draft_step="fr")
            return Reply(send=[self._prompt(t, draft)])

    async def text(self, who: Who, text: str, entities: list[Entity]) -> Reply | None:
        """A staff member's text, when one of their drafts waits for it; None otherwise."""
        if not self.is_staff(who):
            return None
        t = self._t(who)
        async with self.database.transaction() as repos:
            draft = await repos.broadcasts.draft_of(who.telegram_id)
            if draft is None or draft.draft_step not in ("fr", "en", "link", "schedule"):
                return None
            step = draft.draft_step
            if step in ("fr", "en"):
                if len(text) > MAX_TEXT:
                    notice = t._("Ce texte est trop long : {max} caractères au plus.", max=MAX_TEXT)
                    return Reply(send=[self._prompt(t, draft).with_notice(notice)])
                raw = json.dumps([e for e in entities if e.get("type") != "bot_command"])
                if step == "fr":
                    draft.text_fr, draft.entities_fr = text, raw
                    draft.draft_step = "en" if draft.text_en is None else "preview"
                else:
                    draft.text_en, draft.entities_en = text, raw
                    draft.draft_step = "link" if draft.link_url is None else "preview"
            elif step == "link":
                if not _URL.match(text.strip()):
                    notice = t._("Ce n’est pas une adresse web : elle doit commencer par https://")
                    return Reply(send=[self._prompt(t, draft).with_notice(notice)])
                draft.link_url = text.strip()
                draft.draft_step = "preview"
            else:
                return await self._schedule(repos, t, draft, text)
            return await self._next(repos, t, draft)

    async def _next(self, repos: Repositories, t: Translator, draft: Broadcast) -> Reply:
        if draft.draft_step == "preview":
            return Reply(send=await self._preview(repos, t, draft))
        return Reply(send=[self._prompt(t, draft)])

    def _prompt(self, t: Translator, draft: Broadcast) -> Screen:
        cancel = Button(t._("✖ Abandonner"), Callback("bdrop", str(draft.id)).encode())
        skip = Callback("bskip", str(draft.id)).encode()
        match draft.draft_step:
            case "fr":
                text = t._(
                    "Écrivez l’annonce <b>en français</b> (obligatoire). La mise en forme de "
                    "Telegram (gras, italique, liens) est conservée."
                )
                return Screen(text, ((cancel,),))
            case "en":
                text = t._(
                    "Écrivez maintenant la version <b>anglaise</b>, ou passez : les résidents "
                    "anglophones recevront alors la version française."
                )
                return Screen(text, ((Button(t._("Pas de version anglaise"), skip),), (cancel,)))
            case "link":
                text = t._("Ajoutez un lien (https://…) pour un bouton « En savoir plus », ou passez.")
                return Screen(text, ((Button(t._("Pas de lien"), skip),), (cancel,)))
            case _:
                text = t._(
                    "Quand l’envoyer ? Écrivez la date et l’heure de Paris, par exemple « {example} ».",
                    example="24/05/2027 18:30",
                )
                return Screen(text, ((cancel,),))

    async def _preview(self, repos: Repositories, t: Translator, draft: Broadcast) -> list[Screen]:
        """The announcement in each language exactly as residents get it, then the controls."""
        audience = await repos.broadcasts.audience()
        french = sum(n for language, n in audience.items() if language != "en" or not draft.text_en)
        english = audience.get("en", 0) if draft.text_en else 0
        languages = ["fr", "en"] if draft.text_en else ["fr"]
        screens = [announcement(draft, language, self.i18n) for language in languages]
        arg = str(draft.id)
        summary = (
            (
                t._("Ci-dessus, l’annonce telle que les résidents la recevront en français, puis en anglais.")
                if draft.text_en
                else t._("Ci-dessus, l’annonce telle que tous les résidents la recevront, en français.")
            )
            + "\n"
            + t._(
                "Destinataires : {fr} en français, {en} en anglais. Une annonce programmée ira aussi "
                "aux résidents abonnés d’ici là.",
                fr=t.number(french),
                en=t.number(english),
            )
        )
        rows: list[tuple[Button, ...]] = [
            (
                Button(t._("✅ Envoyer maintenant"), Callback("bsend", arg).encode()),
                Button(t._("🕒 Programmer"), Callback("bsched", arg).encode()),
            ),
            (
                Button(t._("✏️ Français"), Callback("bedit", f"{arg}.fr").encode()),
                Button(t._("✏️ Anglais"), Callback("bedit", f"{arg}.en").encode()),
                Button(t._("🔗 Lien"), Callback("bedit", f"{arg}.link").encode()),
            ),
        ]
        stage = self._stage(draft.stage_id)
        if stage is not None and self._reminder_at(stage) is not None:
            rows.append(
                (Button(t._("⏰ Programmer un rappel la veille"), Callback("bremind", arg).encode()),)
            )
        rows.append((Button(t._("✖ Abandonner"), Callback("bdrop", arg).encode()),))
        screens.append(Screen(summary, tuple(rows)))
        return screens

    async def _schedule(self, repos: Repositories, t: Translator, draft: Broadcast, text: str) -> Reply:
        when = parse_when(text)
        if when is None or when <= self.clock.now():
            notice = t._("Je n’ai pas compris cette date, ou elle est passée.")
            return Reply(send=[self._prompt(t, draft).with_notice(notice)])
        draft.state = SCHEDULED
        draft.draft_step = None
        draft.scheduled_at = when
        draft.progress_chat_id = draft.author_id
        self.engine.wake()
        return Reply(
            send=[
                Screen(
                    t._("📅 Annonce n° {id} programmée pour le {when}.", id=draft.id, when=t.datetime(when))
                )
            ]
        )

    async def _new_draft(self, repos: Repositories, who: Who, t: Translator, **fields: Any) -> Broadcast:
        """A draft by ``who``; their unfinished draft, if any, is dropped (one draft each)."""
        old = await repos.broadcasts.draft_of(who.telegram_id)
        if old is not None:
            old.state = CANCELLED
        return await repos.broadcasts.add(
            Broadcast(
                author_id=who.telegram_id,
                author_language=t.language,
                state=DRAFT,
                created_at=self.clock.now(),
                total=0,
                **fields,
            )
        )

    # Buttons

    async def press(self, who: Who, data: str | None, chat_id: int, message_id: int | None) -> Reply:
        t = self._t(who)
        callback = Callback.decode(data)
        assert callback is not None
        number, _, part = callback.arg.partition(".")
        async with self.database.transaction() as repos:
            if callback.action == "bstage":
                return await self._announce_stage(repos, t, who, callback.arg)
            broadcast = await repos.broadcasts.get(int(number), lock=True) if number.isdigit() else None
            if broadcast is None:
                return Reply(toast=t._("Cette annonce n’existe plus."))
            match callback.action, broadcast.state:
                case "bskip", "draft" if broadcast.draft_step in ("en", "link"):
                    broadcast.draft_step = "link" if broadcast.draft_step == "en" else "preview"
                    reply = await self._next(repos, t, broadcast)
                    reply.clear_keyboard = True
                    return reply
                case "bedit", "draft" if part in ("fr", "en", "link"):
                    broadcast.draft_step = part
                    return Reply(send=[self._prompt(t, broadcast)])
                case "bsched", "draft":
                    broadcast.draft_step = "schedule"
                    return Reply(clear_keyboard=True, send=[self._prompt(t, broadcast)])
                case "bdrop", "draft":
                    broadcast.state = CANCELLED
                    return Reply(edit=Screen(t._("Brouillon abandonné.")))
                case "bsend", "draft":
                    return await self._send_now(repos, t, broadcast, chat_id, message_id)
                case "bremind", "draft":
                    return await self._remind(repos, t, broadcast)
                case "bpause", "sending":
                    broadcast.state = PAUSED
                case "bresume", "paused":
                    broadcast.state = SENDING
                    self.engine.wake()
                case "bstop", "sending" | "paused" | "scheduled":
                    broadcast.state = CANCELLED
                    broadcast.finished_at = self.clock.now()
                    await repos.broadcasts.cancel_unsent(broadcast.id)
                    counts = await repos.broadcasts.counts(broadcast.id)
                    failures = await repos.broadcasts.failures(broadcast.id)
                    return Reply(edit=report(t, broadcast, counts, failures, self._elapsed(broadcast)))
                case _:
                    return Reply(toast=t._("Cette action n’est plus possible pour cette annonce."))
            counts = await repos.broadcasts.counts(broadcast.id)
            return Reply(edit=progress_screen(t, broadcast, counts, self._elapsed(broadcast)))

    def _elapsed(self, broadcast: Broadcast) -> float:
        started = broadcast.started_at or self.clock.now()
        return (self.clock.now() - started).total_seconds()

    async def _send_now(
        self, repos: Repositories, t: Translator, draft: Broadcast, chat_id: int, message_id: int | None
    ) -> Reply:
        draft.state = SENDING
        draft.draft_step = None
        draft.started_at = self.clock.now()
        draft.progress_chat_id = chat_id
        draft.progress_message_id = message_id
        await repos.broadcasts.write_recipients(draft)
        self.engine.wake()
        return Reply(edit=progress_screen(t, draft, {}, 0.0))

    # Stages

    def _stage(self, stage_id: str | None) -> Stage | None:
        return next((s for s in self.content.stages if s.id == stage_id), None)

    def stage_buttons(self, who: Who) -> tuple[tuple[Button, ...], ...]:
        """For staff, one « announce » button per upcoming stage of the agenda."""
        if not self.is_staff(who):
            return ()
        t = self._t(who)
        now = self.clock.now()
        return tuple(
            (Button(t._("📣 {title}", title=t.content(s.title))[:60], Callback("bstage", s.id).encode()),)
            for s in self.content.stages
            if s.starts > now
        )

    def _stage_text(self, stage: Stage, language: str, reminder: bool = False) -> str:
        t = self.i18n(language)
        intro = t._("⏰ Rappel : c’est demain !") + "\n" if reminder else ""
        return (
            f"{intro}📅 {stage_when(t, stage)} — {t.content(stage.title)}\n\n{t.content(stage.description)}"
        )

    async def _announce_stage(self, repos: Repositories, t: Translator, who: Who, stage_id: str) -> Reply:
        stage = self._stage(stage_id)
        if stage is None:
            return Reply(toast=t._("Cette étape n’est plus au calendrier."))
        draft = await self._new_draft(
            repos,
            who,
            t,
            draft_step="preview",
            stage_id=stage.id,
            text_fr=self._stage_text(stage, "fr"),
            entities_fr="[]",
            text_en=self._stage_text(stage, "en"),
            entities_en="[]",
        )
        return Reply(send=await self._preview(repos, t, draft))

    def _reminder_at(self, stage: Stage) -> datetime | None:
        day = stage.starts.astimezone(PARIS).date() - timedelta(days=1)
        moment = datetime.combine(day, REMINDER_TIME, tzinfo=PARIS)
        return moment if stage.precision != "month" and moment > self.clock.now() else None

    async def _remind(self, repos: Repositories, t: Translator, draft: Broadcast) -> Reply:
        stage = self._stage(draft.stage_id)
        when = self._reminder_at(stage) if stage else None
        if stage is None or when is None:
            return Reply(toast=t._("Il est trop tard pour un rappel la veille."))
        reminder = await repos.broadcasts.add(
            Broadcast(
                author_id=draft.author_id,
                author_language=draft.author_language,
                state=SCHEDULED,
                stage_id=stage.id,
                text_fr=self._stage_text(stage, "fr", reminder=True),
                entities_fr="[]",
                text_en=self._stage_text(stage, "en", reminder=True),
                entities_en="[]",
                link_url=draft.link_url,
                scheduled_at=when,
                progress_chat_id=draft.author_id,
                created_at=self.clock.now(),
                total=0,
            )
        )
        self.engine.wake()
        text = t._("📅 Rappel n° {id} programmé pour le {when}.", id=reminder.id, when=t.datetime(when))
        return Reply(toast=t._("Rappel programmé."), send=[Screen(text)])

    # Listing

    async def broadcasts(self, who: Who) -> Reply:
        """``/broadcasts``: recent and scheduled broadcasts with their state."""
        t = self._t(who)
        async with self.database.transaction() as repos:
            recent = await repos.broadcasts.recent()
            lines = [t._("<b>Annonces récentes et programmées</b>")]
            rows: list[tuple[Button, ...]] = []
            for broadcast in recent:
                counts = await repos.broadcasts.counts(broadcast.id)
                lines.append(self._line(t, broadcast, counts))
                if broadcast.state == SCHEDULED:
                    label = t._("✖ Annuler l’annonce n° {id}", id=broadcast.id)
                    rows.append((Button(label, Callback("bstop", str(broadcast.id)).encode()),))
                rows.extend(controls(t, broadcast))
            if not recent:
                lines.append(t._("Aucune annonce pour l’instant. Écrivez /broadcast pour en préparer une."))
        return Reply(send=[Screen("\n\n".join(lines), tuple(rows))])

    def _line(self, t: Translator, broadcast: Broadcast, counts: dict[str, int]) -> str:
        preview = h((broadcast.text_fr or "").split("\n")[0][:60])
        head = f"n° {broadcast.id} · {preview}"
        if broadcast.state == SCHEDULED and broadcast.scheduled_at:
            state = t._("programmée pour le {when}", when=t.datetime(broadcast.scheduled_at))
        elif broadcast.state in (SENDING, PAUSED):
            state = progress(t, broadcast, counts, self._elapsed(broadcast))
        elif broadcast.state == DONE:
            state = t._(
                "terminée : {sent} distribuées sur {total}",
                sent=t.number(counts.get("sent", 0)),
                total=t.number(broadcast.total),
            )
        else:
            state = t._("arrêtée")
        return f"{head}\n{state}"

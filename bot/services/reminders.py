"""One reminder when a resident left an answer unfinished.

A resident who consented and left an answer in progress untouched for a while (48 hours by
default) gets one short message: a button takes them back to the exact step they were on, their
draft intact, and another stops reminders for good. One reminder per answer, never more; only
within the day's hours in Paris (one due at night waits for the morning); never to a resident
who used /stop or opted out, nor after the consultation's last day (``ends`` in
``consultation.yaml``).

Reminders are deliveries of the broadcast engine (:mod:`bot.services.broadcasts`), sent from
the same table, within the same budget, at the lowest priority: replies to residents first,
then announcements, then reminders. The resident's side runs in their turn (:meth:`follow`,
:meth:`completed`, :meth:`resumed`); the engine's side schedules the reminders due and claims
those to send (:meth:`plan`, :meth:`claim`), with the controllable clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.clock import PARIS, Clock
from bot.content import Content
from bot.dialogs.callbacks import Callback
from bot.dialogs.question import Question
from bot.dialogs.screen import Button, Screen
from bot.dialogs.steps import StepName
from bot.i18n import I18n
from bot.privacy import NOTICE_VERSION
from bot.storage import DialogState, Repositories, Resident
from bot.storage.broadcasts import CANCELLED, CLAIMED, Claimed
from bot.storage.models import Reminder
from bot.storage.reminders import Ready

REMIND = "remind"
"""The reminder's button back to the answer: valid only while the dialog is where it was left."""
OPT_OUT = "noremind"
"""The reminder's button that stops reminders (valid at any time)."""
BATCH = 50


@dataclass(frozen=True)
class Timing:
    """When reminders go out: ``after`` an answer is left untouched (None: never), between
    ``from_hour`` and ``until_hour`` in Paris."""

    after: timedelta | None = timedelta(hours=48)
    from_hour: int = 10
    until_hour: int = 20

    def first_moment(self, moment: datetime) -> datetime:
        """``moment`` if it is within the hours, otherwise the next time they begin."""
        local = moment.astimezone(PARIS)
        if self.from_hour <= local.hour < self.until_hour:
            return moment
        day = local.date() if local.hour < self.from_hour else local.date() + timedelta(days=1)
        return datetime.combine(day, time(self.from_hour), tzinfo=PARIS)


class Reminders:
    def __init__(
        self, content: Content, i18n: I18n, clock: Clock, questions: Sequence[Question], timing: Timing
    ) -> None:
        self.content = content
        self.i18n = i18n
        self.clock = clock
        self.timing = timing
        self.steps = frozenset({*(q.id for q in questions if not q.once), StepName.SUMMARY})
        """The steps of an answer under way: its questions and its summary."""

    def unfinished(self, state: DialogState) -> bool:
        """Whether the resident left an answer under way: at one of its steps, or aside from
        one (``/profile``, ``/avis``), to come back to it."""
        return state.paradox_id is not None and (state.step in self.steps or state.resume in self.steps)

    def _remindable(self, resident: Resident, state: DialogState) -> bool:
        return resident.reminders and resident.consent_version == NOTICE_VERSION and self.unfinished(state)

    def _over(self, moment: datetime) -> bool:
        """Whether ``moment`` is after the consultation's last day."""
        over_at = self.content.consultation.over_at
        return over_at is not None and moment >= over_at

    def _wait(self, state: DialogState, since: datetime) -> None:
        """The answer in progress will be due for its reminder ``after`` from ``since``, unless it
        had one already."""
        after = self.timing.after
        waiting = after is not None and state.reminder_id is None and self.unfinished(state)
        state.remind_at = since + after if waiting and after is not None else None

    # The resident's turn

    async def follow(self, repos: Repositories, state: DialogState, before: int | None) -> None:
        """After a turn that moved the dialog on (``before``: the reminder the answer had when
        the turn began): the reminded answer was resumed, or confirmed, or dropped; a reminder
        not sent yet is withdrawn, and an answer left again before it went out may get one."""
        now = self.clock.now()
        if before is not None:
            if state.reminder_id != before:
                await repos.reminders.withdraw(before)
            elif await repos.reminders.withdraw(before):
                state.reminder_id = None
            else:
                await repos.reminders.resume(before, now)
        self._wait(state, now)

    async def completed(self, repos: Repositories, state: DialogState) -> None:
        """The answer in progress is confirmed: a completion, if it was reminded."""
        if state.reminder_id is not None:
            await repos.reminders.complete(state.reminder_id, self.clock.now())

    async def resumed(self, repos: Repositories, state: DialogState, arg: str) -> bool:
        """The reminder's button: whether it is the reminder of the answer in progress (anything
        else is stale or forged)."""
        if state.reminder_id is None or arg != str(state.reminder_id):
            return False
        await repos.reminders.resume(state.reminder_id, self.clock.now())
        return True

    # The broadcast engine

    async def plan(self, repos: Repositories, now: datetime) -> None:
        """Give each answer due for its reminder its reminder, to go out at the first moment
        within the hours."""
        for state, resident in await repos.reminders.due(now, BATCH):
            state.remind_at = None
            send_at = self.timing.first_moment(now)
            if self.timing.after is None or not self._remindable(resident, state) or self._over(send_at):
                continue
            reminder = await repos.reminders.add(resident, state, now, send_at)
            state.reminder_id = reminder.id

    async def claim(self, repos: Repositories, sender: str, now: datetime) -> list[tuple[Claimed, Screen]]:
        """The reminders to send now, each with its message; those no longer due are cancelled,
        and those outside the hours wait for the next morning."""
        chosen = []
        for ready in await repos.reminders.ready(now, BATCH):
            delivery, reminder, resident = ready.delivery, ready.reminder, ready.resident
            if not self._still_due(ready) or self._over(now):
                delivery.state = CANCELLED
                self._free(ready)
                continue
            send_at = self.timing.first_moment(now)
            if send_at != now:
                delivery.not_before = send_at
                continue
            delivery.state, delivery.sender = CLAIMED, sender
            claimed = Claimed(
                delivery.id, resident.telegram_id, resident.language, delivery.attempts, reminder.id
            )
            chosen.append((claimed, self.screen(resident.language, reminder)))
        return chosen

    def _still_due(self, ready: Ready) -> bool:
        """Whether the resident is still where the reminder found them, and may be reminded."""
        state, reminder = ready.state, ready.reminder
        return (
            state is not None
            and state.reminder_id == reminder.id
            and state.version == reminder.version
            and self._remindable(ready.resident, state)
        )

    def _free(self, ready: Ready) -> None:
        """The resident moved on before the reminder went out: their answer may get one later."""
        state = ready.state
        if (
            state is not None
            and state.reminder_id == ready.reminder.id
            and state.version != ready.reminder.version
        ):
            state.reminder_id = None
            self._wait(state, state.updated_at)

    def screen(self, language: str, reminder: Reminder) -> Screen:
        """The reminder, in plain text, with its two buttons."""
        t = self.i18n(language)
        paradox = self.content.paradox(reminder.paradox_id)
        title = t.content(paradox.title) if paradox else reminder.paradox_id
        text = "\n\n".join(
            [
                t._(
                    "⏰ Le {date}, vous avez laissé en cours votre réponse au paradoxe « {title} ». "
                    "Elle vous attend là où vous l’avez laissée : quelques minutes suffisent pour la "
                    "terminer.",
                    date=t.datetime(reminder.left_at),
                    title=title,
                ),
                t._("C’est mon seul rappel pour cette réponse."),
            ]
        )
        back = Callback(REMIND, str(reminder.id), reminder.version).encode()
        keyboard = (
            (Button(t._("↩ Reprendre ma réponse"), back),),
            (Button(t._("Ne plus me relancer"), Callback(OPT_OUT).encode()),),
        )
        return Screen(text, keyboard, entities=())

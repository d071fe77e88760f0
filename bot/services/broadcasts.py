"""Broadcasts: stage announcements delivered to subscribers, durably and at Telegram's pace.

The engine works only from the ``deliveries`` table. A process can be killed at any moment:
claimed deliveries go back to pending when its lease expires, and the one delivery that was
in flight is sent again (the only message per crash whose outcome could not be known).
Reminders of unfinished answers (:mod:`bot.services.reminders`) are deliveries too, sent the
same way when no announcement is under way: they come last, after residents' replies and
announcements.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, Protocol

from bot.clock import Clock
from bot.dialogs.callbacks import Callback
from bot.dialogs.screen import Button, Entity, Screen, h
from bot.i18n import I18n, Translator
from bot.metrics import Metrics
from bot.services.pacing import Pacer
from bot.services.reminders import Reminders
from bot.storage import Database
from bot.storage.broadcasts import (
    BLOCKED,
    CANCELLED,
    DONE,
    FAILED,
    PAUSED,
    PENDING,
    SENDING,
    SENT,
    UNFINISHED,
    Claimed,
    DeliveryLog,
    Outcome,
)
from bot.storage.models import Broadcast

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BATCH = 50


@dataclass(frozen=True)
class SendResult:
    """What Telegram answered to one announcement."""

    status: Literal["sent", "blocked", "not_found", "rejected", "retry_after", "transient"]
    retry_after: float = 0.0
    reason: str = ""


class Messenger(Protocol):
    async def announce(self, chat_id: int, message: Screen) -> SendResult: ...


class ProgressBoard(Protocol):
    async def show(self, chat_id: int, message_id: int | None, screen: Screen) -> int | None:
        """Show ``screen`` in place of ``message_id`` (or as a new message); its message id."""
        ...


def announcement(broadcast: Broadcast, language: str, i18n: I18n) -> Screen:
    """The announcement exactly as a resident reading ``language`` receives it."""
    t = i18n(language)
    english = language == "en" and broadcast.text_en
    text = (broadcast.text_en if english else broadcast.text_fr) or ""
    raw = (broadcast.entities_en if english else broadcast.entities_fr) or "[]"
    entities: list[Entity] = json.loads(raw)
    hint = t._("Pour ne plus recevoir ces annonces : /stop")
    body = f"{text}\n\n{hint}"
    keyboard: tuple[tuple[Button, ...], ...] = ()
    if broadcast.link_url:
        keyboard = ((Button(t._("En savoir plus"), url=broadcast.link_url),),)
    return Screen(body, keyboard, tuple(entities))


def _bar(fraction: float, width: int = 8) -> str:
    filled = round(fraction * width)
    return "▓" * filled + "░" * (width - filled)


def progress(t: Translator, broadcast: Broadcast, counts: dict[str, int], elapsed: float) -> str:
    """« ▓▓▓▓░░░░ 48 % — 12 034 / 25 000 · 3 bloqués · environ 7 min restantes »."""
    total = max(broadcast.total, 1)
    done = sum(n for state, n in counts.items() if state not in UNFINISHED)
    handled = counts.get(SENT, 0) + counts.get(BLOCKED, 0) + counts.get(FAILED, 0)
    percent = t.number(round(100 * done / total))
    line = f"{_bar(done / total)} {percent} % — {t.number(done)} / {t.number(broadcast.total)}"
    if counts.get(BLOCKED):
        line += " · " + t.ngettext("{n} bloqué", "{n} bloqués", counts[BLOCKED])
    if broadcast.state == SENDING and handled and elapsed > 0:
        remaining = (broadcast.total - done) / (handled / elapsed)
        line += " · " + t._(
            "environ {minutes} min restantes", minutes=t.number(max(1, round(remaining / 60)))
        )
    return line


class BroadcastEngine:
    """Sends every broadcast in state ``sending``, starts scheduled ones, reports progress."""

    def __init__(
        self,
        database: Database,
        i18n: I18n,
        clock: Clock,
        messenger: Messenger,
        board: ProgressBoard,
        pacer: Pacer,
        *,
        lease: float = 15.0,
        window: int = 1,
        progress_every: float = 3.0,
        idle_wait: float = 1.0,
        metrics: Metrics | None = None,
        reminders: Reminders | None = None,
    ) -> None:
        self.database = database
        self.i18n = i18n
        self.clock = clock
        self.messenger = messenger
        self.board = board
        self.pacer = pacer
        self.lease = timedelta(seconds=lease)
        self.window = window
        self.progress_every = progress_every
        self.idle_wait = idle_wait
        self.metrics = metrics or Metrics()
        self.reminders = reminders
        self.sender = f"sender-{uuid.uuid4().hex[:12]}"
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._last_progress: dict[int, float] = {}
        self._bookkeeping = asyncio.Lock()
        """One pass's bookkeeping at a time in this process (a ``tick()`` beside the loop's)."""
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Look for work now (a broadcast was confirmed, resumed, or the clock moved)."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="broadcast-engine")

    async def stop(self) -> None:
        """Finish the message in flight, give back claimed deliveries, end the lease."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            await self._task
        try:
            async with self.database.transaction() as repos:
                for broadcast in await repos.broadcasts.in_state(SENDING, PAUSED):
                    await repos.broadcasts.release(broadcast.id, self.sender)
                await repos.reminders.release(self.sender)
                await repos.broadcasts.end_lease(self.sender)
        except Exception as exc:  # the database is gone: the lease will expire on its own
            log.warning("could not hand back claimed deliveries: %s", type(exc).__name__)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                worked = await self.tick()
            except Exception as exc:
                log.error("broadcast engine pass failed; trying again: %s", self.database.failure(exc))
                worked = False
            if not worked and not self._stopping.is_set():
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.idle_wait)

    async def tick(self) -> bool:
        """One pass: renew the lease, recover dead senders' work, start due ones, schedule due
        reminders, send a batch of each announcement under way, or else of reminders."""
        now = self.clock.now()
        reminders: list[tuple[Claimed, Screen]] = []
        async with self._bookkeeping, self.database.transaction() as repos:
            await repos.broadcasts.renew_lease(self.sender, now + self.lease)
            await repos.broadcasts.recover(now)
            for broadcast in await repos.broadcasts.due(now):
                broadcast.state = SENDING
                broadcast.started_at = now
                await repos.broadcasts.write_recipients(broadcast)
            active = [b.id for b in await repos.broadcasts.in_state(SENDING)]
            if self.reminders is not None:
                await self.reminders.plan(repos, now)
                if not active:
                    reminders = await self.reminders.claim(repos, self.sender, now)
        worked = False
        for broadcast_id in active:
            worked = await self._send_batch(broadcast_id) or worked
        if reminders:
            await self._remind(reminders)
            worked = True
        return worked

    async def _remind(self, batch: list[tuple[Claimed, Screen]]) -> None:
        """Send claimed reminders; an announcement starting meanwhile goes first."""
        async with self.database.engine.connect() as connection:
            log = DeliveryLog(connection, self.database.writing)

            async def quiet() -> bool:
                return not await log.announcing()

            await self._deliver(log, batch, quiet, _nothing)
        async with self.database.transaction() as repos:
            await repos.reminders.release(self.sender)

    async def _send_batch(self, broadcast_id: int) -> bool:
        async with self.database.transaction() as repos:
            broadcast = await repos.broadcasts.get(broadcast_id)
            if broadcast is None or broadcast.state != SENDING:
                return False
            claimed = await repos.broadcasts.claim(broadcast_id, self.sender, self.clock.now(), BATCH)
            screens = {lang: announcement(broadcast, lang, self.i18n) for lang in ("fr", "en")}
        if claimed:
            async with self.database.engine.connect() as connection:
                await self._deliver_all(
                    DeliveryLog(connection, self.database.writing), broadcast_id, claimed, screens
                )
        await self._report(broadcast_id, finished=await self._finish_if_done(broadcast_id))
        return bool(claimed)

    async def _deliver_all(
        self, log: DeliveryLog, broadcast_id: int, claimed: list[Claimed], screens: dict[str, Screen]
    ) -> None:
        """Send the claimed deliveries of an announcement; staff's pause or stop is checked
        between windows, at least every ten messages."""

        async def sending() -> bool:
            return await log.state_of(broadcast_id) == SENDING

        async def report() -> None:
            await self._report(broadcast_id)

        batch = [(delivery, screens.get(delivery.language, screens["fr"])) for delivery in claimed]
        await self._deliver(log, batch, sending, report)
        async with self.database.transaction() as repos:
            await repos.broadcasts.release(broadcast_id, self.sender)

    async def _deliver(
        self,
        log: DeliveryLog,
        batch: list[tuple[Claimed, Screen]],
        going_on: Callable[[], Awaitable[bool]],
        after_window: Callable[[], Awaitable[None]],
    ) -> None:
        """Send each delivery its message, a window at a time; ``going_on`` is asked between
        windows, at least every ten messages."""
        done: list[Outcome] = []
        sent_since_check = 0
        for start in range(0, len(batch), self.window):
            if self._stopping.is_set():
                break
            if sent_since_check >= 10 or start == 0:
                sent_since_check = 0
                if not await going_on():
                    break
            group = batch[start : start + self.window]
            await log.advance(done, [delivery.delivery_id for delivery, _ in group])
            results = await asyncio.gather(*(self._send(delivery, screen) for delivery, screen in group))
            done = [self._outcome(d, r) for (d, _), r in zip(group, results, strict=True)]
            for outcome in done:
                self.metrics.deliveries.labels(outcome.state).inc()
            sent_since_check += len(group)
            await after_window()
        await log.advance(done, [])

    async def _send(self, delivery: Claimed, screen: Screen) -> SendResult:
        """One message at its turn; a 429 holds all broadcasting, then it is tried again."""
        while True:
            await self.pacer.take(delivery.chat_id)
            result = await self.messenger.announce(delivery.chat_id, screen)
            if result.status != "retry_after":
                return result
            self.pacer.pause(result.retry_after)

    def _outcome(self, delivery: Claimed, result: SendResult) -> Outcome:
        now = self.clock.now()
        attempts = delivery.attempts + 1
        reason = result.reason[:200] or None
        if result.status == "sent":
            return Outcome(
                delivery.delivery_id, SENT, attempts, sent_at=now, reminder_id=delivery.reminder_id
            )
        if result.status == "blocked":
            return Outcome(delivery.delivery_id, BLOCKED, attempts, reason, unsubscribe=delivery.chat_id)
        if result.status == "transient" and attempts < MAX_ATTEMPTS:
            retry = now + timedelta(seconds=min(60, 2**attempts))
            return Outcome(delivery.delivery_id, PENDING, attempts, reason, not_before=retry)
        return Outcome(delivery.delivery_id, FAILED, attempts, reason)

    async def _finish_if_done(self, broadcast_id: int) -> bool:
        async with self.database.transaction() as repos:
            broadcast = await repos.broadcasts.get(broadcast_id, lock=True)
            if broadcast is None or broadcast.state != SENDING:
                return False
            counts = await repos.broadcasts.counts(broadcast_id)
            if any(counts.get(state) for state in UNFINISHED):
                return False
            broadcast.state = DONE
            broadcast.finished_at = self.clock.now()
            return True

    async def _report(self, broadcast_id: int, *, finished: bool = False) -> None:
        """Edit the staff's progress message every few seconds, and say when it is over."""
        moment = time.monotonic()
        if not finished and moment - self._last_progress.get(broadcast_id, 0.0) < self.progress_every:
            return
        self._last_progress[broadcast_id] = moment
        async with self.database.transaction() as repos:
            broadcast = await repos.broadcasts.get(broadcast_id)
            if broadcast is None or broadcast.progress_chat_id is None:
                return
            counts = await repos.broadcasts.counts(broadcast_id)
            failures = await repos.broadcasts.failures(broadcast_id) if finished else {}
        finished_share = sum(n for state, n in counts.items() if state not in UNFINISHED)
        self.metrics.broadcast_progress.labels(str(broadcast_id)).set(
            finished_share / max(broadcast.total, 1)
        )
        t = self.i18n(broadcast.author_language)
        started = broadcast.started_at or self.clock.now()
        elapsed = (self.clock.now() - started).total_seconds()
        screen = (
            report(t, broadcast, counts, failures, elapsed)
            if finished
            else progress_screen(t, broadcast, counts, elapsed)
        )
        message_id = await self.board.show(broadcast.progress_chat_id, broadcast.progress_message_id, screen)
        if message_id != broadcast.progress_message_id:
            async with self.database.transaction() as repos:
                stored = await repos.broadcasts.get(broadcast_id)
                if stored is not None:
                    stored.progress_message_id = message_id


async def _nothing() -> None:
    """Nothing to do between windows."""


def controls(t: Translator, broadcast: Broadcast) -> tuple[tuple[Button, ...], ...]:
    """Pause or resume, and stop, while a broadcast is under way."""
    arg = str(broadcast.id)
    if broadcast.state == SENDING:
        first = Button(t._("⏸ Pause"), Callback("bpause", arg).encode())
    elif broadcast.state == PAUSED:
        first = Button(t._("▶ Reprendre"), Callback("bresume", arg).encode())
    else:
        return ()
    return ((first, Button(t._("✖ Arrêter l’envoi"), Callback("bstop", arg).encode())),)


def progress_screen(t: Translator, broadcast: Broadcast, counts: dict[str, int], elapsed: float) -> Screen:
    title = t._("📣 Annonce n° {id}", id=broadcast.id)
    state = {SENDING: t._("envoi en cours"), PAUSED: t._("en pause")}.get(broadcast.state, "")
    text = f"<b>{title}</b> — {state}\n{progress(t, broadcast, counts, elapsed)}"
    return Screen(text, controls(t, broadcast))


def report(
    t: Translator, broadcast: Broadcast, counts: dict[str, int], failures: dict[str, int], elapsed: float
) -> Screen:
    """The end-of-broadcast report for staff."""
    sent = counts.get(SENT, 0)
    lines = [
        t._("<b>📣 Annonce n° {id} terminée</b>", id=broadcast.id)
        if broadcast.state == DONE
        else t._("<b>📣 Annonce n° {id} arrêtée</b>", id=broadcast.id),
        t._("Distribuées : {n}", n=t.number(sent)),
        t._("Ont bloqué le robot (désabonnés) : {n}", n=t.number(counts.get(BLOCKED, 0))),
        t._("Échecs : {n}", n=t.number(counts.get(FAILED, 0))),
    ]
    lines.extend(f"  • {h(reason)} × {t.number(n)}" for reason, n in sorted(failures.items()))
    if counts.get(CANCELLED):
        lines.append(t._("Non envoyées (arrêt) : {n}", n=t.number(counts[CANCELLED])))
    minutes, seconds = divmod(round(elapsed), 60)
    rate = sent / elapsed if elapsed > 0 else 0.0
    lines.append(t._("Durée : {minutes} min {seconds} s", minutes=minutes, seconds=seconds))
    lines.append(t._("Débit : {rate} messages par seconde", rate=t.number(round(rate, 1))))
    return Screen("\n".join(lines))

"""The composition root: settings, content, database and the python-telegram-bot Application."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from telegram import Update
from telegram.ext import Application, ApplicationBuilder

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.content import Content, load_content
from bot.dialogs.question import Question
from bot.dialogs.questions import QUESTIONS
from bot.handlers.delivery import FloodGate, TelegramBoard, TelegramMessenger
from bot.handlers.inbox import Handling, Intake, Poller
from bot.handlers.outbox import Sender
from bot.handlers.resident import GATE, ResidentHandlers
from bot.handlers.staff import GROUP, StaffHandlers
from bot.handlers.transport import AiohttpRequest
from bot.i18n import I18n
from bot.logs import keep_residents_out_of_logs
from bot.metrics import Metrics
from bot.services.abuse import FloodControl
from bot.services.broadcasts import BroadcastEngine
from bot.services.consultation import ConsultationService
from bot.services.lines import Lines
from bot.services.moderation import Moderation
from bot.services.pacing import Pacer
from bot.services.reminders import Reminders, Timing
from bot.services.retention import Retention
from bot.services.staff import StaffService
from bot.storage import Database
from bot.synthesis.service import SynthesisService
from bot.themes.ahead import WishReader, wish_reader

ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
    Update.INLINE_QUERY,
]
"""The updates the bot asks Telegram for. The other kinds (channel posts, reactions, poll
answers, payments…) have nothing to do with a resident's answers: not asking for them is how
they are ignored, and any that arrive anyway match no handler."""


@dataclass
class Fabrique:
    """Everything one bot process runs on."""

    settings: Settings
    content: Content
    database: Database
    i18n: I18n
    application: Application  # type: ignore[type-arg]
    broadcasts: BroadcastEngine
    retention: Retention
    metrics: Metrics
    lines: Lines
    intake: Intake
    poller: Poller
    wishes: WishReader | None
    """Reads each wish for the themes soon after it is confirmed (None: not in this process)."""


def build(
    settings: Settings, clock: Clock | None = None, questions: Sequence[Question] = QUESTIONS
) -> Fabrique:
    """Load and validate everything, then wire the handlers; raises OperatorError on mistakes.
    ``questions`` are the consultation's, unless a test declares others."""
    keep_residents_out_of_logs()
    clock = clock or SystemClock()
    content = load_content(settings.content_dir)
    i18n = I18n(settings.default_language)
    database = Database(settings.database)
    pacer = Pacer(settings.send_rate, per_chat_rate=settings.per_chat_rate)
    metrics = Metrics()
    flood = FloodControl(
        clock,
        limit=settings.flood_limit,
        window=timedelta(seconds=settings.flood_window_seconds),
        pause=timedelta(seconds=settings.flood_pause_seconds),
        exempt=settings.staff_ids,
    )
    api = settings.telegram_api_url
    application = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .rate_limiter(FloodGate(pacer))
        .request(AiohttpRequest(settings.max_concurrent_updates))
        .get_updates_request(AiohttpRequest(1))
        .post_init(lambda _app: _started())
        .post_stop(lambda _app: _stopping())
        .post_shutdown(lambda _app: database.close())
        .build()
    )
    after = timedelta(hours=settings.reminder_after_hours) if settings.reminder_after_hours else None
    timing = Timing(after, settings.reminder_from_hour, settings.reminder_until_hour)
    reminders = Reminders(content, i18n, clock, questions, timing)
    engine = BroadcastEngine(
        database,
        i18n,
        clock,
        TelegramMessenger(application.bot, paid=settings.paid_broadcasts),
        TelegramBoard(application.bot),
        pacer,
        lease=settings.broadcast_lease_seconds,
        window=settings.broadcast_window,
        metrics=metrics,
        reminders=reminders,
    )
    retention = Retention(database, clock, settings.retention_until)
    recount = timedelta(seconds=settings.results_recount_seconds)
    consultation = ConsultationService(
        database, content, i18n, clock, questions, reminders=reminders, recount=recount
    )
    residents = ResidentHandlers(consultation, i18n, metrics, flood)
    staff_service = StaffService(database, content, i18n, clock, engine, settings.staff_ids)
    synthesis = SynthesisService(settings.database, content, i18n, clock, settings)
    moderation = Moderation(database, content, i18n, clock)
    staff = StaffHandlers(staff_service, consultation, synthesis, moderation, i18n)
    handling = Handling(application, database, clock, flood, metrics, residents.apology)
    sender = Sender(application.bot, database, clock, metrics, residents.apology)
    lines = Lines(database, clock, handling.handle, sender.send, limit=settings.max_concurrent_updates)
    intake = Intake(database, clock, lines)
    wishes = wish_reader(settings, database)

    async def _started() -> None:
        await database.upgrade()
        await residents.publish_commands(application.bot)
        await staff.publish_commands(application.bot)
        engine.start()
        retention.start()
        lines.start()
        if wishes is not None:
            wishes.start()

    async def _stopping() -> None:
        if wishes is not None:
            await wishes.stop()
        await lines.stop()
        await retention.stop()
        await engine.stop()

    application.add_handler(residents.gate(), group=GATE)
    application.add_handlers(staff.handlers(), group=GROUP)
    application.add_handlers(residents.handlers())
    application.add_error_handler(residents.on_error)
    return Fabrique(
        settings, content, database, i18n, application, engine, retention, metrics,
        lines, intake, Poller(application, intake, lines), wishes,
    )  # fmt: skip

"""The composition root: settings, content, database and the python-telegram-bot Application."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update
from telegram.ext import Application, ApplicationBuilder

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.content import Content, load_content
from bot.handlers.resident import ResidentHandlers
from bot.i18n import I18n
from bot.services.consultation import ConsultationService
from bot.storage import Database

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]


@dataclass
class Fabrique:
    """Everything one bot process runs on."""

    settings: Settings
    content: Content
    database: Database
    i18n: I18n
    application: Application  # type: ignore[type-arg]


def build(settings: Settings, clock: Clock | None = None) -> Fabrique:
    """Load and validate everything, then wire the handlers; raises OperatorError on mistakes."""
    content = load_content(settings.content_dir)
    i18n = I18n(settings.default_language)
    database = Database(settings.database)
    service = ConsultationService(database, content, i18n, clock or SystemClock())
    handlers = ResidentHandlers(service, i18n)

    async def post_init(application: Application) -> None:  # type: ignore[type-arg]
        await database.upgrade()
        await handlers.publish_commands(application.bot)

    async def post_shutdown(_application: Application) -> None:  # type: ignore[type-arg]
        await database.close()

    api = settings.telegram_api_url
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.add_handlers(handlers.handlers())
    application.add_error_handler(handlers.on_error)
    return Fabrique(settings, content, database, i18n, application)

"""Handlers for residents in private chats: each one calls the consultation service."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from functools import partial

from telegram import Bot, BotCommand, InlineQueryResultsButton, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.commands import RESIDENT_COMMANDS
from bot.config import LANGUAGES
from bot.dialogs import Screen, h
from bot.handlers.concurrency import sender_of
from bot.handlers.render import render
from bot.i18n import I18n
from bot.metrics import Metrics
from bot.services.abuse import FloodControl
from bot.services.consultation import ConsultationService, Who
from bot.services.replies import Reply

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
PRIVATE = filters.ChatType.PRIVATE
INLINE_SOURCE = "inline"
"""The deep-link source of residents who came from an inline query."""
GATE = -2
"""Handler group of the flood gate, which runs before everything else."""


def who(update: Update) -> Who:
    user = update.effective_user
    assert user is not None
    query = update.callback_query
    pressed = query.message.message_id if query is not None and query.message is not None else None
    return Who(user.id, user.language_code, pressed)


def trace(error: BaseException | None) -> str:
    """An exception's type and the frames it went through, with its causes; never its message,
    which may hold what a resident typed."""
    parts: list[str] = []
    while error is not None and len(parts) < 5:
        frames = "".join(traceback.format_list(traceback.extract_tb(error.__traceback__)))
        parts.append(f"{type(error).__module__}.{type(error).__qualname__} (message withheld)\n{frames}")
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return "\ncaused by ".join(parts) or "unknown error"


class ResidentHandlers:
    """One handler per kind of resident input; none holds state of its own."""

    def __init__(
        self, service: ConsultationService, i18n: I18n, metrics: Metrics, flood: FloodControl
    ) -> None:
        self.service = service
        self.i18n = i18n
        self.metrics = metrics
        self.flood = flood
        self._commands: dict[str, Callable[[Who], Awaitable[Reply]]] = {
            "paradoxes": service.paradoxes,
            "agenda": service.agenda,
            "language": service.language,
            "privacy": service.privacy,
            "mydata": service.my_data,
            "forget": service.forget,
            "cancel": service.cancel,
            "stop": service.stop,
            "subscribe": service.subscribe,
            "help": service.help,
        }

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        commands: list[BaseHandler[Update, Context, None]] = [
            CommandHandler(name, self.command, filters=PRIVATE) for name in self._commands
        ]
        return [
            CommandHandler("start", self.start, filters=PRIVATE),
            *commands,
            CallbackQueryHandler(self.press),
            ChatMemberHandler(self.member, ChatMemberHandler.MY_CHAT_MEMBER),
            InlineQueryHandler(self.inline),
            MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE, self.edited),
            MessageHandler(PRIVATE & filters.COMMAND, self.unknown_command),
            MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT, self.text),
            MessageHandler(PRIVATE & filters.UpdateType.MESSAGE, self.other),
        ]

    def gate(self) -> TypeHandler[Update, Context, None]:
        """Stops the updates of a resident paused by flood control (see bot.services.abuse)."""
        return TypeHandler(Update, self.pause_gate)

    async def pause_gate(self, update: Update, context: Context) -> None:
        sender = sender_of(update)
        if sender is None or not self.flood.paused(sender):
            return
        if self.flood.tell(sender):
            await render(update, context, await self.service.flooded(who(update)))
        elif update.callback_query is not None:
            await render(update, context, Reply())
        raise ApplicationHandlerStop

    async def _reply(self, update: Update, context: Context, reply: Reply) -> None:
        """Render a reply to the resident, keeping track of their live keyboard."""
        await render(update, context, reply, partial(self.service.shown, who(update)))

    async def start(self, update: Update, context: Context) -> None:
        payload = context.args[0] if context.args else None
        await self._reply(update, context, await self.service.start(who(update), payload))

    async def command(self, update: Update, context: Context) -> None:
        assert update.effective_message is not None
        assert update.effective_message.text
        name = update.effective_message.text.split()[0].lstrip("/").split("@")[0].lower()
        await self._reply(update, context, await self._commands[name](who(update)))

    async def unknown_command(self, update: Update, context: Context) -> None:
        await self._reply(update, context, await self.service.unknown_command(who(update)))

    async def press(self, update: Update, context: Context) -> None:
        assert update.callback_query is not None
        reply = await self.service.press(who(update), update.callback_query.data)
        await self._reply(update, context, reply)

    async def text(self, update: Update, context: Context) -> None:
        assert update.effective_message is not None
        assert update.effective_message.text is not None
        await self._reply(
            update, context, await self.service.text(who(update), update.effective_message.text)
        )

    async def other(self, update: Update, context: Context) -> None:
        await self._reply(update, context, await self.service.other(who(update)))

    async def edited(self, update: Update, context: Context) -> None:
        await self._reply(update, context, await self.service.edited(who(update)))

    async def inline(self, update: Update, context: Context) -> None:
        """``@bot …`` typed in any chat: no results, only a button to talk privately."""
        query = update.inline_query
        assert query is not None
        label = self.service.inline_invitation(query.from_user.language_code)
        button = InlineQueryResultsButton(text=label, start_parameter=INLINE_SOURCE)
        await query.answer([], button=button, cache_time=300, is_personal=True)

    async def member(self, update: Update, context: Context) -> None:
        """A resident who blocks the bot is unsubscribed; a group or channel that adds the bot
        gets one invitation to talk privately (and nothing else there is answered)."""
        change = update.my_chat_member
        if change is None:
            return
        status = change.new_chat_member.status
        if change.chat.type == ChatType.PRIVATE:
            if status == ChatMemberStatus.BANNED:
                await self.service.blocked(who(update))
            return
        joined = status in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)
        if joined and change.old_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
            await render(
                update, context, Reply(send=[self.service.group_invitation(change.from_user.language_code)])
            )

    async def on_error(self, update: object, context: Context) -> None:
        """Log where the failure happened (never what was in it), and tell the resident in their
        language; each call stands alone and nothing here raises."""
        self.metrics.errors.inc()
        log.error("update failed: %s", trace(context.error))
        if not isinstance(update, Update) or update.effective_user is None:
            return
        try:
            t = await self.service.translator(who(update))
        except Exception as exc:  # the database may be what failed: the app's language will do
            log.warning("resident's language unknown: %s", type(exc).__name__)
            t = self.i18n.guess(update.effective_user.language_code)
        sorry = t._(
            "Oups, un problème technique m’a empêché de répondre. Vos réponses enregistrées "
            "sont en sécurité : réessayez dans un instant."
        )
        chat = update.effective_chat
        private = chat is not None and chat.type == ChatType.PRIVATE
        try:
            await render(update, context, Reply(toast=sorry, send=[Screen(h(sorry))] if private else []))
        except TelegramError as exc:
            log.warning("could not tell the resident about the failure: %s", type(exc).__name__)

    async def publish_commands(self, bot: Bot) -> None:
        """Register the command menu in every language (and the default language for others)."""
        for language in (*LANGUAGES, None):
            t = self.i18n(language)
            commands = [BotCommand(name, t._(description)) for name, description in RESIDENT_COMMANDS]
            await bot.set_my_commands(commands, language_code=language)

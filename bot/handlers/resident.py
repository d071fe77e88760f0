"""Handlers for residents in private chats: each one calls the consultation service."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DBAPIError
from telegram import Bot, BotCommand, InlineQueryResultsButton, Update
from telegram.constants import ChatMemberStatus, ChatType
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
from bot.handlers.outbox import current_unit
from bot.handlers.render import apologise, render
from bot.i18n import I18n
from bot.logs import trace
from bot.metrics import Metrics
from bot.services.abuse import FloodControl
from bot.services.consultation import ConsultationService, Who
from bot.services.replies import Reply
from bot.storage.queues import Call

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
            "profile": service.profile,
            "avis": service.avis,
            "partage": service.partage,
            "resultats": service.results,
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
            render(update, await self.service.flooded(who(update)))
        elif update.callback_query is not None:
            render(update, Reply())
        raise ApplicationHandlerStop

    async def start(self, update: Update, context: Context) -> None:
        payload = context.args[0] if context.args else None
        render(update, await self.service.start(who(update), payload), track=True)

    async def command(self, update: Update, context: Context) -> None:
        assert update.effective_message is not None
        assert update.effective_message.text
        name = update.effective_message.text.split()[0].lstrip("/").split("@")[0].lower()
        render(update, await self._commands[name](who(update)), track=True)

    async def unknown_command(self, update: Update, context: Context) -> None:
        render(update, await self.service.unknown_command(who(update)), track=True)

    async def press(self, update: Update, context: Context) -> None:
        assert update.callback_query is not None
        reply = await self.service.press(who(update), update.callback_query.data)
        render(update, reply, track=True)

    async def text(self, update: Update, context: Context) -> None:
        assert update.effective_message is not None
        assert update.effective_message.text is not None
        reply = await self.service.text(who(update), update.effective_message.text)
        render(update, reply, track=True)

    async def other(self, update: Update, context: Context) -> None:
        render(update, await self.service.other(who(update)), track=True)

    async def edited(self, update: Update, context: Context) -> None:
        render(update, await self.service.edited(who(update)), track=True)

    async def inline(self, update: Update, context: Context) -> None:
        """``@bot …`` typed in any chat: no results, only a button to talk privately."""
        query = update.inline_query
        assert query is not None
        label = self.service.inline_invitation(query.from_user.language_code)
        button = InlineQueryResultsButton(text=label, start_parameter=INLINE_SOURCE)
        answer = {"inline_query_id": query.id, "results": [], "button": button.to_dict()}
        current_unit().calls.append(
            Call("answerInlineQuery", {**answer, "cache_time": 300, "is_personal": True})
        )

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
            render(update, Reply(send=[self.service.group_invitation(change.from_user.language_code)]))

    async def on_error(self, update: object, context: Context) -> None:
        """Log where the failure happened (never what was in it), and tell the resident in their
        language: the update's changes are rolled back and only the apology is sent."""
        self.metrics.errors.inc()
        error = context.error
        # A database an operator must fix (a full disk…) as the one line that names the fix.
        where = self.service.database.failure(error) if isinstance(error, DBAPIError) else trace(error)
        log.error("update failed: %s", where)
        if not isinstance(update, Update) or update.effective_user is None:
            return
        sorry = await self._sorry(who(update))
        chat = update.effective_chat
        private = chat is not None and chat.type == ChatType.PRIVATE
        apologise(update, Reply(toast=sorry, send=[Screen(h(sorry))] if private else []))

    async def apology(self, chat_id: int) -> Call:
        """What a resident is sent in place of a message Telegram refused."""
        return Call("sendMessage", {"chat_id": chat_id, "text": await self._sorry(Who(chat_id))})

    async def _sorry(self, resident: Who) -> str:
        """« Something went wrong » in the resident's language."""
        try:
            t = await self.service.translator(resident)
        except Exception as exc:  # the database may be what failed: the app's language will do
            log.warning("resident's language unknown: %s", type(exc).__name__)
            t = self.i18n.guess(resident.language_code)
        return t._(
            "Oups, un problème technique m’a empêché de répondre. Vos réponses enregistrées "
            "sont en sécurité : réessayez dans un instant."
        )

    async def publish_commands(self, bot: Bot) -> None:
        """Register the command menu in every language (and the default language for others)."""
        for language in (*LANGUAGES, None):
            t = self.i18n(language)
            commands = [BotCommand(name, t._(description)) for name, description in RESIDENT_COMMANDS]
            await bot.set_my_commands(commands, language_code=language)

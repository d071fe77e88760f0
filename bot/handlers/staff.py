"""Handlers for staff (``STAFF_IDS``): they run before the residents' and stop the update there.

For anyone else these handlers do not match, so a staff command from a resident gets exactly
the reply any unknown command gets.
"""

from __future__ import annotations

from dataclasses import replace

from telegram import Bot, BotCommand, BotCommandScopeChat, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.commands import RESIDENT_COMMANDS, STAFF_COMMANDS
from bot.config import LANGUAGES
from bot.dialogs.callbacks import Callback
from bot.handlers.render import render
from bot.handlers.resident import who
from bot.i18n import I18n, Translator
from bot.services.consultation import ConsultationService
from bot.services.moderation import Moderation
from bot.services.staff import StaffService
from bot.synthesis.service import SynthesisService

Context = ContextTypes.DEFAULT_TYPE
GROUP = -1
"""Handler group that runs before the residents' handlers (group 0)."""


class StaffHandlers:
    def __init__(
        self,
        staff: StaffService,
        consultation: ConsultationService,
        synthesis: SynthesisService,
        moderation: Moderation,
        i18n: I18n,
    ) -> None:
        self.staff = staff
        self.consultation = consultation
        self.moderation = moderation
        self.synthesis = synthesis
        self.i18n = i18n
        self._only_staff = filters.ChatType.PRIVATE & filters.User(user_id=staff.staff_ids)

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        if not self.staff.staff_ids:
            return []
        return [
            CommandHandler("broadcast", self.compose, filters=self._only_staff),
            CommandHandler("broadcasts", self.broadcasts, filters=self._only_staff),
            CommandHandler("agenda", self.agenda, filters=self._only_staff),
            CommandHandler("export", self.export, filters=self._only_staff),
            CommandHandler("stats", self.stats, filters=self._only_staff),
            CommandHandler("moderate", self.moderate, filters=self._only_staff),
            MessageHandler(self._only_staff & filters.TEXT & ~filters.COMMAND, self.text),
            CallbackQueryHandler(self.press),
        ]

    async def moderate(self, update: Update, context: Context) -> None:
        """``/moderate``: the next shared wish to publish or reject."""
        render(update, await self.moderation.next(who(update)))
        raise ApplicationHandlerStop

    async def compose(self, update: Update, context: Context) -> None:
        render(update, await self.staff.compose(who(update)))
        raise ApplicationHandlerStop

    async def broadcasts(self, update: Update, context: Context) -> None:
        render(update, await self.staff.broadcasts(who(update)))
        raise ApplicationHandlerStop

    async def export(self, update: Update, context: Context) -> None:
        """``/export [paradox]``: the answers as a CSV document."""
        await context.bot.send_chat_action(who(update).telegram_id, ChatAction.UPLOAD_DOCUMENT)
        paradox = context.args[0] if context.args else None
        render(update, await self.synthesis.export(self._t(update), paradox))
        raise ApplicationHandlerStop

    async def stats(self, update: Update, context: Context) -> None:
        """``/stats``: the figures and charts."""
        await context.bot.send_chat_action(who(update).telegram_id, ChatAction.TYPING)
        render(update, await self.synthesis.stats(self._t(update)))
        raise ApplicationHandlerStop

    def _t(self, update: Update) -> Translator:
        return self.i18n.guess(who(update).language_code)

    async def agenda(self, update: Update, context: Context) -> None:
        """The residents' agenda, with a button to announce each upcoming stage."""
        reply = await self.consultation.agenda(who(update))
        reply.send = [replace(reply.send[0], keyboard=self.staff.stage_buttons(who(update)))]
        render(update, reply)
        raise ApplicationHandlerStop

    async def text(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        entities = [entity.to_dict() for entity in message.entities]
        reply = await self.staff.text(who(update), message.text, entities)
        if reply is not None:
            render(update, reply)
            raise ApplicationHandlerStop

    async def press(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        callback = Callback.decode(query.data)
        if callback is not None and callback.action == "mod" and self.staff.is_staff(who(update)):
            render(update, await self.moderation.press(who(update), callback.arg))
            raise ApplicationHandlerStop
        if not self.staff.handles(who(update), query.data):
            return
        message = query.message
        chat_id = message.chat.id if message is not None else who(update).telegram_id
        message_id = message.message_id if message is not None else None
        reply = await self.staff.press(who(update), query.data, chat_id, message_id)
        render(update, reply)
        raise ApplicationHandlerStop

    async def publish_commands(self, bot: Bot) -> None:
        """Staff see their own commands in the menu, besides the residents'."""
        for staff_id in self.staff.staff_ids:
            for language in LANGUAGES:
                t = self.i18n(language)
                commands = [
                    BotCommand(name, t._(description))
                    for name, description in (*RESIDENT_COMMANDS, *STAFF_COMMANDS)
                ]
                try:
                    await bot.set_my_commands(
                        commands, scope=BotCommandScopeChat(staff_id), language_code=language
                    )
                except TelegramError:
                    continue  # a staff member who never opened the bot has no chat yet

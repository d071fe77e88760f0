"""Rendering a service's :class:`Reply` through the Bot API."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    MessageEntity,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.dialogs.screen import Screen
from bot.services.replies import Reply

log = logging.getLogger(__name__)
T = TypeVar("T")
Shown = Callable[[int], Awaitable[Reply]]
"""Told the id of a message sent with buttons (the resident's new live keyboard); answers what
becomes of the previous one."""
TOAST_MAX = 200
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def markup(screen: Screen) -> InlineKeyboardMarkup | None:
    if not screen.keyboard:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(b.label, callback_data=b.data)
                for b in row
            ]
            for row in screen.keyboard
        ]
    )


def message_entities(screen: Screen) -> list[MessageEntity] | None:
    """The entities of a screen written with Telegram's formatting (None for HTML screens)."""
    if screen.entities is None:
        return None
    return [MessageEntity.de_json(dict(entity), None) for entity in screen.entities]


def formatting(screen: Screen) -> dict[str, Any]:
    """How a screen's text is formatted: HTML, or its own entities."""
    if screen.entities is not None:
        return {"entities": message_entities(screen)}
    return {"parse_mode": ParseMode.HTML}


def _toast(text: str | None) -> str | None:
    if text is None or len(text) <= TOAST_MAX:
        return text
    return text[: TOAST_MAX - 1] + "…"


class _Calls:
    """The Bot API calls of one reply, each standing alone: a refused call is logged (by kind,
    never its text) and the others are still made. A resident who cannot be reached any more
    (Forbidden: the bot is blocked) ends the reply."""

    def __init__(self) -> None:
        self.failure: TelegramError | None = None

    async def optional(self, what: str, call: Callable[[], Awaitable[T]]) -> T | None:
        """A call the resident can do without: the toast, an edit, removing old buttons."""
        try:
            return await call()
        except Forbidden:
            raise
        except TelegramError as exc:
            log.info("reply: %s refused (%s)", what, type(exc).__name__)
            return None

    async def needed(self, what: str, call: Callable[[], Awaitable[T]]) -> T | None:
        """A message or file the resident must get: its failure is raised once all is tried."""
        try:
            return await call()
        except Forbidden:
            raise
        except TelegramError as exc:
            log.warning("reply: %s failed (%s)", what, type(exc).__name__)
            self.failure = self.failure or exc
            return None


async def render(
    update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply, shown: Shown | None = None
) -> None:
    """Answer the button press, update the pressed message, send the new messages, then remove
    the buttons of the resident's previous live keyboard (``shown`` records each new one).

    Every call is made even when an earlier one was refused; a message or file that could not
    be sent is raised at the end, for the error handler to apologise.
    """
    calls = _Calls()
    try:
        await _deliver(update, context, reply, shown, calls)
    except Forbidden:
        log.info("reply stopped: the resident cannot be reached")
        return
    if calls.failure is not None:
        raise calls.failure


async def _deliver(
    update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply, shown: Shown | None, calls: _Calls
) -> None:
    query = update.callback_query
    pressed = query.message.message_id if query is not None and query.message is not None else None
    if query is not None:
        await calls.optional("answerCallbackQuery", lambda: query.answer(_toast(reply.toast)))
        if reply.edit is not None:
            edit = reply.edit
            await calls.optional(
                "editMessageText",
                lambda: query.edit_message_text(
                    edit.text, **formatting(edit), reply_markup=markup(edit), link_preview_options=NO_PREVIEW
                ),
            )
        elif reply.clear_keyboard:
            await calls.optional("editMessageReplyMarkup", lambda: query.edit_message_reply_markup(None))
    chat = update.effective_chat
    if chat is None:
        return
    retired = [reply.retire]
    for screen in reply.send:
        sent = await calls.needed(
            "sendMessage",
            partial(
                context.bot.send_message,
                chat.id,
                screen.text,
                **formatting(screen),
                reply_markup=markup(screen),
                link_preview_options=NO_PREVIEW,
            ),
        )
        if sent is not None and screen.keyboard and shown is not None:
            retired.append((await shown(sent.message_id)).retire)
    for attachment in reply.files:
        upload = InputFile(attachment.content, filename=attachment.filename)
        photo = attachment.kind == "photo"
        method = context.bot.send_photo if photo else context.bot.send_document
        await calls.needed(
            "sendPhoto" if photo else "sendDocument",
            partial(method, chat.id, upload, caption=attachment.caption or None),
        )
    for message_id in retired:
        if message_id is not None and message_id != pressed:
            await calls.optional(
                "editMessageReplyMarkup",
                partial(context.bot.edit_message_reply_markup, chat.id, message_id, reply_markup=None),
            )

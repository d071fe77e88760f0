"""Rendering a service's :class:`Reply` through the Bot API."""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    MessageEntity,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.dialogs.screen import Screen
from bot.services.replies import Reply

log = logging.getLogger(__name__)
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


async def render(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply) -> None:
    """Answer the button press (always), update the pressed message, then send new messages."""
    query = update.callback_query
    if query is not None:
        await query.answer(_toast(reply.toast))
        try:
            if reply.edit is not None:
                await query.edit_message_text(
                    reply.edit.text,
                    **formatting(reply.edit),
                    reply_markup=markup(reply.edit),
                    link_preview_options=NO_PREVIEW,
                )
            elif reply.clear_keyboard:
                await query.edit_message_reply_markup(None)
        except BadRequest as exc:
            # The pressed message may be gone, too old or already in that state.
            log.info("pressed message left as it was: %s", exc.message)
    chat = update.effective_chat
    if chat is None:
        return
    for screen in reply.send:
        await context.bot.send_message(
            chat.id,
            screen.text,
            **formatting(screen),
            reply_markup=markup(screen),
            link_preview_options=NO_PREVIEW,
        )
    for attachment in reply.files:
        upload = InputFile(attachment.content, filename=attachment.filename)
        if attachment.kind == "photo":
            await context.bot.send_photo(chat.id, upload, caption=attachment.caption or None)
        else:
            await context.bot.send_document(chat.id, upload, caption=attachment.caption or None)

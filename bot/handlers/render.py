"""Rendering a service's :class:`Reply` through the Bot API."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
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
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in screen.keyboard]
    )


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
                    parse_mode=ParseMode.HTML,
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
            parse_mode=ParseMode.HTML,
            reply_markup=markup(screen),
            link_preview_options=NO_PREVIEW,
        )

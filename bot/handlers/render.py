"""Rendering a service's :class:`Reply` as Bot API calls, written to the outbox.

Nothing is sent here: the calls join the update's unit of work (see
:mod:`bot.handlers.outbox`), are stored with the state change they report, and are made once
it has committed, each standing alone, so that a refused call never loses the rest.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.constants import ParseMode

from bot.dialogs.screen import Screen
from bot.handlers.outbox import current_unit
from bot.services.replies import Reply
from bot.storage.queues import Call

TOAST_MAX = 200
NO_PREVIEW = {"is_disabled": True}


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


def _shown(screen: Screen) -> dict[str, Any]:
    """A screen's text, formatting (HTML, or its own entities) and buttons, as call parameters."""
    keyboard = markup(screen)
    formatting: dict[str, Any] = (
        {"entities": [dict(entity) for entity in screen.entities]}
        if screen.entities is not None
        else {"parse_mode": ParseMode.HTML.value}
    )
    return {
        "text": screen.text,
        **formatting,
        "reply_markup": keyboard.to_dict() if keyboard else None,
        "link_preview_options": NO_PREVIEW,
    }


def _toast(text: str | None) -> str | None:
    if text is None or len(text) <= TOAST_MAX:
        return text
    return text[: TOAST_MAX - 1] + "…"


def calls(update: Update, reply: Reply, *, track: bool = False) -> list[Call]:
    """Answer the button press, update the pressed message, send the new messages and files,
    then remove the buttons of an earlier message (``reply.retire``). With ``track``, a
    message sent with buttons becomes the resident's live keyboard."""
    made: list[Call] = []
    query = update.callback_query
    chat = update.effective_chat
    pressed = query.message if query is not None else None
    if query is not None:
        made.append(Call("answerCallbackQuery", {"callback_query_id": query.id, "text": _toast(reply.toast)}))
    if pressed is not None:
        where = {"chat_id": pressed.chat.id, "message_id": pressed.message_id}
        if reply.edit is not None:
            made.append(Call("editMessageText", {**where, **_shown(reply.edit)}))
        elif reply.clear_keyboard:
            made.append(Call("editMessageReplyMarkup", {**where, "reply_markup": None}))
    if chat is None:
        return made
    made.extend(
        Call("sendMessage", {"chat_id": chat.id, **_shown(screen)}, keyboard=track and bool(screen.keyboard))
        for screen in reply.send
    )
    made.extend(
        Call(
            "sendPhoto" if attachment.kind == "photo" else "sendDocument",
            {"chat_id": chat.id, "filename": attachment.filename, "caption": attachment.caption or None},
            attachment.content,
        )
        for attachment in reply.files
    )
    if reply.retire is not None and (pressed is None or reply.retire != pressed.message_id):
        made.append(
            Call(
                "editMessageReplyMarkup",
                {"chat_id": chat.id, "message_id": reply.retire, "reply_markup": None},
            )
        )
    return made


def render(update: Update, reply: Reply, *, track: bool = False) -> None:
    """Show ``reply`` once the update's transaction has committed."""
    current_unit().calls.extend(calls(update, reply, track=track))


def apologise(update: Update, reply: Reply) -> None:
    """The update failed: its changes are rolled back, and only ``reply`` is sent."""
    unit = current_unit()
    unit.failed = True
    unit.apology = calls(update, reply)

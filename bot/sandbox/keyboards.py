"""Validation of ``reply_markup`` like Telegram's (inline and reply keyboards)."""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.errors import bad_request
from bot.sandbox.text import JsonDict, normalize_url

_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_MAX_BUTTONS = 100
_MAX_CALLBACK_DATA_BYTES = 64


def parse_reply_markup(value: Any) -> JsonDict | None:
    """Decode and validate a ``reply_markup`` parameter; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    markup = {key: val for key, val in value.items() if val is not None}
    if "inline_keyboard" in markup:
        markup["inline_keyboard"] = _inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        markup["keyboard"] = _reply_keyboard(markup["keyboard"])
    elif not ("remove_keyboard" in markup or "force_reply" in markup):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def parse_inline_markup(value: Any) -> JsonDict | None:
    """Like :func:`parse_reply_markup`, for methods that only take inline keyboards."""
    markup = parse_reply_markup(value)
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


def _rows(value: Any, field: str, kind: str) -> list[list[Any]]:
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise bad_request(f'field "{field}" of the {kind} should be an Array of Arrays')
    if sum(len(row) for row in value) > _MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    return value


def _inline_keyboard(value: Any) -> list[list[JsonDict]]:
    return [
        [_inline_button(button) for button in row]
        for row in _rows(value, "inline_keyboard", "InlineKeyboardMarkup")
    ]


def _inline_button(button: Any) -> JsonDict:
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    button = {key: val for key, val in button.items() if val is not None}
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
    actions = [name for name in _BUTTON_ACTIONS if name in button]
    if not text.strip() or not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be used"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= _MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or normalize_url(url) is None:
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
    return dict(button)


def _reply_keyboard(value: Any) -> list[list[JsonDict]]:
    rows = _rows(value, "keyboard", "ReplyKeyboardMarkup")
    result: list[list[JsonDict]] = []
    for row in rows:
        buttons: list[JsonDict] = []
        for button in row:
            item = {"text": button} if isinstance(button, str) else button
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise bad_request("can't parse keyboard button: KeyboardButton must be a String or an Object")
            if not item["text"].strip():
                raise bad_request("keyboard button text is empty")
            buttons.append({key: val for key, val in item.items() if val is not None})
        result.append(buttons)
    return result

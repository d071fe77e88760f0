"""Formatted text as Telegram stores it: plain text plus entities, trimmed, auto-detected."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.errors import EntityParseError, bad_request
from bot.sandbox.html_entities import parse_html
from bot.sandbox.markdown_entities import parse_markdown, parse_markdown_v2
from bot.sandbox.text import JsonDict, normalize_url, sort_entities, utf16_len

UserResolver = Callable[[int], JsonDict | None]

_ENTITY_TYPES = frozenset(
    {
        "mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number",
        "bold", "italic", "underline", "strikethrough", "spoiler", "blockquote",
        "expandable_blockquote", "code", "pre", "text_link", "text_mention", "custom_emoji",
    }
)  # fmt: skip
# Entities inside which Telegram does not look for commands, mentions, links...
_OPAQUE_TYPES = frozenset(
    {
        "code", "pre", "text_link", "text_mention", "custom_emoji", "url", "bot_command",
        "mention", "hashtag", "cashtag", "email", "phone_number",
    }
)  # fmt: skip
_TRIMMED = " \t\r\n"
_AUTO_PATTERNS = (
    ("bot_command", re.compile(r"(?<![\w/<>@#$])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")),
    ("mention", re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{5,32}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
    ("url", re.compile(r"(?<![\w/@.])https?://[^\s<>\"]+")),
)  # fmt: skip
_URL_TAIL = ".,:;!?'\")]"


@dataclass(frozen=True)
class FormattedText:
    """A message text or caption with its entities (offsets in UTF-16 code units)."""

    text: str
    entities: list[JsonDict] = field(default_factory=list)


def format_text(
    text: str, parse_mode: str | None, entities: Any, resolve_user: UserResolver
) -> FormattedText:
    """Build what Telegram would store for ``text`` sent with ``parse_mode`` or ``entities``."""
    try:
        if entities is not None:
            plain, found = text, _explicit_entities(entities, text)
        else:
            plain, found = _parse(text, parse_mode)
    except EntityParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from exc
    found = [e for e in (_resolve_mention(e, resolve_user) for e in found) if e is not None]
    plain, found = _trim(plain, found)
    return FormattedText(plain, sort_entities(found + _auto_entities(plain, found)))


def plain_text(text: str, entities: list[JsonDict] | None = None) -> FormattedText:
    """A resident's text: trimmed, with explicit entities kept and the rest detected."""
    return format_text(text, None, entities, lambda user_id: None)


def _parse(text: str, parse_mode: str | None) -> tuple[str, list[JsonDict]]:
    mode = (parse_mode or "").lower()
    if mode == "":
        return text, []
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise bad_request("unsupported parse_mode")


def _explicit_entities(value: Any, text: str) -> list[JsonDict]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad_request("can't parse entities JSON object") from None
    if not isinstance(value, list):
        raise bad_request("can't parse entities JSON object")
    limit = utf16_len(text)
    result: list[JsonDict] = []
    for item in value:
        if not isinstance(item, dict) or item.get("type") not in _ENTITY_TYPES:
            raise bad_request("can't parse entities JSON object")
        offset, length = item.get("offset"), item.get("length")
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0:
            raise bad_request("can't parse entities JSON object")
        length = min(length, limit - offset)
        if length <= 0:
            continue
        entity = {key: val for key, val in item.items() if val is not None}
        entity.update(offset=offset, length=length)
        if entity["type"] == "text_link":
            url = normalize_url(str(entity.get("url", "")))
            if url is None:
                continue
            entity["url"] = url
        result.append(entity)
    return result


def _resolve_mention(entity: JsonDict, resolve_user: UserResolver) -> JsonDict | None:
    if entity["type"] != "text_mention" or len(entity["user"]) > 1:
        return entity
    user = resolve_user(int(entity["user"]["id"]))
    return {**entity, "user": user} if user is not None else None


def _trim(text: str, entities: list[JsonDict]) -> tuple[str, list[JsonDict]]:
    stripped = text.lstrip(_TRIMMED)
    shift = utf16_len(text) - utf16_len(stripped)
    stripped = stripped.rstrip(_TRIMMED)
    limit = utf16_len(stripped)
    result = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def _auto_entities(text: str, entities: list[JsonDict]) -> list[JsonDict]:
    """Commands, mentions, hashtags and links Telegram detects by itself."""
    taken = [(e["offset"], e["offset"] + e["length"]) for e in entities if e["type"] in _OPAQUE_TYPES]
    found: list[JsonDict] = []
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            value = match.group(0)
            if kind == "url":
                value = value.rstrip(_URL_TAIL)
            start = utf16_len(text[: match.start()])
            end = start + utf16_len(value)
            if any(start < stop and begin < end for begin, stop in taken):
                continue
            taken.append((start, end))
            found.append({"type": kind, "offset": start, "length": end - start})
    return found

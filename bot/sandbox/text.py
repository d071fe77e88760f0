"""Text helpers shared by the formatting parsers: UTF-16 lengths, links, entity order."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

JsonDict = dict[str, Any]

_USER_LINK = re.compile(r"^tg://user\?id=(\d{1,18})$", re.IGNORECASE)
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_OPAQUE_SCHEMES = frozenset({"tg", "ton", "mailto"})

# Telegram orders entities by offset, then longer first, then by a per-type priority.
_TYPE_PRIORITY: dict[str, int] = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def link_user_id(url: str) -> int | None:
    """The user id of a ``tg://user?id=N`` link, or None."""
    match = _USER_LINK.match(url.strip())
    return int(match.group(1)) if match else None


def normalize_url(url: str) -> str | None:
    """Check a link like Telegram does and return its normalized form, or None if invalid."""
    url = url.strip()
    if not url or any(char.isspace() for char in url):
        return None
    scheme_match = _SCHEME.match(url)
    if scheme_match is None:
        url = "http://" + url
        scheme = "http"
    else:
        scheme = scheme_match.group(1).lower()
    if scheme in _OPAQUE_SCHEMES:
        return url if len(url) > len(scheme) + 1 else None
    if scheme not in ("http", "https", "ftp"):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if not host or (port is not None and port == 0):
        return None
    if "." not in host and host != "localhost":
        return None
    return urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, parts.fragment))


def sort_entities(entities: list[JsonDict]) -> list[JsonDict]:
    """Sort entities in Telegram's order."""
    return sorted(
        entities,
        key=lambda e: (e["offset"], -e["length"], _TYPE_PRIORITY.get(e["type"], 50)),
    )

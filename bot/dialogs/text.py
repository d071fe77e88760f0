"""What a resident types, made safe to store and to measure."""

from __future__ import annotations

import re
import unicodedata

_SURROGATES = re.compile(r"[\ud800-\udfff]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters, except tab and line feed."""


def plain_wish(text: str) -> str:
    """The text as stored: Unicode-normalised, without invisible characters at its ends.

    Anything typed can be stored and shown again: half of a character (a lone surrogate, which
    Telegram's JSON can carry) becomes "�", and control characters other than tab and line feed
    (NUL, which PostgreSQL refuses, among them) are dropped.
    """
    text = _CONTROLS.sub("", _SURROGATES.sub("\N{REPLACEMENT CHARACTER}", text))
    text = unicodedata.normalize("NFC", text)
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]


def _invisible(character: str) -> bool:
    """Spaces, and format characters such as zero-width spaces and direction marks."""
    return character.isspace() or unicodedata.category(character) == "Cf"


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (before escaping, so never inside
    an HTML entity)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def visible_length(text: str) -> int:
    """How many characters a reader sees: format characters (zero-width…) do not count."""
    return sum(1 for c in text if unicodedata.category(c) != "Cf")

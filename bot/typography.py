"""Typography of the languages the bot writes in.

French puts a non-breaking space before « : » (a full one) and before « ; ? ! » (a narrow one,
« espace fine insécable »), and inside guillemets, so that a line never starts with a colon
or a lone guillemet on a phone's narrow screen. The rules are applied to the bot's own texts
(message templates and content) before anything a resident wrote is put in, so their words
are never touched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

NBSP = "\u00a0"
NARROW_NBSP = "\u202f"
_BEFORE_COLON = re.compile(r"[ \u00a0\u202f]+(?=:(?!//))")
_BEFORE_PUNCTUATION = re.compile(r"[ \u00a0\u202f]+(?=[;?!])")
_AFTER_OPENING = re.compile(r"«[ \u00a0\u202f]+")
_BEFORE_CLOSING = re.compile(r"[ \u00a0\u202f]+»")


@lru_cache(maxsize=4096)
def french(text: str) -> str:
    """``text`` with French non-breaking spaces where a space already stands (the bot's texts
    are few: each is worked out once)."""
    text = _BEFORE_COLON.sub(NBSP, text)
    text = _BEFORE_PUNCTUATION.sub(NARROW_NBSP, text)
    text = _AFTER_OPENING.sub("«" + NBSP, text)
    return _BEFORE_CLOSING.sub(NBSP + "»", text)


def _as_is(text: str) -> str:
    return text


def typography(language: str) -> Callable[[str], str]:
    """The rules of ``language`` (none for a language without them, such as English)."""
    return french if language == "fr" else _as_is

"""The bot's words as tests read them: a translator that refuses strings the bot never says.

A test that looks for ``t._("…")`` must name a real message of the bot (or of the content);
otherwise a typo or a stale string would quietly fall back to itself and prove nothing.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from bot.i18n import I18n, Translator
from tests.test_i18n import extracted


@cache
def _known(domain: str) -> frozenset[str]:
    return frozenset(extracted(domain))


class Words(Translator):
    def __init__(self, language: str) -> None:
        inner = I18n("fr")(language)
        super().__init__(language, inner._messages, inner._content)

    def _(self, message: str, /, **values: Any) -> str:
        assert message in _known("messages"), f"the bot never says {message!r}"
        return super()._(message, **values)

    def content(self, text: str) -> str:
        assert text in _known("content"), f"no such content text: {text!r}"
        return super().content(text)


def words(language: str) -> Words:
    return Words(language)

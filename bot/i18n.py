"""Translations (Babel/gettext catalogs in ``locales/``) and locale-aware dates.

French is the source language: message ids in the code and texts in the content
files are French, and every other language has a catalog under
``locales/<lang>/LC_MESSAGES/``. Two domains: ``messages`` for the bot's own words,
``content`` for the consultation content that staff edit.
"""

from __future__ import annotations

import datetime as dt
import gettext
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

from bot.clock import PARIS
from bot.config import LANGUAGES
from bot.typography import typography

SOURCE_LANGUAGE = "fr"
DOMAINS = ("messages", "content")


def locales_dir() -> Path:
    """The catalogs: packaged inside ``bot/`` in a wheel, at the repository root otherwise."""
    packaged = Path(__file__).parent / "locales"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "locales"


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where the language is known."""
    return message


class Translator:
    """Everything a resident reads, in one language, with its typography (French non-breaking
    spaces), applied to the bot's own texts before anything a resident wrote is filled in."""

    def __init__(
        self, language: str, messages: gettext.NullTranslations, content: gettext.NullTranslations
    ) -> None:
        self.language = language
        self._messages = messages
        self._content = content
        self._typography = typography(language)

    def _(self, message: str, /, **values: Any) -> str:
        """Translate a message of the bot and fill its ``{placeholders}``."""
        text = self._typography(self._messages.gettext(message))
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, /, **values: Any) -> str:
        """Translate a message whose form depends on ``n`` (also available as ``{n}``)."""
        text = self._typography(self._messages.ngettext(singular, plural, n))
        return text.format(n=self.number(n), **values)

    def content(self, text: str) -> str:
        """Translate a text of the consultation content."""
        return self._typography(self._content.gettext(text))

    def number(self, n: float) -> str:
        return format_decimal(n, locale=self.language)

    def decimal(self, x: float) -> str:
        """A figure with two decimals, e.g. « 0,48 »."""
        return format_decimal(x, format="0.00", locale=self.language)

    def percent(self, share: float) -> str:
        """A share as a percentage with one decimal, e.g. « 56,4 % »."""
        return format_percent(share, format="0.0 %", locale=self.language)

    def date(self, day: dt.date) -> str:
        return format_date(day, format="long", locale=self.language)

    def month(self, day: dt.date) -> str:
        return format_skeleton("yMMMM", dt.datetime(day.year, day.month, 1), locale=self.language)

    def datetime(self, moment: dt.datetime) -> str:
        """A moment in Europe/Paris time, e.g. « 3 avril 2017 à 09:30 »."""
        local = moment.astimezone(PARIS)
        return self._(
            "{date} à {time}",
            date=self.date(local.date()),
            time=format_time(local, format="short", locale=self.language),
        )


class I18n:
    """Loads the catalogs once and hands out translators."""

    def __init__(self, default_language: str, directory: Path | None = None) -> None:
        self.default_language = default_language
        folder = directory or locales_dir()
        self._translators = {
            language: Translator(language, *(self._load(folder, language, domain) for domain in DOMAINS))
            for language in LANGUAGES
        }

    @staticmethod
    def _load(folder: Path, language: str, domain: str) -> gettext.NullTranslations:
        if language == SOURCE_LANGUAGE:
            return NullTranslations()
        return Translations.load(str(folder), [language], domain)

    def __call__(self, language: str | None) -> Translator:
        return self._translators.get(language or "", self._translators[self.default_language])

    def pick(self, language_code: str | None) -> str:
        """The language for a resident at first contact, from Telegram's ``language_code``."""
        base = (language_code or "").split("-")[0].lower()
        return base if base in self._translators else self.default_language

    def guess(self, language_code: str | None) -> Translator:
        """The translator for someone whose language is known only from Telegram."""
        return self(self.pick(language_code))

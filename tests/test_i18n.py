"""Catalogs: every string is translated in every language, placeholders agree, .mo files are fresh.

French is the source language. The strings are extracted afresh from the code and the content
files, so a string added without a translation fails here, not in front of a resident.
"""

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot.config import LANGUAGES
from bot.i18n import SOURCE_LANGUAGE, locales_dir
from bot.sandbox.html_entities import parse_html

ROOT = Path(__file__).parent.parent
MAPPINGS = {"messages": "babel.cfg", "content": "babel-content.cfg"}
TRANSLATED = [language for language in LANGUAGES if language != SOURCE_LANGUAGE]
PLACEHOLDER = re.compile(r"\{(\w*)\}")
TAG = re.compile(r"</?\w+")


def extracted(domain: str) -> set[str]:
    with open(ROOT / MAPPINGS[domain]) as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    found = extract_from_dir(
        ROOT, method_map, options_map, keywords={"_": None, "N_": None, "ngettext": (1, 2)}
    )
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def catalog(language: str, domain: str) -> Catalog:
    with open(locales_dir() / language / "LC_MESSAGES" / f"{domain}.po", "rb") as po:
        return read_po(po, locale=language, domain=domain)


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("domain", MAPPINGS)
def test_every_string_is_translated_and_not_fuzzy(language: str, domain: str) -> None:
    translations = catalog(language, domain)
    strings = extracted(domain)
    assert strings, "extraction found nothing"
    untranslated = sorted(
        s for s in strings if s not in translations or not all(_forms(translations[s].string))
    )
    fuzzy = sorted(m.id if isinstance(m.id, str) else m.id[0] for m in translations if m.id and m.fuzzy)
    assert untranslated == [], f"untranslated in {language}/{domain}.po; run the update workflow in README"
    assert fuzzy == []


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("domain", MAPPINGS)
def test_placeholders_and_tags_agree_between_languages(language: str, domain: str) -> None:
    for message in catalog(language, domain):
        if not message.id:
            continue
        source = " ".join(_forms(message.id))
        for translation in _forms(message.string):
            assert set(PLACEHOLDER.findall(translation)) == set(PLACEHOLDER.findall(source)), message.id
            assert sorted(TAG.findall(translation)) == sorted(TAG.findall(source)), message.id


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("domain", MAPPINGS)
def test_compiled_catalogs_are_fresh(language: str, domain: str) -> None:
    """The .mo says what the .po says: compared message by message, not byte by byte, so that
    another Babel version (which writes its own name in the header) compiles the same catalog."""
    with open(locales_dir() / language / "LC_MESSAGES" / f"{domain}.mo", "rb") as mo:
        committed = _messages(read_mo(mo))
    assert committed == _messages(catalog(language, domain)), "stale .mo: run `pybabel compile -d locales`"


def _messages(translations: Catalog) -> dict[tuple[str, ...], tuple[str, ...]]:
    """What a catalog translates, and its plural rule; not who generated it."""
    entries = {
        _forms(message.id): _forms(message.string)
        for message in translations
        if message.id and not message.fuzzy
    }
    entries[("plural-forms",)] = (translations.plural_forms,)
    return entries


def _forms(text: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if text is None:
        return ("",)
    return (text,) if isinstance(text, str) else tuple(text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_valid_telegram_html_in_every_language(language: str) -> None:
    """A bare « & » or « < » in a translation would make Telegram refuse the whole message."""
    translations = catalog(TRANSLATED[0], "messages")
    for message in translations:
        if not message.id:
            continue
        texts = _forms(message.id) if language == SOURCE_LANGUAGE else _forms(message.string)
        for text in texts:
            filled = text.format(**dict.fromkeys(PLACEHOLDER.findall(text), "x"))
            parse_html(filled)

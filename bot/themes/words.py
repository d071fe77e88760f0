"""The words of wishes: French and English stop words left out, accents and endings aside.

Residents write with and without accents (« école », « ecole »), in the singular and the plural:
words are compared by the Snowball stem of their unaccented form, and shown as the form
residents used most.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
MIN_LENGTH = 3
_DOMAIN = """
    metropole metropoles ideale ideal ville villes voudrais voudrait aimerais aimerait veux veut
    faut faudrait vraiment tout tous toute toutes plus moins svp etc pas peu trop bien mieux
    fait faire avoir etre comme chaque partout quand encore aussi enfin rien chose choses gens
    pouvoir puisse puissent peut peuvent vivre want would like more less city
"""
DOMAIN_STOP_WORDS = frozenset(_DOMAIN.split())
"""Words every wish could use (the question's own words, fillers): never characteristic."""


def unaccented(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


@cache
def _stemmer() -> Any:
    import snowballstemmer  # the optional extra

    return snowballstemmer.stemmer("french")


@cache
def stop_words() -> frozenset[str]:
    """French and English stop words (``stop-words``), unaccented, and the domain's own."""
    from stop_words import get_stop_words  # the optional extra

    words = {unaccented(w.lower()) for language in ("fr", "en") for w in get_stop_words(language)}
    return frozenset(words | DOMAIN_STOP_WORDS)


def words(text: str) -> list[tuple[str, str]]:
    """The content words of a text, as (stem, form as written in lower case)."""
    found = []
    stemmer = _stemmer()
    for match in WORD.finditer(text.lower()):
        form = match.group()
        plain = unaccented(form)
        if len(plain) < MIN_LENGTH or plain in stop_words():
            continue
        found.append((stemmer.stemWord(plain), form))
    return found


def stems(text: str) -> frozenset[str]:
    return frozenset(stem for stem, _ in words(text))


def characteristic(group: Sequence[str], background: Iterable[frozenset[str]], count: int = 5) -> list[str]:
    """The words that set a group of texts apart from the background (all the wishes): those
    most of the group uses and few others do (tf-idf over documents), as residents wrote them."""
    documents = [words(text) for text in group]
    frequency: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for document in documents:
        frequency.update({stem for stem, _ in document})
        for stem, form in document:
            forms.setdefault(stem, Counter())[form] += 1
    everywhere: Counter[str] = Counter()
    total = 0
    for seen in background:
        everywhere.update(seen)
        total += 1
    total = max(total, len(documents))
    minimum = 2 if len(documents) > 2 else 1

    def weight(stem: str) -> float:
        elsewhere = max(everywhere[stem], frequency[stem])
        return frequency[stem] / len(documents) * math.log((total + 1) / (elsewhere + 1))

    ranked = sorted((s for s in frequency if frequency[s] >= minimum), key=lambda s: (-weight(s), s))
    return [min(forms[stem].items(), key=lambda item: (-item[1], item[0]))[0] for stem in ranked[:count]]

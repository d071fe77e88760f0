"""Finding a commune from what a resident types. A guess is never silent: whatever is not certain
comes back as :class:`Several` for the resident to pick from (or to answer « outside »).

Texts are folded first (case, accents, punctuation, digits of any script, « St »/« Ste »), then:

1. a postal code (« 13100 », « 13 100 », with or without a name beside it): the communes it
   serves (a Marseille code means its arrondissement); elsewhere, ``NotFound(True)``;
2. an arrondissement of Marseille: « 13e », « 13ème arr. », « Marseille 13 », « 1er »;
3. a name, with or without its article: the whole name, or its first whole words (« aix »,
   « saint mitre ») when only one commune has them, is :class:`Exact`; words that several names
   start with or contain, or a cut-short word (« port », « mar », « mirabeau »), are
   ``Several(..., "name")``; otherwise the closest names (« marseile », « istre ») are
   ``Several(..., "spelling")``, and nothing close is ``NotFound(False)``.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from bot.places import Commune

MAX_CHOICES = 8
"""The most communes a :class:`Several` holds (the most populous first); ``more`` counts the rest."""
SPELLING_CHOICES = 5
"""The most suggestions for a misspelt name."""
SPELLING_CUTOFF = 0.78
"""How alike (difflib's ratio, 0 to 1) a text and a name must be to suggest the name."""
MAX_INPUT = 1000
"""Only the first characters of what was typed are read."""
_MAX_FUZZY = 60
"""Beyond this many letters, a text is compared with no name (none is so long)."""

_SYNONYMS = {"st": "saint", "ste": "saint", "sainte": "saint", "sts": "saint", "lez": "les"}
_ARTICLES = frozenset({"le", "la", "les", "l"})
_SMALL_WORDS = _ARTICLES | {"de", "du", "des", "d", "en", "sur", "et", "saint", "a", "au", "aux"}
_ORDINALS = frozenset({"e", "eme", "ieme", "em", "me", "er", "ere", "re", "nd", "nde", "d"})
_DISTRICT_WORDS = frozenset({"arrondissement", "arrondissements", "arr", "arrt", "arrdt", "ardt", "arrond"})
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l"})


@dataclass(frozen=True)
class Exact:
    """One commune, certainly."""

    commune: Commune


@dataclass(frozen=True)
class Several:
    """Communes for the resident to pick from, the likeliest first.

    ``why``: ``postal_code``, the code serves them all; ``name``, the text names them all or is
    part of their names; ``spelling``, the text names none, these are the closest names.
    ``more``: how many more matched than are listed. ``also_outside``: the text may as well mean a
    place outside the metropolis (its postal code serves communes outside it too, or only them).
    """

    communes: tuple[Commune, ...]
    why: Literal["postal_code", "spelling", "name"]
    more: int = 0
    also_outside: bool = False


@dataclass(frozen=True)
class NotFound:
    """Nothing in the metropolis; ``outside_postal_code`` if the text is a postal code elsewhere."""

    outside_postal_code: bool = False


Found = Exact | Several | NotFound


def fold(text: str) -> str:
    """Words in lower case without accents or punctuation, digits of any script as ASCII, a space
    between digits and letters, and « st »/« ste »/« sainte » as « saint »: ``Sainte-Marie 13ème``
    → ``saint marie 13 eme``."""
    out: list[str] = []
    previous = ""
    for char in unicodedata.normalize("NFKD", text[:MAX_INPUT].casefold()):
        if unicodedata.combining(char):
            continue
        digit = unicodedata.decimal(char, None)
        kind = "digit" if digit is not None else "letter" if char.isalpha() else ""
        if kind and previous and kind != previous:
            out.append(" ")
        out.append(str(digit) if digit is not None else char if kind else " ")
        previous = kind
    words = "".join(out).translate(_LIGATURES).split()
    return " ".join(_SYNONYMS.get(word, word) for word in words)


@dataclass(frozen=True)
class _Town:
    commune: Commune
    names: tuple[tuple[str, ...], ...]
    """The folded name's words, and without its article (« la ciotat », « ciotat »)."""
    compact: tuple[str, ...]
    """The same without spaces (« laciotat »)."""

    @classmethod
    def of(cls, commune: Commune) -> _Town:
        words = tuple(fold(commune.name).split())
        names = (words, words[1:]) if len(words) > 1 and words[0] in _ARTICLES else (words,)
        return cls(commune, names, tuple("".join(name) for name in names))


def _meaningful(words: Sequence[str]) -> bool:
    return any(word not in _SMALL_WORDS for word in words)


def _contains(name: Sequence[str], words: Sequence[str], start: int) -> bool:
    """Whether ``words`` are ``name``'s words from position ``start`` on (whole words)."""
    return tuple(name[start : start + len(words)]) == tuple(words)


class Finder:
    """Looks communes up by what people type; built once from the loaded communes."""

    def __init__(self, communes: Iterable[Commune], outside_postal_codes: Iterable[str] = ()) -> None:
        communes = tuple(communes)
        self._towns = [_Town.of(c) for c in communes if c.parent is None]
        self._shared = frozenset(outside_postal_codes)
        parents = {c.parent for c in communes if c.parent}
        self._postal: dict[str, list[Commune]] = {}
        for commune in communes:
            for code in commune.postal_codes:
                self._postal.setdefault(code, []).append(commune)
        for code, found in self._postal.items():  # a district's code means the district, not its city
            districts = {c.parent for c in found if c.parent}
            self._postal[code] = [c for c in found if c.code not in districts]
        self._districts: dict[str, dict[int, Commune]] = {}
        names = {c.code: fold(c.name) for c in communes if c.code in parents}
        for commune in communes:
            number = next((w for w in fold(commune.name).split() if w.isdigit()), None)
            if commune.parent in names and number is not None:
                self._districts.setdefault(names[commune.parent], {})[int(number)] = commune

    def find(self, text: str) -> Found:
        """What ``text`` designates, by the rules of the module's docstring."""
        words = fold(text).split()
        if not words:
            return NotFound()
        numbers = [w for w in words if w.isdigit()]
        if len(numbers) == len(words) and len("".join(numbers)) == 5:  # « 13100 », « 13 100 »
            return self._postal_code("".join(numbers), [])
        postal = next((w for w in words if w.isdigit() and len(w) == 5), None)
        if postal is not None:
            return self._postal_code(postal, [w for w in words if w != postal])
        return self._district(words) or self._name(words)

    def _postal_code(self, code: str, rest: list[str]) -> Found:
        served = self._postal.get(code, [])
        named = (self._district(rest) or self._name(rest)) if rest else NotFound()
        candidates = _communes(named)
        if not served:
            if candidates and code >= "01000":  # « 13040 Aubagne »: the name, or outside
                return _several(candidates, "name", also_outside=True)
            return NotFound(outside_postal_code=code >= "01000")
        agreed = [c for c in served if c in candidates or c.parent in {n.code for n in candidates}]
        if len(agreed) == 1:
            return Exact(agreed[0])
        if agreed:
            return _several(agreed, "postal_code")
        if isinstance(named, Exact):  # the name and the code disagree: the resident says which
            return _several([*served, named.commune], "postal_code", also_outside=code in self._shared)
        if len(served) == 1 and code not in self._shared:
            return Exact(served[0])
        return _several(served, "postal_code", also_outside=code in self._shared)

    def _district(self, words: Sequence[str]) -> Found | None:
        """« 13e », « 13 ème arr. », « Marseille 13 », « 1er »: an arrondissement."""
        cities = [w for w in words if w in self._districts]
        if len(self._districts) != 1 and len(set(cities)) != 1:
            return None
        districts = self._districts[cities[0] if cities else next(iter(self._districts))]
        rest = [w for w in words if w not in self._districts and w not in ("de", "du", "d")]
        if not rest or not rest[0].isdigit() or len(rest[0]) > 2:
            return None
        commune = districts.get(int(rest[0]))
        tail = rest[1:]
        ordinal = bool(tail) and tail[0] in _ORDINALS
        tail = tail[1:] if ordinal else tail
        spelt = bool(tail) and tail[0] in _DISTRICT_WORDS
        tail = tail[1:] if spelt else tail
        if commune is None or tail:
            return None
        return Exact(commune) if cities or ordinal or spelt else Several((commune,), "name")

    def _name(self, words: Sequence[str]) -> Found:
        query = tuple(words)
        compact = "".join(query)
        exact = [t for t in self._towns if query in t.names or compact in t.compact]
        if exact:
            return Exact(exact[0].commune) if len(exact) == 1 else _several(_of(exact), "name")
        starts = [t for t in self._towns if any(_contains(n, query, 0) for n in t.names)]
        if len(starts) == 1 and _meaningful(query):
            return Exact(starts[0].commune)
        if starts:
            return _several(_of(starts), "name")
        begun = [t for t in self._towns if len(compact) >= 3 and self._begins(t, query, compact)]
        inner = [
            t
            for t in self._towns
            if _meaningful(query)
            and len(compact) >= 3
            and any(_contains(n, query, i) for n in t.names for i in range(1, len(n)))
        ]
        if len(begun) > 1 or inner:
            return _several(_of(begun + [t for t in inner if t not in begun]), "name")
        within = [
            t
            for t in self._towns
            if any(
                len("".join(n)) >= 4 and _meaningful(n) and _contains(query, n, i)
                for n in t.names
                for i in range(len(query))
            )
        ]
        if within:
            return _several(_of(within), "name")
        close = self._close(" ".join(query), compact)
        suggestions = _of(begun) + [c for c in close if c not in _of(begun)]
        if suggestions:
            return Several(tuple(suggestions[:SPELLING_CHOICES]), "spelling")
        return NotFound()

    @staticmethod
    def _begins(town: _Town, query: tuple[str, ...], compact: str) -> bool:
        """Whether ``query`` starts the name, its last word cut short (« aix en prov »)."""
        for name, joined in zip(town.names, town.compact, strict=True):
            if joined.startswith(compact):
                return True
            last = len(query) - 1
            if len(name) > last and _contains(name, query[:last], 0) and name[last].startswith(query[last]):
                return True
        return False

    def _close(self, spaced: str, compact: str) -> list[Commune]:
        """The names most like the text, closest first."""
        if len(compact) > _MAX_FUZZY:
            return []
        scored: list[tuple[float, Commune]] = []
        for town in self._towns:
            score = max(
                max(_ratio(spaced, " ".join(n)) for n in town.names),
                max(_ratio(compact, c) for c in town.compact),
            )
            if score >= SPELLING_CUTOFF:
                scored.append((score, town.commune))
        scored.sort(key=lambda pair: (-pair[0], -pair[1].population, pair[1].code))
        return [commune for _, commune in scored]


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _of(towns: Iterable[_Town]) -> list[Commune]:
    return [t.commune for t in towns]


def _communes(found: Found) -> list[Commune]:
    if isinstance(found, Exact):
        return [found.commune]
    return list(found.communes) if isinstance(found, Several) else []


def _several(
    communes: Sequence[Commune], why: Literal["postal_code", "spelling", "name"], also_outside: bool = False
) -> Several:
    """The most populous first, at most ``MAX_CHOICES`` of them."""
    unique = list(dict.fromkeys(communes))
    unique.sort(key=lambda c: (-c.population, c.code))
    return Several(tuple(unique[:MAX_CHOICES]), why, max(0, len(unique) - MAX_CHOICES), also_outside)

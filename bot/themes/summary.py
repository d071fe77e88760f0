"""The themes of a set of wishes: shares overall and by group, quotes, candidate themes.

Pure functions over :class:`Record` (a wish with its paradox, persona and territory), so the
report, the workbook and the statistics can theme any set of answers they read.

The small-group rule (:data:`~bot.synthesis.export.SMALL_GROUP`) holds everywhere: a group of
fewer than five respondents (a paradox, persona or territory; a theme within one; a theme
overall) shows « < 5 » and no share. Quotes are verbatim and carry the paradox and, when at
least five respondents chose it for that paradox, the persona; never a pseudonym or a place.
No wish is quoted from a theme of fewer than five respondents or a paradox of fewer than five.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.synthesis.export import SMALL_GROUP
from bot.themes import candidates as grouping
from bot.themes.codebook import UNCLASSIFIED, Codebook
from bot.themes.corrections import Corrections
from bot.themes.model import Embedder, Vectors
from bot.themes.reading import THRESHOLD, Assignment, ThemeReader
from bot.themes.words import characteristic, stems

QUOTES = 3
"""Representative wishes quoted per theme, and examples per candidate theme."""
NEAR_DUPLICATE = 0.95
"""Two wishes this close in meaning are not both quoted."""
NOT_SAID = ""
"""The group of answers whose territory is unknown."""
DIMENSIONS = ("paradox", "persona", "territory")


@dataclass(frozen=True)
class Record:
    """A wish to theme, with what the breakdowns and quotes need."""

    text: str
    paradox: str
    persona: str
    territory: str | None = None
    respondent: Hashable | None = None
    """Who wrote it, for counting respondents (any value; never shown). None: a respondent of
    its own."""

    def group(self, dimension: str) -> str:
        value = getattr(self, dimension)
        return NOT_SAID if value is None else str(value)


@dataclass(frozen=True)
class Share:
    """How many wishes of a group have a theme, and their share of the group's wishes (None
    when fewer than five respondents wrote them, or the group itself is that small)."""

    answers: int
    respondents: int
    share: float | None

    @property
    def suppressed(self) -> bool:
        return self.share is None and self.answers > 0


@dataclass(frozen=True)
class Group:
    """One group of a breakdown (a paradox, a persona, a territory) and its themes' shares."""

    key: str
    answers: int
    respondents: int
    shares: dict[str, Share]
    """By theme id, and ``a_classer``."""

    @property
    def suppressed(self) -> bool:
        return self.respondents < SMALL_GROUP


@dataclass(frozen=True)
class Quote:
    """A wish quoted verbatim, with its paradox and (unless that would single someone out) its
    persona."""

    text: str
    paradox: str
    persona: str | None


@dataclass(frozen=True)
class Candidate:
    """A group of similar wishes « à classer »: a theme the codebook may be missing."""

    words: tuple[str, ...]
    answers: int
    respondents: int
    examples: tuple[Quote, ...]


@dataclass(frozen=True)
class Themes:
    """Everything ``fabrique-bot themes`` shows, for any set of wishes."""

    codebook: Codebook
    records: tuple[Record, ...]
    assignments: tuple[Assignment, ...]
    """One per record, in the same order."""
    overall: Group
    breakdowns: dict[str, list[Group]]
    """By dimension (``paradox``, ``persona``, ``territory``), groups sorted by key."""
    quotes: dict[str, tuple[Quote, ...]]
    """By theme id: up to three representative wishes."""
    candidates: tuple[Candidate, ...]
    corrections_applied: int = 0
    corrections_unused: int = 0
    """Corrections whose wish is not among the records (changed, or filtered out)."""
    threshold: float = THRESHOLD

    @property
    def unclassified(self) -> int:
        return sum(1 for a in self.assignments if a.unclassified)


@dataclass
class _Tally:
    answers: int = 0
    respondents: set[Hashable] = field(default_factory=set)


def _who(index: int, record: Record) -> Hashable:
    return ("answer", index) if record.respondent is None else record.respondent


def _group(key: str, members: Sequence[int], records: Sequence[Record], assignments: Sequence[Assignment],
           codebook: Codebook) -> Group:  # fmt: skip
    everyone = {_who(i, records[i]) for i in members}
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    for i in members:
        for theme in assignments[i].themes or (UNCLASSIFIED,):
            tallies[theme].answers += 1
            tallies[theme].respondents.add(_who(i, records[i]))
    small = len(everyone) < SMALL_GROUP
    shares = {}
    for theme in (*codebook.ids, UNCLASSIFIED):
        tally = tallies.get(theme, _Tally())
        hidden = small or 0 < len(tally.respondents) < SMALL_GROUP
        share = None if hidden or not members else tally.answers / len(members)
        shares[theme] = Share(tally.answers, len(tally.respondents), share)
    return Group(key, len(members), len(everyone), shares)


def _sizes(records: Sequence[Record], keys: Iterable[tuple[int, Hashable]]) -> dict[Hashable, int]:
    who: dict[Hashable, set[Hashable]] = defaultdict(set)
    for index, key in keys:
        who[key].add(_who(index, records[index]))
    return {key: len(people) for key, people in who.items()}


class _Quoting:
    """Which wishes may be quoted, and with which attribution."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.records = records
        self.paradoxes = _sizes(records, ((i, r.paradox) for i, r in enumerate(records)))
        self.personas = _sizes(records, ((i, (r.paradox, r.persona)) for i, r in enumerate(records)))

    def quote(self, index: int) -> Quote | None:
        record = self.records[index]
        if self.paradoxes.get(record.paradox, 0) < SMALL_GROUP:
            return None
        named = self.personas.get((record.paradox, record.persona), 0) >= SMALL_GROUP
        return Quote(record.text, record.paradox, record.persona if named else None)

    def pick(self, ranked: Sequence[int], vectors: Vectors, count: int = QUOTES) -> tuple[Quote, ...]:
        """The first ``count`` quotable wishes of ``ranked``, a persona named before none, no
        text twice and no near-duplicates."""
        chosen: list[int] = []
        quotes: list[Quote] = []
        seen: set[str] = set()
        options = [(i, q) for i in ranked if (q := self.quote(i)) is not None]
        options.sort(key=lambda option: option[1].persona is None)  # stable: keeps the ranking
        for index, quote in options:
            text = " ".join(quote.text.split()).casefold()
            if text in seen or any(float(vectors[index] @ vectors[j]) >= NEAR_DUPLICATE for j in chosen):
                continue
            seen.add(text)
            chosen.append(index)
            quotes.append(quote)
            if len(quotes) == count:
                break
        return tuple(quotes)


def summarise(
    records: Sequence[Record],
    assignments: Sequence[Assignment],
    vectors: Vectors,
    reader: ThemeReader,
    corrections: Corrections | None = None,
) -> Themes:
    """Shares, quotes and candidate themes of wishes already read (see :func:`theme_records`)."""
    codebook = reader.codebook
    everyone = range(len(records))
    by_dimension: dict[str, list[Group]] = {}
    for dimension in DIMENSIONS:
        members: dict[str, list[int]] = defaultdict(list)
        for i in everyone:
            members[records[i].group(dimension)].append(i)
        by_dimension[dimension] = [
            _group(key, members[key], records, assignments, codebook) for key in sorted(members)
        ]
    overall = _group("", list(everyone), records, assignments, codebook)
    quoting = _Quoting(records)
    scores = reader.scores(vectors) if len(records) else np.zeros((0, len(codebook.ids)), np.float32)
    quotes: dict[str, tuple[Quote, ...]] = {}
    for column, theme in enumerate(codebook.ids):
        if overall.shares[theme].respondents < SMALL_GROUP:
            quotes[theme] = ()
            continue
        mine = [i for i in everyone if assignments[i].themes[:1] == (theme,)]
        mine.sort(key=lambda i: (-float(scores[i, column]), assignments[i].key))
        quotes[theme] = quoting.pick(mine, vectors)
    applied = sum(1 for a in assignments if a.corrected)
    keys = {a.key for a in assignments}
    unused = sum(1 for key in (corrections.themes if corrections else {}) if key not in keys)
    return Themes(
        codebook=codebook,
        records=tuple(records),
        assignments=tuple(assignments),
        overall=overall,
        breakdowns=by_dimension,
        quotes=quotes,
        candidates=_candidates(records, assignments, vectors, quoting),
        corrections_applied=applied,
        corrections_unused=unused,
        threshold=reader.threshold,
    )


def _candidates(
    records: Sequence[Record], assignments: Sequence[Assignment], vectors: Vectors, quoting: _Quoting
) -> tuple[Candidate, ...]:
    # One entry per distinct wish (same key, same words), the first of each in key order.
    first: dict[str, int] = {}
    for i, assignment in enumerate(assignments):
        if assignment.unclassified and not assignment.corrected:
            first.setdefault(assignment.key, i)
    pool = [first[key] for key in sorted(first)][: grouping.LIMIT]
    if len(pool) < grouping.MIN_SIZE:
        return ()
    found = grouping.groups(
        vectors[pool], [stems(records[i].text) for i in pool], [assignments[i].key for i in pool]
    )
    background = [stems(record.text) for record in records]
    by_key: dict[str, list[int]] = defaultdict(list)
    for i, assignment in enumerate(assignments):
        by_key[assignment.key].append(i)
    result = []
    for members in found:
        indices = [pool[m] for m in members]
        answers = [i for index in indices for i in by_key[assignments[index].key]]
        respondents = len({_who(i, records[i]) for i in answers})
        if respondents < SMALL_GROUP:
            continue
        words = characteristic([records[i].text for i in indices], background)
        result.append(Candidate(tuple(words), len(answers), respondents, quoting.pick(indices, vectors)))
    return tuple(result)


def theme_records(
    records: Sequence[Record],
    codebook: Codebook,
    corrections: Corrections | None = None,
    embedder: Embedder | None = None,
    *,
    threshold: float = THRESHOLD,
) -> Themes:
    """Read the wishes of ``records`` against the codebook and summarise them.

    ``embedder`` defaults to the shipped model (:class:`~bot.themes.model.E5Embedder`, which
    needs the ``themes`` extra).
    """
    if embedder is None:
        from bot.themes.model import E5Embedder

        embedder = E5Embedder()
    reader = ThemeReader(codebook, embedder, threshold=threshold)
    texts = [record.text for record in records]
    vectors = reader.vectors(texts)
    assignments = reader.assign(texts, corrections, vectors)
    return summarise(records, assignments, vectors, reader, corrections)

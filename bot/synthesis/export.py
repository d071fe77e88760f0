"""The export of confirmed answers, one row each: a workbook for people (``bot.synthesis.workbook``),
CSV or JSON lines for analysts and scripts.

Pseudonymous: no Telegram id, username or name leaves the database. A respondent is a keyed
hash of the resident, with a secret generated on first use and kept in the database, so one
resident keeps the same pseudonym from one export to the next.

The columns are those the questions declare (``Question.columns``), between the answer's own
fields (:data:`FIELDS_BEFORE`, :data:`FIELDS_AFTER`). Answers are streamed, :data:`BATCH` at a
time: memory stays flat whatever their number. The work per answer is kept to what must be done
for each one: a column's cells depend on its value only, so an export computes them once per
distinct value (in bounded caches), batch by batch and column by column; only a resident's own
words and the time are formatted for every answer (see ``bench/README.md``).
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import itertools
import json
import re
import secrets
from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache, partial
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

from sqlalchemy import Select, String, func, select, type_coerce

from bot.clock import PARIS
from bot.content import Content
from bot.dialogs.question import Column, Question, Reader, Reading
from bot.dialogs.questions import QUESTIONS
from bot.i18n import N_, I18n, Translator
from bot.places import Places, load_places
from bot.storage import Answer, Database
from bot.storage.repositories import secret
from bot.storage.tallies import respondent as respondent

SMALL_GROUP = 5
"""Groups with fewer respondents than this are never shown: in the statistics their figures
read « < 5 », and the export leaves out a commune fewer than this share."""
SUPPRESSED = f"< {SMALL_GROUP}"
"""What a suppressed figure shows instead of the number, in every language."""
PSEUDONYM_KEY = "pseudonym-key"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Format = Literal["xlsx", "csv", "jsonl"]
FORMATS: dict[str, Format] = {".xlsx": "xlsx", ".csv": "csv", ".jsonl": "jsonl"}
"""The format of each file extension."""
NAMES_LANGUAGE = "en"
"""The CSV's headers in this language are the columns' English names (``submitted_at``), stable
for scripts; in any other, the workbook's headers."""
BATCH = 5000
"""Answers read from the database at a time."""
CACHED = 4096
"""Distinct values whose cells an export keeps, per group of columns (the least recently used go)."""
PSEUDONYMS_CACHED = 65536
"""Residents whose pseudonym an export keeps (a resident's answers tend to come together)."""
Cell = str | int | datetime | None
"""A typed cell: text, a number, a moment in Paris time, or empty."""
Shared = dict[str, set[object]]
"""For each guarded answer field, the values at least :data:`SMALL_GROUP` respondents share."""
SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])
U = TypeVar("U")


def _same(_: Reading, value: Any) -> Any:
    return value


def _paradox_title(reading: Reading, paradox_id: Any) -> str:
    paradox = reading.content.paradox(paradox_id)
    return paradox.title if paradox else ""


RESPONDENT = Column(
    "respondent",
    _same,
    header=N_("Répondant"),
    description=N_(
        "Le pseudonyme du résident : R- suivi de 16 chiffres hexadécimaux, le même d’un export à "
        "l’autre ; vide si le résident a demandé à être oublié ou si le délai de conservation est passé."
    ),
)
SUBMITTED_AT = Column(
    "submitted_at",
    _same,
    header=N_("Date de réponse"),
    description=N_("Quand le résident a confirmé sa réponse, à l’heure de Paris."),
)
LANGUAGE = Column(
    "language",
    _same,
    header=N_("Langue"),
    description=N_("La langue dans laquelle le résident a répondu : fr (français) ou en (anglais)."),
)
SOURCE = Column(
    "source",
    _same,
    header=N_("Source"),
    description=N_(
        "Le lien par lequel le résident est arrivé (une affiche, le QR code d’un atelier…), vide s’il "
        "n’en a pas suivi."
    ),
)
PARADOX_ID = Column(
    "paradox_id",
    _same,
    header=N_("Paradoxe"),
    description=N_("Le paradoxe auquel le résident a répondu (son identifiant, voir plus bas)."),
)
PARADOX_TITLE = Column(
    "paradox_title",
    _paradox_title,
    header=N_("Titre du paradoxe"),
    description=N_("Le titre du paradoxe, en français."),
)
CONSENT_VERSION = Column(
    "consent_version",
    _same,
    header=N_("Version de la notice"),
    description=N_("La version de la notice de confidentialité que le résident avait acceptée."),
)
FIELDS_BEFORE = ((RESPONDENT,), (SUBMITTED_AT,), (LANGUAGE,), (SOURCE,), (PARADOX_ID, PARADOX_TITLE))
FIELDS_AFTER = ((CONSENT_VERSION,),)
"""The answer's own fields, before and after the questions' columns, grouped by what they read."""


@contextmanager
def collecting_seldom() -> Iterator[None]:
    """For a process that exports a million answers: the garbage collector leaves alone the
    objects already there (modules, content, places) and runs every 50,000 allocations instead
    of 700. An export makes no reference cycles per answer; collecting that often cost a
    quarter of the CSV's time."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, threshold[1], threshold[2])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def format_of(path: str | Path) -> Format | None:
    """The format a file's extension asks for (``.xlsx``, ``.csv``, ``.jsonl``), if any."""
    return FORMATS.get(Path(path).suffix.lower())


def header(column: Column, t: Translator) -> str:
    """The column's header in the reader's language."""
    return t._(column.header, value=t.content(column.subject)) if column.subject else t._(column.header)


def description(column: Column, t: Translator) -> str:
    """What the column holds, in the reader's language."""
    value = t.content(column.subject) if column.subject else ""
    return t._(column.description, value=value, n=SMALL_GROUP)


@dataclass(frozen=True)
class ExportFilter:
    """Answers submitted in ``[since, until)``, to one paradox or all."""

    since: datetime | None = None
    until: datetime | None = None
    paradox: str | None = None

    def apply(self, query: SelectT) -> SelectT:
        if self.since is not None:
            query = query.where(Answer.submitted_at >= self.since)
        if self.until is not None:
            query = query.where(Answer.submitted_at < self.until)
        if self.paradox is not None:
            query = query.where(Answer.paradox_id == self.paradox)
        return query


class Pseudonyms:
    """Keyed hashes of residents: stable for one database, meaningless without its key."""

    def __init__(self, key: str) -> None:
        self._keyed = hmac.new(key.encode(), digestmod=hashlib.sha256)

    def of(self, resident_id: int | None) -> str:
        if resident_id is None:
            return ""  # the resident asked to be forgotten: the answer is anonymous
        digest = self._keyed.copy()  # HMAC-SHA-256 with the key already set up
        digest.update(b"resident:%d" % resident_id)
        return f"R-{digest.hexdigest()[:16]}"


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would read as a formula is kept as text (a leading apostrophe)."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def text(cell: Cell) -> str:
    """A cell as CSV and JSON lines give it: formula-safe text, a moment in ISO 8601."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.isoformat(timespec="seconds")
    return neutralise(cell) if isinstance(cell, str) else str(cell)


def csv_fields(delimiter: str) -> Callable[[list[Cell]], list[str]]:
    """Cells as CSV fields, a column at a time: :func:`text`, quoted as :mod:`csv` does
    (``QUOTE_MINIMAL``) without its per-character cost, nor a call per cell."""
    special = re.compile(f'[{re.escape(delimiter)}"\r\n]').search

    def fields(cells: list[Cell]) -> list[str]:
        written = [
            ("'" + cell if cell.startswith(FORMULA_STARTS) else cell) if cell.__class__ is str else text(cell)
            for cell in cells  # most cells are text: text(), inlined
        ]
        return ['"' + field.replace('"', '""') + '"' if special(field) else field for field in written]

    return fields


def csv_cell(delimiter: str) -> Callable[[Cell], str]:
    """One cell as a CSV field (:func:`csv_fields`)."""
    fields = csv_fields(delimiter)
    return lambda cell: fields([cell])[0]


class Moments:
    """Stored moments (UTC) in Paris time. The offset is looked up once per hour of answers
    (Paris changes it on the hour, UTC), not for each answer: they come in order.

    A moment is a datetime (aware from PostgreSQL's driver, naive UTC from SQLite's) or, read
    as stored, SQLite's text (``2017-05-01 10:00:00.000000``), whose minutes and seconds are
    copied as they are."""

    HOUR = timedelta(hours=1)

    def __init__(self) -> None:
        self._start = self._end = datetime.min
        self._offset = timedelta(0)
        self._zone = UTC
        self._suffix = "+00:00"
        self._hour = ""
        """The UTC hour of the current window, as stored text (``2017-05-01 10``)."""
        self._local = ""
        """That hour in Paris time, as written (``2017-05-01T12``)."""

    def _utc(self, moment: datetime | str) -> datetime:
        """The moment as a naive UTC time, inside the current hour's window."""
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        if not self._start <= moment < self._end:
            self._start = moment.replace(minute=0, second=0, microsecond=0)
            self._end = self._start + self.HOUR
            self._offset = self._start.replace(tzinfo=UTC).astimezone(PARIS).utcoffset() or timedelta(0)
            self._zone = timezone(self._offset)
            local = (self._start + self._offset).replace(tzinfo=self._zone).isoformat("T", "seconds")
            self._local, self._suffix = local[:13], local[19:]
            self._hour = self._start.isoformat(" ")[:13] if self._offset % self.HOUR == timedelta(0) else ""
        return moment

    def paris(self, moment: datetime | str) -> datetime:
        """The moment as an aware Paris time."""
        return (self._utc(moment) + self._offset).replace(tzinfo=self._zone)

    def iso(self, moment: datetime | str) -> str:
        """``paris(moment).isoformat(timespec="seconds")``, for a fraction of its cost."""
        if isinstance(moment, str):
            if moment[:13] != self._hour:
                self._utc(moment)  # a new hour: its window
            if moment[:13] == self._hour and moment[13:14] == ":":  # the same minutes and seconds
                return self._local + moment[13:19] + self._suffix
        return (self._utc(moment) + self._offset).isoformat("T", "seconds") + self._suffix


@dataclass(frozen=True)
class _Group:
    """Columns filled from one value of an answer: a stored field's, or a question's."""

    columns: tuple[Column, ...]
    read: Callable[[Any], Any]
    """The value, from an answer as read from the database (a named tuple)."""
    cells: Callable[..., tuple[Cell, ...]]
    """The group's cells for a value and, for each guard, whether it lets the value through."""
    guards: tuple[str, ...] = ()
    cached: int = CACHED
    """How many distinct values' cells to keep (0: every value differs: computed each time)."""
    cell: Callable[[Any], Cell] | None = None
    """For a group of one column and no guard: its cell for a value (no tuple to build)."""
    text: Callable[[Any], str] | None = None
    """A faster way to :func:`text` of that cell, for the text formats."""


def _cells(
    reader: Reader, columns: tuple[Column, ...], guards: tuple[str, ...]
) -> Callable[..., tuple[Cell, ...]]:
    def cells(value: Any, *verdicts: bool) -> tuple[Cell, ...]:
        given = dict(zip(guards, verdicts, strict=True))
        return tuple(
            None
            if value is None or (column.guard is not None and not given[column.guard])
            else column.cell(reader, value)
            for column in columns
        )

    return cells


def _restore(question: Question) -> Callable[[Any], Any]:
    return question.restore if question.restore is not None else question.restored


def _cell(reader: Reader, column: Column) -> Callable[[Any], Cell]:
    cell = column.cell
    return lambda value: None if value is None else cell(reader, value)


class Exporter:
    def __init__(
        self,
        database: Database,
        content: Content,
        questions: Sequence[Question] = QUESTIONS,
        places: Places | None = None,
    ) -> None:
        self.database = database
        self.content = content
        self.questions = tuple(questions)
        self.places = places or load_places()
        self._reader = Reader(I18n("fr")("fr"), content, self.places)

    @property
    def columns(self) -> list[Column]:
        """The export's columns, in order (documented in the README)."""
        return [column for columns, _ in self._declared() for column in columns]

    NOT_READ = ("id", "respondent")
    """Stored columns no question reads back (``restore`` is the inverse of ``store``, which
    never writes them) and the export does not give."""

    def _declared(self) -> list[tuple[tuple[Column, ...], Question | None]]:
        """Every group of columns, with the question it belongs to (None: the answer's fields)."""
        asked = [(tuple(q.columns(self._reader)), q) for q in self.questions]
        return [
            *((group, None) for group in FIELDS_BEFORE),
            *((columns, q) for columns, q in asked if columns),
            *((group, None) for group in FIELDS_AFTER),
        ]

    async def pseudonyms(self) -> Pseudonyms:
        async with self.database.transaction() as repos:
            key = await secret(repos.session, PSEUDONYM_KEY, lambda: secrets.token_hex(32))
        return Pseudonyms(key)

    async def count(self, where: ExportFilter) -> int:
        async with self.database.reading() as session:
            query = where.apply(select(func.count()).select_from(Answer))
            return int((await session.execute(query)).scalar_one())

    async def slices(self, where: ExportFilter, count: int, total: int) -> list[ExportFilter]:
        """``where`` cut into ``count`` slices of about ``total / count`` answers each (``total``:
        how many match), consecutive in the export's order: each slice ends where the next
        begins, at an answer's moment (answers confirmed at the same moment stay together). Fewer
        slices if answers went meanwhile."""
        cuts: list[datetime | None] = [where.since]
        moments = where.apply(select(Answer.submitted_at)).order_by(Answer.submitted_at).limit(1)
        async with self.database.reading() as session:
            for k in range(1, count):
                cut = (await session.execute(moments.offset(total * k // count))).scalar()
                if cut is not None:
                    cuts.append(cut)
        cuts.append(where.until)
        return [replace(where, since=since, until=until) for since, until in itertools.pairwise(cuts)]

    async def shared(self, where: ExportFilter) -> Shared:
        """For each guarded answer column, the values at least SMALL_GROUP respondents share."""
        shared: Shared = {}
        async with self.database.reading() as session:
            for guard in {column.guard for column in self.columns if column.guard}:
                field = getattr(Answer, guard)
                query = where.apply(select(field).group_by(field))
                query = query.having(func.count(func.distinct(respondent())) >= SMALL_GROUP)
                shared[guard] = set((await session.scalars(query)).all())
        return shared

    def _groups(self, pseudonyms: Pseudonyms) -> list[_Group]:
        reader = self._reader
        moments = Moments()
        groups: list[_Group] = []
        for columns, question in self._declared():
            guards = tuple(sorted({column.guard for column in columns if column.guard}))
            cells = _cells(reader, columns, guards)
            if columns == (RESPONDENT,):
                group = _Group(columns, attrgetter("resident_id"), cells, cached=PSEUDONYMS_CACHED,
                               cell=pseudonyms.of)  # fmt: skip
            elif columns == (SUBMITTED_AT,):
                group = _Group(columns, attrgetter("submitted_at"), cells, cached=0, cell=moments.paris,
                               text=moments.iso)  # fmt: skip
            else:
                # A stored field is read under its first column's name.
                read = attrgetter(columns[0].name) if question is None else _restore(question)
                free = any(column.free_text for column in columns)
                one = _cell(reader, columns[0]) if len(columns) == 1 and not guards else None
                group = _Group(columns, read, cells, guards, 0 if free else CACHED, one)
            groups.append(group)
        return groups

    def _query(self, where: ExportFilter) -> Select[*tuple[Any, ...]]:
        """Every stored column of the matching answers, oldest first; the moment as the driver
        gives it (SQLite's text, PostgreSQL's datetime: see :class:`Moments`)."""
        fields = [
            type_coerce(column, String).label(column.name) if column.name == "submitted_at" else column
            for column in Answer.__table__.c
            if column.name not in self.NOT_READ
        ]
        return where.apply(select(*fields).order_by(Answer.submitted_at, Answer.id))

    async def _batches(self, where: ExportFilter) -> AsyncIterator[list[Any]]:
        """The matching answers, :data:`BATCH` at a time, as named tuples (whose attributes
        cost a tenth of a row's to read)."""
        async with self.database.reader.connect() as connection:
            result = await connection.stream(self._query(where).execution_options(yield_per=BATCH))
            record = namedtuple("record", list(result.keys()))  # type: ignore[misc]
            make = partial(tuple.__new__, record)  # record._make without its Python frame
            async for partition in result.partitions():
                yield list(map(make, partition))

    async def columnwise(
        self,
        where: ExportFilter,
        encode: Callable[[Cell], U],
        *,
        textual: bool = False,
        join: Callable[[tuple[U, ...]], U] | None = None,
        encode_all: Callable[[list[Cell]], list[U]] | None = None,
        shared: Shared | None = None,
    ) -> AsyncIterator[list[Sequence[U]]]:
        """Every matching answer, oldest first, a batch at a time and column-wise: for each
        column, its cell for each answer of the batch, encoded by ``encode`` (or, for a column
        whose every cell differs, ``encode_all`` on the whole column). A ``textual`` encoding
        starts with :func:`text`: it may be given that text instead of the cell. With ``join``,
        the columns of a group come joined into one (the CSV's fields and their separators).
        ``shared``: the small-group rule's values, when ``where`` is a slice of the export."""
        groups = self._groups(await self.pseudonyms())
        shared = shared if shared is not None else await self.shared(where)
        column = encode_all or (lambda cells: list(map(encode, cells)))
        coders = [_coder(group, encode, column, shared, textual, join) for group in groups]
        async for batch in self._batches(where):
            yield [column for coder in coders for column in coder(batch)]

    async def cells(self, where: ExportFilter) -> AsyncIterator[list[tuple[Cell, ...]]]:
        """Every matching answer, oldest first, a batch at a time, as typed cells."""
        async for columns in self.columnwise(where, _identity):
            yield list(zip(*columns, strict=True))

    async def rows(self, where: ExportFilter) -> AsyncIterator[dict[str, str]]:
        """Every matching answer, oldest first, as text cells by column name."""
        names = [column.name for column in self.columns]
        async for columns in self.columnwise(where, text, textual=True):
            for row in zip(*columns, strict=True):
                yield dict(zip(names, row, strict=True))

    async def write(
        self,
        out: IO[str],
        where: ExportFilter,
        *,
        fmt: Literal["csv", "jsonl"] = "csv",
        delimiter: str = ",",
        language: str = NAMES_LANGUAGE,
        progress: Callable[[int], object] | None = None,
        headers: bool = True,
        shared: Shared | None = None,
    ) -> int:
        """Write the CSV or JSON lines to ``out`` (open it with ``encoding="utf-8-sig",
        newline=""`` for CSV, so spreadsheets see UTF-8); returns the number of rows. The CSV's
        headers are in ``language`` (in :data:`NAMES_LANGUAGE`, the columns' names); JSON
        lines are keyed by the names. A slice of an export after the first is written without
        ``headers``, under the whole export's small-group rule (``shared``)."""
        written = 0
        names = [column.name for column in self.columns]
        if fmt == "csv":
            field = csv_cell(delimiter)
            if headers:
                t = I18n(language)(language)
                titles = [name if language == NAMES_LANGUAGE else header(column, t)
                          for name, column in zip(names, self.columns, strict=True)]  # fmt: skip
                out.write(delimiter.join(map(field, titles)) + "\r\n")
            fields = csv_fields(delimiter)
            columns_of = self.columnwise(
                where, field, textual=True, join=delimiter.join, encode_all=fields, shared=shared
            )
            async for columns in columns_of:
                out.write("\r\n".join(map(delimiter.join, zip(*columns, strict=True))) + "\r\n")
                written += len(columns[0])
                if progress is not None:
                    progress(len(columns[0]))
        else:
            async for columns in self.columnwise(where, text, textual=True, shared=shared):
                for row in zip(*columns, strict=True):
                    out.write(json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False) + "\n")
                written += len(columns[0])
                if progress is not None:
                    progress(len(columns[0]))
        return written


def _identity(cell: Cell) -> Cell:
    return cell


def _frozen(value: Any) -> Any:
    """A list value as a cache key (a tuple; the group's cells get the tuple)."""
    return tuple(value) if type(value) is list else value


def _coder(
    group: _Group,
    encode: Callable[[Cell], U],
    encode_all: Callable[[list[Cell]], list[U]],
    shared: Shared,
    textual: bool,
    join: Callable[[tuple[U, ...]], U] | None,
) -> Callable[[list[Any]], list[Sequence[U]]]:
    """For each of the group's columns (or, with ``join``, for the group), its encoded cells
    for each answer of a batch. A cached group computes them once per distinct value (and
    guards' verdicts), kept in a bounded LRU cache: memory stays flat."""
    read, cells, guards, width = group.read, group.cells, group.guards, len(group.columns)

    def compute(value: Any, *verdicts: bool) -> tuple[U, ...]:
        encoded = tuple(map(encode, cells(value, *verdicts)))
        return (join(encoded),) if join is not None else encoded

    def verdicts(batch: list[Any]) -> list[Iterator[bool]]:
        """For each guard, whether each answer's value is shared widely enough to be given."""
        return [map(shared[guard].__contains__, map(attrgetter(guard), batch)) for guard in guards]

    def split(encoded: Iterator[tuple[U, ...]]) -> list[Sequence[U]]:
        if join is not None:
            return [list(map(itemgetter(0), encoded))]
        return list(zip(*encoded, strict=True)) or [() for _ in range(width)]

    if group.cached == 0:
        if group.cell is not None:
            one = group.text if textual and group.text is not None else group.cell
            return lambda batch: [encode_all(list(map(one, map(read, batch))))]
        return lambda batch: split(map(compute, map(read, batch), *verdicts(batch)))

    lookup: Callable[[list[Any], list[Any]], list[Sequence[U]]]
    if group.cell is not None:  # one column: its encoded cell is cached, not a tuple of one
        one = group.cell
        cached_one = lru_cache(maxsize=group.cached)(lambda value: encode(one(value)))
        lookup = lambda values, _: [list(map(cached_one, values))]  # noqa: E731
    else:
        cached = lru_cache(maxsize=group.cached)(compute)
        lookup = lambda values, batch: split(map(cached, values, *verdicts(batch)))  # noqa: E731
    freeze = False

    def coder(batch: list[Any]) -> list[Sequence[U]]:
        nonlocal freeze
        values = list(map(_frozen, map(read, batch)) if freeze else map(read, batch))
        try:
            return lookup(values, batch)
        except TypeError:  # a list (a ranking): from now on looked up as a tuple
            if freeze:
                raise
            freeze = True
            return coder(batch)

    return coder

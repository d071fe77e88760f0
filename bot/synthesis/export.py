"""The export of confirmed answers, one row each, for the synthesis team's spreadsheet.

Pseudonymous: no Telegram id, username or name leaves the database. A respondent is a keyed
hash of the resident, with a secret generated on first use and kept in the database, so one
resident keeps the same pseudonym from one export to the next. Rows are streamed: memory stays
flat whatever the number of answers.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Literal, TypeVar

from sqlalchemy import Select, func, literal, select

from bot.clock import PARIS
from bot.content import Content
from bot.dialogs.question import Column, Question, Reader
from bot.dialogs.questions import QUESTIONS
from bot.i18n import I18n
from bot.places import Places, load_places
from bot.storage import Answer, Database
from bot.storage.repositories import secret

SMALL_GROUP = 5
"""Groups with fewer respondents than this are never shown: in the statistics their figures
read « < 5 », and the export leaves out a commune fewer than this share."""
PSEUDONYM_KEY = "pseudonym-key"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Format = Literal["csv", "jsonl"]
SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


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
        self._key = key.encode()

    def of(self, resident_id: int | None) -> str:
        if resident_id is None:
            return ""  # the resident asked to be forgotten: the answer is anonymous
        digest = hmac.new(self._key, f"resident:{resident_id}".encode(), hashlib.sha256).hexdigest()
        return f"R-{digest[:16]}"


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would read as a formula is kept as text (a leading apostrophe)."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def respondent() -> Any:
    """One respondent per resident, forgotten or not (an answer unlinked before forgotten
    residents kept a respondent number counts as its own)."""
    return func.coalesce(Answer.resident_id, Answer.respondent, literal(0) - Answer.id)


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
        self._reader = Reader(I18n("fr")("fr"), content, places or load_places())

    def _columns(self) -> list[tuple[Question, Column]]:
        return [(q, column) for q in self.questions for column in q.columns(self._reader)]

    @property
    def columns(self) -> list[str]:
        """The export's columns, in order (documented in the README)."""
        asked = [column.name for _, column in self._columns()]
        return [
            "respondent", "submitted_at", "language", "source", "paradox_id", "paradox_title",
            *asked, "consent_version",
        ]  # fmt: skip

    async def pseudonyms(self) -> Pseudonyms:
        async with self.database.transaction() as repos:
            key = await secret(repos.session, PSEUDONYM_KEY, lambda: secrets.token_hex(32))
        return Pseudonyms(key)

    async def count(self, where: ExportFilter) -> int:
        async with self.database.session() as session:
            query = where.apply(select(func.count()).select_from(Answer))
            return int((await session.execute(query)).scalar_one())

    async def _shared(self, where: ExportFilter) -> dict[str, set[object]]:
        """For each guarded answer column, the values at least SMALL_GROUP respondents share."""
        shared: dict[str, set[object]] = {}
        async with self.database.session() as session:
            for guard in {column.guard for _, column in self._columns() if column.guard}:
                field = getattr(Answer, guard)
                query = where.apply(select(field).group_by(field))
                query = query.having(func.count(func.distinct(respondent())) >= SMALL_GROUP)
                shared[guard] = set((await session.scalars(query)).all())
        return shared

    async def rows(self, where: ExportFilter) -> AsyncIterator[dict[str, str]]:
        """Every matching answer as export cells, oldest first, streamed from the database."""
        pseudonyms = await self.pseudonyms()
        shared = await self._shared(where)
        query = where.apply(select(Answer.__table__).order_by(Answer.submitted_at, Answer.id))
        async with self.database.session() as session:
            result = await session.stream(query.execution_options(yield_per=5000))
            async for row in result:
                yield self._row(row, pseudonyms, shared)

    def _row(self, answer: Any, pseudonyms: Pseudonyms, shared: dict[str, set[object]]) -> dict[str, str]:
        paradox = self.content.paradox(answer.paradox_id)
        asked: dict[str, str] = {}
        for question, column in self._columns():
            guarded = column.guard is not None and getattr(answer, column.guard) not in shared[column.guard]
            value = question.restored(answer)
            cell = None if guarded or value is None else column.cell(self._reader, value)
            asked[column.name] = "" if cell is None else str(cell)
        row = {
            "respondent": pseudonyms.of(answer.resident_id),
            "submitted_at": answer.submitted_at.astimezone(PARIS).isoformat(timespec="seconds"),
            "language": answer.language,
            "source": answer.source or "",
            "paradox_id": answer.paradox_id,
            "paradox_title": paradox.title if paradox else "",
            **asked,
            "consent_version": answer.consent_version,
        }
        return {column: neutralise(cell) for column, cell in row.items()}

    async def write(
        self,
        out: IO[str],
        where: ExportFilter,
        *,
        fmt: Format = "csv",
        delimiter: str = ",",
        progress: Callable[[int], object] | None = None,
    ) -> int:
        """Write the export to ``out`` (open it with ``encoding="utf-8-sig", newline=""`` for
        CSV, so spreadsheets see UTF-8); returns the number of rows."""
        written = 0
        writer: csv.DictWriter[str] | None = None
        if fmt == "csv":
            writer = csv.DictWriter(out, self.columns, delimiter=delimiter, lineterminator="\r\n")
            writer.writeheader()
        async for row in self.rows(where):
            if writer is not None:
                writer.writerow(row)
            else:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            written += 1
            if progress is not None and written % 1000 == 0:
                progress(1000)
        if progress is not None:
            progress(written % 1000)
        return written

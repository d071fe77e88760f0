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
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Literal, NamedTuple, TypeVar

from sqlalchemy import Select, func, select

from bot.clock import PARIS
from bot.content import Content
from bot.personas import NO_PERSONA
from bot.storage import Answer, Database
from bot.storage.repositories import secret

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


class Exported(NamedTuple):
    """The stored fields of an answer that the export reads."""

    resident_id: int | None
    submitted_at: datetime
    language: str
    source: str | None
    paradox_id: str
    persona_id: str
    wish: str
    ranking: str
    consent_version: str


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


class Exporter:
    def __init__(self, database: Database, content: Content) -> None:
        self.database = database
        self.content = content

    @property
    def columns(self) -> list[str]:
        """The export's columns, in order (documented in the README)."""
        ranks = [f"rank_{value.id}" for value in self.content.values]
        return [
            "respondent", "submitted_at", "language", "source", "paradox_id", "paradox_title",
            "persona_id", "persona_name", "wish", *ranks, "ranking", "consent_version",
        ]  # fmt: skip

    async def pseudonyms(self) -> Pseudonyms:
        async with self.database.transaction() as repos:
            key = await secret(repos.session, PSEUDONYM_KEY, lambda: secrets.token_hex(32))
        return Pseudonyms(key)

    async def count(self, where: ExportFilter) -> int:
        async with self.database.session() as session:
            query = where.apply(select(func.count()).select_from(Answer))
            return int((await session.execute(query)).scalar_one())

    async def rows(self, where: ExportFilter) -> AsyncIterator[dict[str, str]]:
        """Every matching answer as export cells, oldest first, streamed from the database."""
        pseudonyms = await self.pseudonyms()
        columns = [getattr(Answer, field) for field in Exported._fields]
        query = where.apply(select(*columns).order_by(Answer.submitted_at, Answer.id))
        async with self.database.session() as session:
            result = await session.stream(query.execution_options(yield_per=5000))
            async for row in result:
                yield self._row(Exported(*row), pseudonyms)

    def _row(self, answer: Exported, pseudonyms: Pseudonyms) -> dict[str, str]:
        content = self.content
        paradox = content.paradox(answer.paradox_id)
        persona = content.persona(answer.persona_id)
        order = answer.ranking.split(",")
        names = [(v.name if (v := content.value(value)) else value) for value in order]
        ranks = {
            f"rank_{value.id}": str(order.index(value.id) + 1) if value.id in order else ""
            for value in content.values
        }
        persona_name = persona.name if persona else ("Aucun" if answer.persona_id == NO_PERSONA else "")
        row = {
            "respondent": pseudonyms.of(answer.resident_id),
            "submitted_at": answer.submitted_at.astimezone(PARIS).isoformat(timespec="seconds"),
            "language": answer.language,
            "source": answer.source or "",
            "paradox_id": answer.paradox_id,
            "paradox_title": paradox.title if paradox else "",
            "persona_id": answer.persona_id,
            "persona_name": persona_name,
            "wish": answer.wish,
            **ranks,
            "ranking": " > ".join(names),
            "consent_version": answer.consent_version,
        }  # fmt: skip
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

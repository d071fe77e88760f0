"""The export of the residents' votes on each other's shared wishes, one row per vote: CSV or
JSON lines (``fabrique-bot export votes.csv --table votes``), and the workbook's « Votes » sheet.

Pseudonymous as the answers' export (``bot.synthesis.export``): the voter is the same keyed
hash of the resident as the answers' respondent, so an analyst can put a resident's answers
next to their votes, and never a Telegram id. A vote unlinked from its resident (the retention
purge) has an empty respondent: the random number it keeps for the statistics never leaves the
database. A vote names the shared wish by its number and its paradox, never its author; the
wish's text is given as residents saw it, while it is still published.

:func:`write_votes` is the one call another command needs (``package``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Callable
from functools import lru_cache
from typing import IO, TYPE_CHECKING, Any, Literal

from sqlalchemy import Select, case, func, select

from bot.dialogs.question import Column
from bot.i18n import N_, I18n, Translator
from bot.storage import Database
from bot.storage.deliberation import AGREE, APPROVED, DISAGREE, PASS
from bot.storage.models import SharedWish, Vote
from bot.storage.repositories import secret
from bot.synthesis.export import (
    BATCH,
    NAMES_LANGUAGE,
    PSEUDONYM_KEY,
    PSEUDONYMS_CACHED,
    RESPONDENT,
    Cell,
    ExportFilter,
    Moments,
    Pseudonyms,
    csv_cell,
    header,
    text,
)

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

    from bot.synthesis.workbook import _Sheets

SHEET = N_("Votes")
"""The workbook's sheet of votes (after « Réponses »), once someone has voted."""
NOTE = N_(
    "Dès que des habitants ont donné leur avis sur les souhaits partagés : un avis par ligne, ce "
    "qu’un résident a pensé du souhait d’un autre, avec le même pseudonyme que ses réponses, aux "
    "mêmes dates et pour le même paradoxe que les réponses exportées. L’auteur du souhait n’est "
    "jamais donné."
)
"""What the sheet holds, in the workbook's « Lisez-moi »."""
VOTES = {AGREE: "agree", DISAGREE: "disagree", PASS: "pass"}
"""Each stored vote as the export writes it, in every language (a script reads it as it is)."""


def _same(_: Any, value: Any) -> Any:
    return value


VOTED_AT = Column(
    "voted_at",
    _same,
    header=N_("Date de l’avis"),
    description=N_(
        "Quand le résident a donné cet avis (ou l’a changé pour la dernière fois), à l’heure de Paris."
    ),
)
WISH_ID = Column(
    "wish_id",
    _same,
    header=N_("Souhait partagé"),
    description=N_(
        "Le numéro du souhait partagé sur lequel porte l’avis, le même d’une ligne et d’un export à "
        "l’autre ; jamais son auteur."
    ),
)
WISH_PARADOX = Column(
    "paradox_id",
    _same,
    header=N_("Paradoxe"),
    description=N_("Le paradoxe auquel répond le souhait (son identifiant, voir plus bas)."),
)
WISH = Column(
    "wish",
    _same,
    header=N_("Souhait"),
    description=N_(
        "Le souhait tel que les habitants l’ont lu ; vide s’il n’est plus proposé (son auteur a "
        "changé sa réponse, ne le partage plus ou a demandé à être oublié)."
    ),
    free_text=True,
)
VOTE = Column(
    "vote",
    _same,
    header=N_("Avis donné"),
    description=N_("agree (d’accord), disagree (pas d’accord) ou pass (je ne sais pas)."),
)
COLUMNS = (RESPONDENT, VOTED_AT, WISH_ID, WISH_PARADOX, WISH, VOTE)
"""The columns of the votes' export, in order (documented in the workbook's « Lisez-moi »)."""
EVERY = ExportFilter()
"""Every vote, whenever given, on any paradox's wishes."""
WIDTHS = (20, 20, 10, 10, 60, 10)
"""Each column's width in the sheet, in characters."""


class VoteExporter:
    """Every vote, oldest first (by when it was last given), :data:`BATCH` at a time."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    def _filtered(query: Select[Any], where: ExportFilter) -> Select[Any]:
        """Votes given in ``[since, until)``, on wishes of one paradox or all."""
        query = query.join(SharedWish, SharedWish.id == Vote.wish_id)
        if where.since is not None:
            query = query.where(Vote.voted_at >= where.since)
        if where.until is not None:
            query = query.where(Vote.voted_at < where.until)
        if where.paradox is not None:
            query = query.where(SharedWish.paradox_id == where.paradox)
        return query

    async def count(self, where: ExportFilter = EVERY) -> int:
        async with self.database.reading() as session:
            query = self._filtered(select(func.count()).select_from(Vote), where)
            return int((await session.execute(query)).scalar_one())

    async def _pseudonyms(self) -> Pseudonyms:
        """The answers' export's pseudonyms (the same key, created on first use)."""
        async with self.database.transaction() as repos:
            key = await secret(repos.session, PSEUDONYM_KEY, lambda: secrets.token_hex(32))
        return Pseudonyms(key)

    async def cells(self, where: ExportFilter = EVERY) -> AsyncIterator[list[tuple[Cell, ...]]]:
        """The votes as typed cells (:data:`COLUMNS`), a batch at a time; the moment in Paris time."""
        pseudonym = lru_cache(maxsize=PSEUDONYMS_CACHED)((await self._pseudonyms()).of)  # one HMAC a voter
        moments = Moments()
        published = case((SharedWish.state == APPROVED, SharedWish.text), else_=None)
        query = self._filtered(
            select(
                Vote.resident_id, Vote.voted_at, Vote.wish_id, SharedWish.paradox_id, published, Vote.value
            ),
            where,
        ).order_by(Vote.voted_at, Vote.id)
        async with self.database.reader.connect() as connection:
            result = await connection.stream(query.execution_options(yield_per=BATCH))
            async for partition in result.partitions():
                yield [
                    (pseudonym(resident), moments.paris(moment), wish, paradox, shown, VOTES[value])
                    for resident, moment, wish, paradox, shown, value in partition
                ]

    async def write(
        self,
        out: IO[str],
        where: ExportFilter = EVERY,
        *,
        fmt: Literal["csv", "jsonl"] = "csv",
        delimiter: str = ",",
        language: str = NAMES_LANGUAGE,
        progress: Callable[[int], object] | None = None,
    ) -> int:
        """As ``Exporter.write`` does for the answers: the CSV (headers in ``language``, the
        columns' names in :data:`NAMES_LANGUAGE`) or JSON lines; returns the number of votes."""
        names = [column.name for column in COLUMNS]
        if fmt == "csv":
            field = csv_cell(delimiter)
            t = I18n(language)(language)
            headers = [
                name if language == NAMES_LANGUAGE else header(c, t)
                for name, c in zip(names, COLUMNS, strict=True)
            ]
            out.write(delimiter.join(map(field, headers)) + "\r\n")
        written = 0
        async for batch in self.cells(where):
            if fmt == "csv":
                out.write("".join(delimiter.join(map(field, row)) + "\r\n" for row in batch))
            else:
                for row in batch:
                    out.write(
                        json.dumps(dict(zip(names, map(text, row), strict=True)), ensure_ascii=False) + "\n"
                    )
            written += len(batch)
            if progress is not None:
                progress(len(batch))
        return written


async def write_votes(
    out: IO[str],
    database: Database,
    where: ExportFilter = EVERY,
    *,
    fmt: Literal["csv", "jsonl"] = "csv",
    delimiter: str = ",",
    language: str = NAMES_LANGUAGE,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Write every vote to ``out`` as CSV (open it with ``encoding="utf-8-sig", newline=""``)
    or JSON lines; returns the number of votes."""
    return await VoteExporter(database).write(
        out, where, fmt=fmt, delimiter=delimiter, language=language, progress=progress
    )


async def votes_sheet(sheets: _Sheets, database: Database, where: ExportFilter, t: Translator) -> int:
    """The workbook's « Votes » sheet (and more, past Excel's row limit), headers in ``t``'s
    language, every text written as text; none while nobody has voted (like the figures of the
    votes). Returns the number of votes."""
    from bot.synthesis.workbook import SHEET_ROWS  # the workbook imports this module

    headers = [header(column, t) for column in COLUMNS]
    styles = [sheets.wrapped if column.free_text else None for column in COLUMNS]

    def start(name: str) -> Worksheet:
        sheet = sheets.add(name)
        for col, (title, width) in enumerate(zip(headers, WIDTHS, strict=True)):
            sheets.cell(sheet, 0, col, title, sheets.heading)
            sheet.set_column(col, col, max(width, len(title) + 2), styles[col])
        sheet.freeze_panes(1, 0)
        sheet.set_row(0, None, sheets.heading)
        return sheet

    def finish(sheet: Worksheet, rows: int) -> None:
        sheet.autofilter(0, 0, max(rows, 1), len(COLUMNS) - 1)

    sheet: Worksheet | None = None
    row = count = number = 0
    async for batch in VoteExporter(database).cells(where):
        for vote in batch:
            if sheet is None or row == SHEET_ROWS - 1:
                if sheet is not None:
                    finish(sheet, row)
                number += 1
                sheet, row = start(t._(SHEET) if number == 1 else f"{t._(SHEET)} ({number})"), 0
            row += 1
            for col, cell in enumerate(vote):
                sheets.cell(sheet, row, col, cell, styles[col])
        count += len(batch)
    if sheet is not None:
        finish(sheet, row)
    return count

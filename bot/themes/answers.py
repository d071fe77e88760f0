"""The themes of the confirmed answers in the bot's database, and their file for staff."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO

from sqlalchemy import select

from bot.content import Content
from bot.storage import Answer, Database
from bot.synthesis.export import ExportFilter, neutralise, respondent
from bot.themes.codebook import Codebook
from bot.themes.corrections import Corrections
from bot.themes.model import Embedder
from bot.themes.reading import THRESHOLD
from bot.themes.summary import Record, Themes, theme_records

COLUMNS = (
    "wish_key", "paradox_id", "persona_id", "theme", "theme_label", "confidence",
    "theme_2", "theme_2_label", "confidence_2", "corrected", "nearest_theme", "wish",
)  # fmt: skip
"""The columns of ``fabrique-bot themes --output``: one row per wish, in the export's order.
``wish_key``, ``theme`` and ``theme_2`` are those of the corrections file."""


async def read_records(database: Database, where: ExportFilter | None = None) -> list[Record]:
    """Every matching confirmed answer as a record, oldest first (the export's order)."""
    query = (where or ExportFilter()).apply(
        select(
            Answer.wish, Answer.paradox_id, Answer.persona_id, Answer.territory, respondent().label("who")
        ).order_by(Answer.submitted_at, Answer.id)
    )
    async with database.reading() as session:
        rows = (await session.execute(query)).all()
    return [Record(row.wish, row.paradox_id, row.persona_id, row.territory, row.who) for row in rows]


async def theme_answers(
    database: Database,
    content: Content,
    codebook: Codebook,
    corrections: Corrections | None = None,
    embedder: Embedder | None = None,
    *,
    where: ExportFilter | None = None,
    threshold: float = THRESHOLD,
) -> Themes:
    """The themes of the confirmed answers (all, or those ``where`` selects).

    ``content`` is the consultation's content: answers keep the paradox and persona ids they
    were given, shown with the content's names by :func:`bot.themes.tables.tables`.
    """
    records = await read_records(database, where)
    return theme_records(records, codebook, corrections, embedder, threshold=threshold)


def rows(themes: Themes) -> Iterator[dict[str, str]]:
    """One row per wish: its key, themes and confidences (spreadsheet-safe cells)."""

    def label(theme_id: str) -> str:
        theme = themes.codebook.theme(theme_id)
        return theme.label if theme else ""

    for record, assignment in zip(themes.records, themes.assignments, strict=True):
        first = assignment.theme
        confidence = assignment.confidences[0] if assignment.themes else assignment.nearest_confidence
        second = assignment.themes[1] if len(assignment.themes) > 1 else ""
        row = {
            "wish_key": assignment.key,
            "paradox_id": record.paradox,
            "persona_id": record.persona,
            "theme": first,
            "theme_label": label(first) or "à classer",
            "confidence": f"{confidence:.2f}",
            "theme_2": second,
            "theme_2_label": label(second),
            "confidence_2": f"{assignment.confidences[1]:.2f}" if second else "",
            "corrected": "yes" if assignment.corrected else "",
            "nearest_theme": assignment.nearest,
            "wish": record.text,
        }
        yield {column: neutralise(cell) for column, cell in row.items()}


def write(themes: Themes, out: IO[str], delimiter: str = ",") -> int:
    """Write :func:`rows` as CSV (open ``out`` with ``encoding="utf-8-sig", newline=""``)."""
    writer = csv.DictWriter(out, COLUMNS, delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    written = 0
    for row in rows(themes):
        writer.writerow(row)
        written += 1
    return written

"""Export and statistics for staff in the chat.

The heavy work (streaming every answer, drawing charts) runs in a worker thread with its own
database connection, so residents' replies are not held up while staff export.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.clock import PARIS, Clock
from bot.content import Content
from bot.dialogs.screen import Screen, h
from bot.i18n import I18n, Translator
from bot.services.replies import Attachment, Reply
from bot.storage import Database
from bot.synthesis.charts import charts
from bot.synthesis.export import Exporter, ExportFilter
from bot.synthesis.stats import as_text, compute, tables

TELEGRAM_UPLOAD_LIMIT = 50 * 1024 * 1024
MESSAGE_LIMIT = 3800
T = TypeVar("T")


def _in_worker(database_url: str, work: Callable[[Database], Awaitable[T]]) -> Awaitable[T]:
    """Run ``work`` in a thread, on a database engine of its own."""

    async def run() -> T:
        database = Database(database_url)
        try:
            return await work(database)
        finally:
            await database.close()

    return asyncio.to_thread(asyncio.run, run())


def monospace(text: str) -> list[str]:
    """Text as ``<pre>`` blocks that each fit in one Telegram message."""
    blocks: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if current and sum(len(h(x)) + 1 for x in current) + len(h(line)) > MESSAGE_LIMIT:
            blocks.append("\n".join(current))
            current = []
        current.append(line)
    blocks.append("\n".join(current))
    return [f"<pre>{h(block)}</pre>" for block in blocks if block]


class SynthesisService:
    def __init__(self, database_url: str, content: Content, i18n: I18n, clock: Clock) -> None:
        self.database_url = database_url
        self.content = content
        self.i18n = i18n
        self.clock = clock

    async def export(self, t: Translator, paradox: str | None) -> Reply:
        """``/export [paradox]``: the CSV as a document, with ``;`` for French spreadsheets."""
        if paradox is not None and self.content.paradox(paradox) is None:
            known = ", ".join(p.id for p in self.content.paradoxes)
            text = t._("Paradoxe inconnu : {id}. Paradoxes : {known}.", id=h(paradox), known=known)
            return Reply(send=[Screen(text)])

        async def work(database: Database) -> tuple[int, int, bytes]:
            """Export to a temporary file; read it back only if Telegram can take it."""
            with tempfile.TemporaryFile() as raw:
                out = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                exporter = Exporter(database, self.content)
                count = await exporter.write(out, ExportFilter(paradox=paradox), delimiter=";")
                out.flush()
                out.detach()
                size = raw.tell()
                raw.seek(0)
                return count, size, raw.read() if size <= TELEGRAM_UPLOAD_LIMIT else b""

        count, size, data = await _in_worker(self.database_url, work)
        if size > TELEGRAM_UPLOAD_LIMIT:
            text = t._(
                "L’export fait {size} Mo, plus que Telegram n’accepte : lancez "
                "« fabrique-bot export » sur le serveur.",
                size=t.number(size // 1_000_000),
            )
            return Reply(send=[Screen(text)])
        stamp = self.clock.now().astimezone(PARIS).strftime("%Y%m%d-%H%M")
        name = f"fabrique-answers-{paradox or 'all'}-{stamp}.csv"
        caption = t.ngettext("{n} réponse confirmée.", "{n} réponses confirmées.", count)
        return Reply(files=[Attachment("document", name, data, caption)])

    async def stats(self, t: Translator) -> Reply:
        """``/stats``: the figures as monospace tables, then the charts."""

        async def work(database: Database) -> tuple[list[str], list[tuple[str, bytes]]]:
            stats = await compute(database, self.content)
            rendered = [as_text(table) for table in tables(stats, self.content, t)]
            texts = [block for text in rendered for block in monospace(text)]
            return texts, charts(stats, self.content, t)

        texts, images = await _in_worker(self.database_url, work)
        return Reply(
            send=[Screen(text) for text in texts],
            files=[Attachment("photo", name, image) for name, image in images],
        )

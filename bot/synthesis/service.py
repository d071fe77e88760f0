"""Export and statistics for staff in the chat.

The heavy work (streaming every answer, drawing charts) runs in a worker thread with its own
database connection, so residents' replies are not held up while staff export.

The themes of the wishes come from the vectors the server's runs of ``fabrique-bot themes``
(or ``report --themes``, ``package``) keep: the model reads at most a hundred new wishes here
(:func:`bot.themes.synthesis.chat_themes`), so ``/stats`` and ``/export`` never make staff wait
minutes; with more, the report and the workbook say to run ``fabrique-bot themes`` on the server.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.clock import PARIS, Clock
from bot.config import Settings
from bot.content import Content
from bot.dialogs.screen import Screen, h
from bot.i18n import I18n, Translator
from bot.services.replies import Attachment, Reply
from bot.storage import Database
from bot.synthesis.export import Exporter, ExportFilter
from bot.synthesis.report import Report, build_report
from bot.synthesis.summary import summary
from bot.synthesis.workbook import write_workbook
from bot.themes.synthesis import ThemesOrNot, chat_themes

TELEGRAM_UPLOAD_LIMIT = 50 * 1024 * 1024
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


class SynthesisService:
    def __init__(
        self, database_url: str, content: Content, i18n: I18n, clock: Clock, settings: Settings | None = None
    ) -> None:
        self.database_url = database_url
        self.content = content
        self.i18n = i18n
        self.clock = clock
        self.settings = settings
        """Where the themes' codebook, corrections and vectors are (None: no themes)."""

    async def _themes(
        self, database: Database, command: str, where: ExportFilter | None = None
    ) -> ThemesOrNot | None:
        if self.settings is None:
            return None
        return await chat_themes(database, self.content, self.settings, command, where)

    async def export(self, t: Translator, paradox: str | None) -> Reply:
        """``/export [paradox]``: the workbook as a document, in the staff member's language."""
        if paradox is not None and self.content.paradox(paradox) is None:
            known = ", ".join(p.id for p in self.content.paradoxes)
            text = t._("Paradoxe inconnu : {id}. Paradoxes : {known}.", id=h(paradox), known=known)
            return Reply(send=[Screen(text)])
        now = self.clock.now()

        async def work(database: Database) -> tuple[int, int, bytes]:
            """Export to a temporary file; read it back only if Telegram can take it."""
            with tempfile.TemporaryFile() as out:
                exporter = Exporter(database, self.content)
                where = ExportFilter(paradox=paradox)
                themes = await self._themes(database, "/export", where)
                count = await write_workbook(out, exporter, where, t, now, themes=themes)
                size = out.tell()
                out.seek(0)
                return count, size, out.read() if size <= TELEGRAM_UPLOAD_LIMIT else b""

        count, size, data = await _in_worker(self.database_url, work)
        if size > TELEGRAM_UPLOAD_LIMIT:
            text = t._(
                "L’export fait {size} Mo, plus que Telegram n’accepte : lancez "
                "« fabrique-bot export » sur le serveur.",
                size=t.number(size // 1_000_000),
            )
            return Reply(send=[Screen(text)])
        stamp = now.astimezone(PARIS).strftime("%Y%m%d-%H%M")
        name = f"fabrique-answers-{paradox or 'all'}-{stamp}.xlsx"
        caption = t.ngettext("{n} réponse confirmée.", "{n} réponses confirmées.", count)
        return Reply(files=[Attachment("document", name, data, caption)])

    async def stats(self, t: Translator) -> Reply:
        """``/stats``: one short message of headline figures that fits a phone, the charts with
        captions saying what to read in them, then the full report as an HTML file."""
        now = self.clock.now()

        async def work(database: Database) -> tuple[str, Report]:
            themes = await self._themes(database, "/stats")
            report = await build_report(database, self.content, t, now, themes)
            return summary(report.stats, self.content, t, now), report

        text, report = await _in_worker(self.database_url, work)
        stamp = now.astimezone(PARIS).strftime("%Y%m%d-%H%M")
        caption = t._("Le rapport complet, à ouvrir dans un navigateur, à imprimer ou à partager.")
        return Reply(
            send=[Screen(text)],
            files=[
                *(Attachment("photo", chart.name, chart.png, chart.caption) for chart in report.charts),
                Attachment("document", f"fabrique-report-{stamp}.html", report.html.encode("utf-8"), caption),
            ],
        )

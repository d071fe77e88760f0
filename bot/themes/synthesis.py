"""The themes in the synthesis: a section of the report, columns and a sheet of the workbook,
files of the package — computed when asked for, or left out with a line saying how to get them.

Reading 10,000 wishes with the model takes about a minute of both cores, so the themes are
computed only when the operator asks (``--themes``; ``fabrique-bot package`` asks by default when the extra is
installed), and the wishes' vectors are kept in ``DATA_DIR/themes-vectors.npz``
(:data:`CACHE_NAME`): a later run reads only the wishes it has not seen.

In the chat, ``/stats`` and ``/export`` read the themes from that file and never make staff wait
for the model: they read at most :data:`CHAT_NEW_WISHES` new wishes (a few seconds, in the
synthesis' worker thread), and when there are more, or when the themes were never computed on
the server, they leave the themes out with a line saying to run ``fabrique-bot themes`` there.

Every computation over every confirmed answer (``fabrique-bot themes``, ``report --themes``,
``export --themes`` without a filter, ``package``; ``/stats`` and an ``/export`` of every
paradox in the chat) keeps each theme's wishes and respondents in the database
(:func:`keep_counts`), where ``/resultats`` reads the most frequent themes without the model.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from bot.config import Settings
from bot.content import Content
from bot.errors import OperatorError
from bot.i18n import Translator
from bot.storage import Database
from bot.storage.theme_counts import ThemeTally
from bot.synthesis.export import ExportFilter
from bot.themes.answers import read_records
from bot.themes.codebook import Codebook, codebook_path, load_codebook
from bot.themes.corrections import Corrections, load_corrections
from bot.themes.model import CachedEmbedder, Embedder, MissingExtra, Vectors, require_extra
from bot.themes.reading import THRESHOLD, ThemeReader
from bot.themes.summary import Themes, theme_records

CACHE_NAME = "themes-vectors.npz"
"""The wishes' vectors, in ``DATA_DIR``: what every theming run reads first and adds to."""
CORRECTIONS_NAME = "themes-corrections.csv"
"""Staff corrections, in ``DATA_DIR``, read when the file is there."""
CHAT_NEW_WISHES = 500
"""Wishes the chat reads with the model at most (a few seconds); with more, it leaves the themes
out and asks for ``fabrique-bot themes`` on the server."""

log = logging.getLogger(__name__)


class Why(Enum):
    """Why the themes were left out."""

    NOT_ASKED = "not asked"
    NO_EXTRA = "themes extra not installed"
    NOT_READ = "wishes not read yet"
    BROKEN = "codebook or corrections file refused"


@dataclass(frozen=True)
class Unthemed:
    """Themes that were not computed, and why: what the report and the workbook say instead."""

    why: Why
    new: int = 0
    """With :attr:`Why.NOT_READ`: the wishes the model has not read yet (0: never run)."""
    detail: str = ""
    """With :attr:`Why.BROKEN`: the one-line error naming the file and the field."""
    command: str = ""
    """In the chat, the command to send again once the themes are computed (``/stats``)."""

    def line(self, t: Translator) -> str:
        """One sentence in the reader's language: the themes were not computed, and how to get them."""
        if self.why is Why.NO_EXTRA:
            return t._(
                "Thèmes des souhaits non calculés : le modèle qui lit les souhaits n’est pas installé. "
                "Installez-le (pip install 'fabrique-bot[themes]') puis relancez la commande avec "
                "--themes."
            )
        if self.why is Why.BROKEN:
            return t._(
                "Thèmes des souhaits non calculés : {problem}. Corrigez le fichier puis relancez.",
                problem=self.detail,
            )
        if self.why is Why.NOT_READ and self.new:
            return t._(
                "Thèmes des souhaits non calculés : {n} souhaits n’ont pas encore été lus par le "
                "modèle. Lancez « fabrique-bot themes » sur le serveur (quelques minutes), puis de "
                "nouveau {command}.",
                n=t.number(self.new),
                command=self.command,
            )
        if self.why is Why.NOT_READ:
            return t._(
                "Thèmes des souhaits non calculés : ils n’ont encore jamais été calculés sur le "
                "serveur. Lancez « fabrique-bot themes » (quelques minutes), puis de nouveau {command}.",
                command=self.command,
            )
        return t._(
            "Thèmes des souhaits non calculés : relancez la commande avec --themes (il faut "
            "l’extension « themes » : pip install 'fabrique-bot[themes]'), ou lancez "
            "« fabrique-bot package »."
        )


ThemesOrNot = Themes | Unthemed
"""What the report and the workbook are given: the themes, or why they are not there."""


@dataclass(frozen=True)
class ThemeRequest:
    """What the themes are computed with: the codebook and corrections (read and checked when
    the request is made), the threshold, the vectors' file, and how many wishes the model may
    read (None: all of them)."""

    codebook: Codebook
    codebook_file: Path
    corrections: Corrections | None
    threshold: float = THRESHOLD
    cache: Path | None = None
    most_new: int | None = None
    command: str = ""
    """In the chat, the command that asked (``/stats``), for the line saying how to get the themes."""

    @property
    def corrections_file(self) -> Path | None:
        return self.corrections.source if self.corrections is not None else None


def theme_request(
    settings: Settings,
    *,
    codebook: Path | None = None,
    corrections: Path | None = None,
    threshold: float = THRESHOLD,
    cache: Path | None = None,
    most_new: int | None = None,
    command: str = "",
) -> ThemeRequest:
    """The request for ``settings``: the codebook given, or ``CONTENT_DIR/themes.yaml``, or the
    shipped one; the corrections given, or ``DATA_DIR/themes-corrections.csv`` if there is one;
    the vectors in ``cache`` or ``DATA_DIR/themes-vectors.npz``. A broken file raises a one-line
    :class:`~bot.errors.ContentError`."""
    book_file = codebook_path(settings.content_dir, codebook)
    book = load_codebook(settings.content_dir, codebook)
    fixes = corrections or settings.data_dir / CORRECTIONS_NAME
    read = load_corrections(fixes, book) if corrections is not None or fixes.is_file() else None
    return ThemeRequest(
        book, book_file, read, threshold, cache or settings.data_dir / CACHE_NAME, most_new, command
    )


class _TooManyNew(Exception):
    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


class _Budgeted:
    """The model, allowed to read at most ``most`` more texts (None: any number); it is only
    asked for texts the vectors' file does not hold."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder, self.read = embedder, 0
        self.most: int | None = None
        self.name = embedder.name

    def embed(self, texts: Sequence[str]) -> Vectors:
        if self.most is not None and self.read + len(texts) > self.most:
            raise _TooManyNew(len(texts))
        self.read += len(texts)
        return self.embedder.embed(texts)


async def compute_themes(
    database: Database,
    content: Content,
    request: ThemeRequest | None,
    where: ExportFilter | None = None,
    embedder: Embedder | None = None,
) -> ThemesOrNot:
    """The themes of the confirmed answers (those ``where`` selects), or why they are left out:
    not asked for (no ``request``), the extra not installed, or more new wishes than the request
    lets the model read. ``embedder`` defaults to the shipped model, its vectors kept in the
    request's file (a test may give another). Themes of every confirmed answer are kept for
    ``/resultats`` (:func:`keep_counts`)."""
    if request is None:
        return Unthemed(Why.NOT_ASKED)
    if embedder is None:
        try:
            require_extra()
        except MissingExtra:
            return Unthemed(Why.NO_EXTRA)
        from bot.themes.model import E5Embedder

        embedder = E5Embedder()
    cache: CachedEmbedder | None = None
    if request.cache is not None:
        if request.most_new is not None and not request.cache.is_file():
            return Unthemed(Why.NOT_READ, command=request.command)  # never computed: not here
        model = _Budgeted(embedder)
        cache = CachedEmbedder.opened(model, request.cache)
        embedder = cache
        if request.most_new is not None:
            ThemeReader(request.codebook, cache)  # the codebook is read in any case: staff edit it
            model.most = request.most_new
    records = await read_records(database, where)
    try:
        themes = theme_records(
            records, request.codebook, request.corrections, embedder, threshold=request.threshold
        )
    except _TooManyNew as exc:
        return Unthemed(Why.NOT_READ, new=exc.count, command=request.command)
    finally:
        if cache is not None:
            cache.keep()
    await keep_counts(database, themes)
    return themes


async def keep_counts(database: Database, themes: Themes) -> None:
    """Keep each theme's wishes and respondents in the database for ``/resultats`` when
    ``themes`` are those of every confirmed answer (see :meth:`~bot.storage.theme_counts.
    ThemeCountRepository.replace`); a database that cannot be written (a read-only copy, a lock
    held too long) costs ``/resultats`` this update, with a warning, not the command its result."""
    read, overall = len(themes.records), themes.overall.shares
    tallies = [
        ThemeTally(theme.id, theme.label, overall[theme.id].answers, overall[theme.id].respondents, read)
        for theme in themes.codebook.themes
    ]
    try:
        async with database.transaction() as repos:
            await repos.theme_counts.replace(tallies, read, datetime.now(UTC))
    except DBAPIError as exc:
        log.warning("the themes' counts could not be kept for /resultats: %s", type(exc.orig).__name__)


async def chat_themes(
    database: Database, content: Content, settings: Settings, command: str, where: ExportFilter | None = None
) -> ThemesOrNot:
    """The themes for ``/stats`` or ``/export`` (``command``) of the answers ``where`` selects:
    from the vectors the server's runs keep, with at most :data:`CHAT_NEW_WISHES` wishes read by
    the model."""
    try:
        request = theme_request(settings, most_new=CHAT_NEW_WISHES, command=command)
        return await compute_themes(database, content, request, where)
    except OperatorError as exc:  # a broken codebook, corrections or vectors' file
        return Unthemed(Why.BROKEN, detail=str(exc))

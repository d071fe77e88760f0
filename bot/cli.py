"""``fabrique-bot``: run the bot, its local Bot API sandbox, and operator tasks."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO, TypeVar, overload

from pythonjsonlogger.json import JsonFormatter
from tqdm import tqdm

from bot.clock import PARIS, SystemClock
from bot.config import LANGUAGES, SEE_README, Settings, load_settings
from bot.content import Content, load_content
from bot.errors import ConfigError, OperatorError
from bot.i18n import I18n
from bot.logs import keep_residents_out_of_logs
from bot.sandbox.cli import add_behaviour_arguments
from bot.services.retention import Purge, Retention
from bot.storage import Database
from bot.storage.database import Schema
from bot.synthesis.charts import charts
from bot.synthesis.export import (
    FORMATS,
    NAMES_LANGUAGE,
    Exporter,
    ExportFilter,
    Format,
    Shared,
    collecting_seldom,
    format_of,
)
from bot.synthesis.parallel import MOST_PROCESSES, PARALLEL_FROM, SliceFailed, Slices, processes
from bot.synthesis.report import build_report
from bot.synthesis.stats import as_text, compute, tables
from bot.synthesis.votes_export import VoteExporter
from bot.themes.model import require_extra
from bot.themes.reading import THRESHOLD
from bot.themes.summary import Themes
from bot.themes.synthesis import (
    CACHE_NAME,
    CORRECTIONS_NAME,
    ThemeRequest,
    Unthemed,
    compute_themes,
    theme_request,
)

if TYPE_CHECKING:
    from bot.synthesis.package import Build

T = TypeVar("T")
LISTEN_ERRORS = (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL)


@contextmanager
def _listening(hint: str) -> Iterator[None]:
    """A port that cannot be listened on, as one line."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in LISTEN_ERRORS:
            raise
        raise OperatorError(f"cannot listen for HTTP: {exc.strerror} ({hint})") from None


def _run(args: argparse.Namespace) -> None:
    # The bot's stack is imported here only: exports and statistics do not need it.
    from bot.application import build
    from bot.preview import run_preview
    from bot.runtime import serve

    settings = load_settings()
    with _listening("change WEB_PORT or --port"):
        if settings.telegram_bot_token is None:
            asyncio.run(run_preview(settings, port=args.port))
        else:
            asyncio.run(serve(build(settings)))


def _check(_args: argparse.Namespace) -> int:
    """The content, the database and (with a token) the bot, each on its own line."""
    settings = load_settings()
    failed = False
    for part in (_check_content, _check_database, _check_bot):
        try:
            print(part(settings))
        except OperatorError as exc:
            _fail(exc)
            failed = True
    return 2 if failed else 0


def _check_content(settings: Settings) -> str:
    content = load_content(settings.content_dir)
    return (
        f"ok: {len(content.paradoxes)} paradoxes, {len(content.personas)} personas, "
        f"{len(content.values)} values, {len(content.stages)} stages"
    )


def _check_database(settings: Settings) -> str:
    async def schema() -> tuple[Schema, str]:
        database = Database(settings.database)
        try:
            with database.reported():
                return await database.schema(), database.location
        finally:
            await database.close()

    state, where = asyncio.run(schema())
    if state is Schema.ABSENT:
        return f"ok: no database at {where} yet: `fabrique-bot run` creates it"
    if state is Schema.EMPTY:
        return f"ok: database at {where}, no tables yet: `fabrique-bot run` creates them"
    if state is Schema.OTHER:
        return f"ok: database at {where}, schema not at this version's: `fabrique-bot run` upgrades it"
    return f"ok: database at {where}, schema up to date"


def _check_bot(settings: Settings) -> str:
    from bot.runtime import who_am_i

    if settings.telegram_bot_token is None:
        return (
            "skipped: Telegram (TELEGRAM_BOT_TOKEN is not set: `fabrique-bot run` starts the phone preview)"
        )
    me = asyncio.run(who_am_i(settings.telegram_bot_token, settings.telegram_api_url))
    return f"ok: bot @{me.username} at {settings.telegram_api_url}"


def _db_upgrade(_args: argparse.Namespace) -> None:
    async def upgrade() -> None:
        database = Database(load_settings().database)
        try:
            with database.reported():
                await database.upgrade()
        finally:
            await database.close()

    asyncio.run(upgrade())
    print("ok: database schema is up to date")


def _purge(_args: argparse.Namespace) -> None:
    settings = load_settings()
    if settings.retention_until is None:
        raise ConfigError(
            f"RETENTION_UNTIL is not set: the last day answers stay linked to residents ({SEE_README})"
        )
    until = settings.retention_until

    async def work(database: Database, _content: Content) -> Purge | None:
        return await Retention(database, SystemClock(), until).purge_if_due()

    done = _with_database(work)
    if done is None:
        print(f"nothing to do: answers stay linked to residents until the end of {until} (Paris time)")
        return
    print(f"ok: answers unlinked from their residents: {done.unlinked}; dialog states deleted: {done.drafts}")


def _positive(text: str) -> int:
    """A whole number from 1, as an argparse type."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a whole number from 1: {text!r}")
    return int(text)


def _moment(text: str, *, end: bool = False) -> datetime:
    """A Paris date (« 2017-05-31 », the whole day) or date and time, as an argparse type."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (expected YYYY-MM-DD)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    if end and len(text) == 10:
        moment += timedelta(days=1)
    return moment


def _export(args: argparse.Namespace) -> None:
    fmt = args.format or format_of(args.path) or (None if Path(args.path).suffix else "csv")
    if fmt is None:
        raise OperatorError(f"{args.path}: name the file .xlsx (workbook), .csv or .jsonl, or give --format")
    if args.themes and fmt != "xlsx":
        raise OperatorError(
            "--themes: only the workbook (.xlsx) has the themes' columns; for the themes of each "
            "wish as CSV, run `fabrique-bot themes --output themes.csv`"
        )
    settings = load_settings()
    content = load_content(settings.content_dir)
    if args.paradox and content.paradox(args.paradox) is None:
        known = ", ".join(p.id for p in content.paradoxes)
        raise OperatorError(f"--paradox {args.paradox}: no such paradox (known: {known})")
    where = ExportFilter(args.since, args.until, args.paradox)
    if args.table == "votes":
        if args.jobs is not None:
            raise OperatorError("--jobs: the votes are written by one process (only the answers are sliced)")
        _export_votes(args, fmt, where)
        return
    if fmt != "xlsx":
        _export_text(args, fmt, where)
        return
    if args.jobs is not None:
        raise OperatorError("--jobs: only the CSV and JSON lines are written by several processes")
    request = _theme_request(args, settings) if args.themes else None

    async def work(database: Database, content: Content) -> int:
        from bot.synthesis.workbook import write_workbook  # xlsxwriter: only for a workbook

        exporter = Exporter(database, content)
        total = await exporter.count(where)
        # Files are created once the database is known to be there (and the themes computed).
        themes = await compute_themes(database, content, request, where) if request else None
        with (
            tqdm(total=total, unit=" answers", disable=None, file=sys.stderr) as bar,
            collecting_seldom(),
            _create(args.path, None) as binary,
        ):
            t = I18n("fr")(args.language or "fr")
            return await write_workbook(binary, exporter, where, t, datetime.now(PARIS), bar.update, themes)

    count = _with_database(work)
    print(f"ok: {count} answers written to {args.path}")


def _export_text(args: argparse.Namespace, fmt: Format, where: ExportFilter) -> None:
    """The CSV or JSON lines, cut into slices written by as many processes as pay
    (:mod:`bot.synthesis.parallel`); the pseudonyms' key and the small-group rule are settled
    once, for the whole export."""

    async def plan(database: Database, content: Content) -> tuple[int, list[ExportFilter], Shared]:
        exporter = Exporter(database, content)
        await exporter.pseudonyms()  # the key exists before any other process reads it
        total = await exporter.count(where)
        slices = await exporter.slices(where, processes(total, args.jobs), total)
        return total, slices, await exporter.shared(where)

    total, slices, shared = _with_database(plan)

    def write(index: int, out: TextIO, progress: Callable[[int], object]) -> int:
        async def work(database: Database, content: Content) -> int:
            return await Exporter(database, content).write(
                out, slices[index], fmt="csv" if fmt == "csv" else "jsonl", delimiter=args.delimiter,
                language=args.language or NAMES_LANGUAGE, progress=progress, headers=index == 0,
                shared=shared,
            )  # fmt: skip

        with collecting_seldom():
            return _with_database(work)

    with _create(args.path, "utf-8-sig" if fmt == "csv" else "utf-8") as out:  # the database is there
        others = Slices(len(slices), Path(args.path), write)  # forked before the progress bar's thread
        try:
            with tqdm(total=total, unit=" answers", disable=None, file=sys.stderr) as bar:
                count = write(0, out, bar.update) + others.finish(out, bar.update)
        finally:
            others.close()
    print(f"ok: {count} answers written to {args.path}")


def _export_votes(args: argparse.Namespace, fmt: str, where: ExportFilter) -> None:
    """``export --table votes``: one row per vote, CSV or JSON lines (the workbook has them in its
    « Votes » sheet)."""
    if fmt not in ("csv", "jsonl"):
        raise OperatorError(
            f"{args.path}: the workbook holds the votes already (its « Votes » sheet): export it "
            "without --table, or name the file .csv or .jsonl"
        )

    async def work(database: Database, _content: Content) -> int:
        votes = VoteExporter(database)
        total = await votes.count(where)
        with (
            tqdm(total=total, unit=" votes", disable=None, file=sys.stderr) as bar,
            collecting_seldom(),
            _create(args.path, "utf-8-sig" if fmt == "csv" else "utf-8") as out,  # the database is there
        ):
            return await votes.write(
                out, where, fmt="csv" if fmt == "csv" else "jsonl", delimiter=args.delimiter,
                language=args.language or NAMES_LANGUAGE, progress=bar.update,
            )  # fmt: skip

    count = _with_database(work)
    print(f"ok: {count} votes written to {args.path}")


@contextmanager
def _writable(path: str | Path) -> Iterator[None]:
    """A file or folder the operator named that cannot be written, as one line."""
    try:
        yield
    except OSError as exc:
        raise OperatorError(
            f"cannot write {Path(path).absolute()}: {exc.strerror} "
            "(choose a folder that exists and you can write)"
        ) from None


@overload
def _create(path: str, encoding: str) -> TextIO: ...
@overload
def _create(path: str, encoding: None) -> BinaryIO: ...
def _create(path: str, encoding: str | None) -> TextIO | BinaryIO:
    """The file, created for writing: text in ``encoding``, or binary."""
    with _writable(path):
        return open(path, "wb") if encoding is None else open(path, "w", encoding=encoding, newline="")


def _with_database(work: Callable[[Database, Content], Awaitable[T]]) -> T:
    """Run ``work`` on the bot's database and content. The database must exist, at this
    version's schema: a command that reads it never creates one (``run`` and ``db upgrade`` do)."""
    settings = load_settings()
    content = load_content(settings.content_dir)

    async def run() -> T:
        database = Database(settings.database)
        try:
            with database.reported():
                _require_schema(await database.schema(), database.location, settings)
                return await work(database, content)
        finally:
            await database.close()

    return asyncio.run(run())


def _require_schema(state: Schema, where: str, settings: Settings) -> None:
    elsewhere = "DATABASE_URL" if settings.database_url else "DATA_DIR (or DATABASE_URL)"
    if state is Schema.ABSENT:
        raise OperatorError(f"no database at {where}: set {elsewhere} to the bot's database")
    if state is Schema.EMPTY:
        raise OperatorError(f"the database at {where} has no tables: set {elsewhere} to the bot's database")
    if state is Schema.OTHER:
        raise OperatorError(
            f"the database at {where} is not at this version's schema: run `fabrique-bot db upgrade` first"
        )


def _stats(args: argparse.Namespace) -> None:
    t = I18n(args.language)(args.language)

    async def work(database: Database, content: Content) -> tuple[str, list[tuple[str, bytes]]]:
        stats = await compute(database, content)
        text = "\n\n".join(as_text(table) for table in tables(stats, content, t))
        return text, charts(stats, content, t) if args.charts else []

    text, images = _with_database(work)
    print(text)
    if args.charts:
        folder = Path(args.charts)
        with _writable(folder):
            folder.mkdir(parents=True, exist_ok=True)
            for name, image in images:
                (folder / name).write_bytes(image)
        for name, _ in images:  # outside: a closed pipe (`| head`) is not a folder that cannot be written
            print(f"chart: {folder / name}")


def _report(args: argparse.Namespace) -> None:
    t = I18n(args.language)(args.language)
    request = _theme_request(args, load_settings()) if args.themes else None

    async def work(database: Database, content: Content) -> str:
        themes = await compute_themes(database, content, request) if request else None
        return (await build_report(database, content, t, datetime.now(PARIS), themes)).html

    html = _with_database(work)
    with _writable(args.path):
        Path(args.path).write_text(html, encoding="utf-8")
    print(f"ok: report written to {args.path}")


def _confidence(text: str) -> float:
    """A confidence threshold strictly between 0 and 1, as an argparse type."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"not a confidence between 0 and 1: {text!r}")
    return value


def _theme_request(args: argparse.Namespace, settings: Settings) -> ThemeRequest:
    """The themes as the command's options ask for them; with ``--themes`` given, the extra must
    be there (one line says how to install it)."""
    if args.themes:
        require_extra()
    return theme_request(
        settings,
        codebook=Path(args.codebook) if args.codebook else None,
        corrections=Path(args.corrections) if args.corrections else None,
        threshold=args.threshold,
        cache=Path(args.cache) if args.cache else None,
    )


def _themes(args: argparse.Namespace) -> None:
    from bot.themes.answers import write as write_themes
    from bot.themes.tables import tables as theme_tables

    request = _theme_request(args, load_settings())
    t = I18n(args.language)(args.language)

    async def work(database: Database, content: Content) -> tuple[Themes, str, int]:
        out = _create(args.output, "utf-8-sig") if args.output else None  # once the database is there
        try:
            themes = await compute_themes(database, content, request)
            assert isinstance(themes, Themes)  # asked for, the extra there: computed
            written = write_themes(themes, out, args.delimiter) if out else 0
        finally:
            if out:
                out.close()
        text = "\n\n".join(as_text(table) for table in theme_tables(themes, content, t))
        return themes, text, written

    themes, text, written = _with_database(work)
    print(text)
    if request.corrections is not None and themes.corrections_unused:
        unused = themes.corrections_unused
        print(f"note: {unused} corrections in {request.corrections_file} match no wish (changed?)")
    if args.output:
        print(f"ok: {written} wishes written to {args.output}")


def _package(args: argparse.Namespace) -> None:
    from bot.synthesis.package import write_package

    path = Path(args.path)
    if path.suffix.lower() != ".zip":
        raise OperatorError(f"{args.path}: the package is a zip file: name it .zip, e.g. synthesis.zip")
    if path.is_dir():
        raise OperatorError(
            f"{path.absolute()} is a folder: name the zip to write in it, e.g. {path / 'synthesis.zip'}"
        )
    settings = load_settings()
    request = _theme_request(args, settings) if args.themes is not False else None
    t = I18n(args.language)(args.language)

    async def work(database: Database, content: Content) -> Build:
        with _writable(path), collecting_seldom():
            return await write_package(path, database, content, settings, t, datetime.now(UTC), request)

    build = _with_database(work)
    themes = "themes computed" if isinstance(build.themes, Themes) else "themes not computed"
    print(f"ok: {build.answers} answers packaged in {args.path} ({themes})")
    if isinstance(build.themes, Unthemed):
        print(f"note: {build.themes.line(I18n('en')('en'))}")


def _sandbox(args: argparse.Namespace) -> None:
    from bot.sandbox.cli import limits_from, run_sandbox

    with _listening("change --port"):
        run_sandbox(args.host, args.port, args.token, limits=limits_from(args), latency=args.latency)


def _theme_arguments(command: argparse.ArgumentParser, switch: str = "") -> None:
    """The themes' options: the codebook, the corrections, the threshold and the vectors' file;
    with ``switch``, ``--themes``/``--no-themes`` to ask for them (``switch`` is its help)."""
    group = command.add_argument_group("themes of the wishes")
    if switch:
        group.add_argument("--themes", action=argparse.BooleanOptionalAction, default=None, help=switch)
    group.add_argument(
        "--codebook",
        metavar="FILE",
        help="the codebook (default: CONTENT_DIR/themes.yaml, or the shipped one)",
    )
    group.add_argument(
        "--corrections",
        metavar="FILE",
        help=f"staff corrections: CSV of wish_key and theme (default: DATA_DIR/{CORRECTIONS_NAME} if any)",
    )
    group.add_argument(
        "--threshold",
        type=_confidence,
        default=THRESHOLD,
        help="confidence under which a wish is « à classer »",
    )
    group.add_argument(
        "--cache",
        metavar="FILE",
        help=f"where the wishes' vectors are kept for the next runs (default: DATA_DIR/{CACHE_NAME})",
    )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="fabrique-bot", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="run the bot (long polling); without a token, the phone preview on 127.0.0.1"
    )
    run.add_argument("--port", type=int, default=8080, help="port of the preview (without a token)")
    run.set_defaults(func=_run)
    commands.add_parser("check", help="validate configuration and content").set_defaults(func=_check)
    db = commands.add_parser("db", help="database tasks").add_subparsers(dest="task", required=True)
    db.add_parser("upgrade", help="apply database migrations").set_defaults(func=_db_upgrade)
    purge = commands.add_parser(
        "purge", help="unlink answers from residents once RETENTION_UNTIL has passed (the bot does it hourly)"
    )
    purge.set_defaults(func=_purge)
    export = commands.add_parser("export", help="export confirmed answers (workbook, CSV or JSON lines)")
    export.add_argument("path", help="the file to write: answers.xlsx (workbook), answers.csv, answers.jsonl")
    export.add_argument(
        "--table",
        choices=["answers", "votes"],
        default="answers",
        help="what to export: the confirmed answers (default), or the votes on shared wishes, one row "
        "each (CSV or JSON lines; the workbook has both)",
    )
    export.add_argument("--since", type=_moment, help="from this date (Paris time, YYYY-MM-DD)")
    export.add_argument(
        "--until", type=lambda text: _moment(text, end=True), help="up to this date, included"
    )
    export.add_argument("--paradox", help="only answers to this paradox, e.g. p3")
    export.add_argument(
        "--delimiter",
        default=",",
        type=lambda text: "\t" if text == "tab" else text,
        choices=[",", ";", "\t"],
        help="CSV separator: , (default), ; (French spreadsheets) or tab",
    )
    export.add_argument(
        "--format", choices=list(FORMATS.values()), help="instead of the one the file's extension names"
    )
    export.add_argument(
        "--jobs",
        type=_positive,
        help="processes writing a CSV or JSON lines at once (default: one per core, at most "
        f"{MOST_PROCESSES}, from {PARALLEL_FROM:,} answers on; 1 for the least memory)",
    )
    export.add_argument(
        "--language",
        choices=LANGUAGES,
        help="headers' language: the workbook's (and its sheets') is fr unless given; the CSV's are "
        "the English column names unless given (fr: the workbook's headers)",
    )
    _theme_arguments(
        export, switch="the workbook with each wish's themes (needs the themes extra; minutes the first time)"
    )
    export.set_defaults(func=_export)
    stats = commands.add_parser("stats", help="print the consultation's figures")
    stats.add_argument("--charts", metavar="FOLDER", help="also write the charts (PNG) to this folder")
    stats.add_argument("--language", choices=LANGUAGES, default="fr", help="language of the labels")
    stats.set_defaults(func=_stats)
    report = commands.add_parser("report", help="write a one-page HTML report of the figures")
    report.add_argument("path", help="the file to write, e.g. report.html")
    report.add_argument("--language", choices=LANGUAGES, default="fr", help="language of the labels")
    _theme_arguments(report, switch="also theme the wishes (needs the themes extra; minutes the first time)")
    report.set_defaults(func=_report)
    themes = commands.add_parser(
        "themes", help="theme the wishes with the codebook (needs the themes extra) and print a summary"
    )
    themes.add_argument("--output", metavar="FILE", help="also write one row per wish (CSV), e.g. themes.csv")
    _theme_arguments(themes)
    themes.add_argument(
        "--delimiter",
        default=",",
        type=lambda text: "\t" if text == "tab" else text,
        choices=[",", ";", "\t"],
        help="CSV separator of --output: , (default), ; (French spreadsheets) or tab",
    )
    themes.add_argument("--language", choices=LANGUAGES, default="fr", help="language of the labels")
    themes.set_defaults(func=_themes, themes=True)
    package = commands.add_parser(
        "package",
        help="write the synthesis package: workbook, CSV, report, charts, themes' files and a manifest "
        "of their SHA-256, in one zip",
    )
    package.add_argument("path", help="the zip to write, e.g. synthesis.zip")
    package.add_argument(
        "--language", choices=LANGUAGES, default="fr", help="language of the workbook and the report"
    )
    _theme_arguments(
        package,
        switch="with the themes of the wishes (the default when the themes extra is installed), or without",
    )
    package.set_defaults(func=_package)
    sandbox = commands.add_parser("sandbox", help="run the local Bot API server")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8081)
    sandbox.add_argument("--token", default="123456:SANDBOX-TOKEN-abcdefghijklmnopqrstuv")
    add_behaviour_arguments(sandbox)
    sandbox.set_defaults(func=_sandbox)
    return root


def configure_logging(log_format: str) -> None:
    """Readable lines by default, one JSON object per line with ``LOG_FORMAT=json``.

    The bot's own records never name a resident (no Telegram id, name or text); the libraries
    that would log content are kept above that level (see :mod:`bot.logs`), so are those whose
    routine lines would drown the ones an operator needs.
    """
    handler = logging.StreamHandler()
    fields = "%(asctime)s %(levelname)s %(name)s %(message)s"
    handler.setFormatter(
        JsonFormatter(fields) if log_format == "json" else logging.Formatter(fields.replace(" %(m", ": %(m"))
    )
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    keep_residents_out_of_logs()
    for noisy in ("alembic", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _fail(problem: object) -> None:
    print(f"fabrique-bot: {problem}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Every mistake ends here as one line on stderr, never a traceback (which could hold a
    secret): an operator's mistake names what to fix; anything else is reported as a bug."""
    args = parser().parse_args(argv)
    try:
        configure_logging(load_settings().log_format)
        return int(args.func(args) or 0)
    except OperatorError as exc:
        _fail(exc)
        return 2
    except BrokenPipeError:  # ``fabrique-bot stats | head``: the reader had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit's flush
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if os.environ.get("FABRIQUE_TRACEBACK"):
            raise
        what = (
            str(exc)
            if isinstance(exc, SliceFailed)
            else f"unexpected {type(exc).__name__} in `{args.command}`"
        )
        _fail(
            f"{what}: please report it "
            "(FABRIQUE_TRACEBACK=1 shows where; tracebacks are hidden as they may hold secrets)"
        )
        return 3

"""``fabrique-bot``: run the bot, its local Bot API sandbox, and operator tasks."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from pythonjsonlogger.json import JsonFormatter
from tqdm import tqdm

from bot.clock import PARIS, SystemClock
from bot.config import LANGUAGES, SEE_README, load_settings
from bot.content import Content, load_content
from bot.errors import ConfigError, OperatorError
from bot.i18n import I18n
from bot.sandbox.cli import add_behaviour_arguments
from bot.services.retention import Purge, Retention
from bot.storage import Database
from bot.synthesis.charts import charts
from bot.synthesis.export import Exporter, ExportFilter
from bot.synthesis.report import render_html, sample_wishes
from bot.synthesis.stats import as_text, compute, tables

T = TypeVar("T")


def _run(args: argparse.Namespace) -> None:
    # The bot's stack is imported here only: exports and statistics do not need it.
    from bot.application import build
    from bot.preview import run_preview
    from bot.runtime import serve

    settings = load_settings()
    try:
        if settings.telegram_bot_token is None:
            asyncio.run(run_preview(settings, port=args.port))
        else:
            asyncio.run(serve(build(settings)))
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise
        raise OperatorError(f"cannot listen for HTTP: {exc.strerror} (change WEB_PORT or --port)") from None


def _check(_args: argparse.Namespace) -> None:
    settings = load_settings()
    content = load_content(settings.content_dir)
    print(
        f"ok: {len(content.paradoxes)} paradoxes, {len(content.personas)} personas, "
        f"{len(content.values)} values, {len(content.stages)} stages"
    )


def _db_upgrade(_args: argparse.Namespace) -> None:
    async def upgrade() -> None:
        database = Database(load_settings().database)
        try:
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
    content = load_content(load_settings().content_dir)
    if args.paradox and content.paradox(args.paradox) is None:
        known = ", ".join(p.id for p in content.paradoxes)
        raise OperatorError(f"--paradox {args.paradox}: no such paradox (known: {known})")
    where = ExportFilter(args.since, args.until, args.paradox)
    encoding = "utf-8-sig" if args.format == "csv" else "utf-8"
    with open(args.path, "w", encoding=encoding, newline="") as out:

        async def work(database: Database, content: Content) -> int:
            exporter = Exporter(database, content)
            total = await exporter.count(where)
            with tqdm(total=total, unit=" answers", disable=None, file=sys.stderr) as bar:
                return await exporter.write(
                    out, where, fmt=args.format, delimiter=args.delimiter, progress=bar.update
                )

        count = _with_database(work)
    print(f"ok: {count} answers written to {args.path}")


def _with_database(work: Callable[[Database, Content], Awaitable[T]]) -> T:
    """Run ``work`` on the configured database (brought up to date) and content."""
    settings = load_settings()
    content = load_content(settings.content_dir)

    async def run() -> T:
        database = Database(settings.database)
        try:
            await database.upgrade()
            return await work(database, content)
        finally:
            await database.close()

    return asyncio.run(run())


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
        folder.mkdir(parents=True, exist_ok=True)
        for name, image in images:
            (folder / name).write_bytes(image)
            print(f"chart: {folder / name}")


def _report(args: argparse.Namespace) -> None:
    t = I18n(args.language)(args.language)

    async def work(database: Database, content: Content) -> str:
        stats = await compute(database, content)
        wishes = await sample_wishes(database, content)
        return render_html(stats, content, t, charts(stats, content, t), wishes, datetime.now(PARIS))

    Path(args.path).write_text(_with_database(work), encoding="utf-8")
    print(f"ok: report written to {args.path}")


def _sandbox(args: argparse.Namespace) -> None:
    from bot.sandbox.cli import limits_from, run_sandbox

    run_sandbox(args.host, args.port, args.token, limits=limits_from(args), latency=args.latency)


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
    export = commands.add_parser("export", help="export confirmed answers (CSV or JSON lines)")
    export.add_argument("path", help="the file to write, e.g. answers.csv")
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
    export.add_argument("--format", default="csv", choices=["csv", "jsonl"])
    export.set_defaults(func=_export)
    stats = commands.add_parser("stats", help="print the consultation's figures")
    stats.add_argument("--charts", metavar="FOLDER", help="also write the charts (PNG) to this folder")
    stats.add_argument("--language", choices=LANGUAGES, default="fr", help="language of the labels")
    stats.set_defaults(func=_stats)
    report = commands.add_parser("report", help="write a one-page HTML report of the figures")
    report.add_argument("path", help="the file to write, e.g. report.html")
    report.add_argument("--language", choices=LANGUAGES, default="fr", help="language of the labels")
    report.set_defaults(func=_report)
    sandbox = commands.add_parser("sandbox", help="run the local Bot API server")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8081)
    sandbox.add_argument("--token", default="123456:SANDBOX-TOKEN-abcdefghijklmnopqrstuv")
    add_behaviour_arguments(sandbox)
    sandbox.set_defaults(func=_sandbox)
    return root


def configure_logging(log_format: str) -> None:
    """Readable lines by default, one JSON object per line with ``LOG_FORMAT=json``.

    httpx would log every request's URL, which holds the bot token: it logs warnings only.
    The bot's own records never name a resident (no Telegram id, name or text).
    """
    handler = logging.StreamHandler()
    fields = "%(asctime)s %(levelname)s %(name)s %(message)s"
    handler.setFormatter(
        JsonFormatter(fields) if log_format == "json" else logging.Formatter(fields.replace(" %(m", ": %(m"))
    )
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    for noisy in ("httpx", "alembic", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        configure_logging(load_settings().log_format)
        args.func(args)
    except OperatorError as exc:
        print(f"fabrique-bot: {exc}", file=sys.stderr)
        return 2
    return 0

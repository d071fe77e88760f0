"""``fabrique-bot``: run the bot, its local Bot API sandbox, and operator tasks."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot.application import ALLOWED_UPDATES, build
from bot.config import load_settings
from bot.content import load_content
from bot.errors import OperatorError
from bot.sandbox.cli import add_behaviour_arguments
from bot.storage import Database


def _run(_args: argparse.Namespace) -> None:
    fabrique = build(load_settings())
    fabrique.application.run_polling(allowed_updates=ALLOWED_UPDATES)


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


def _sandbox(args: argparse.Namespace) -> None:
    from bot.sandbox.cli import limits_from, run_sandbox

    run_sandbox(args.host, args.port, args.token, limits=limits_from(args), latency=args.latency)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="fabrique-bot", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (long polling)").set_defaults(func=_run)
    commands.add_parser("check", help="validate configuration and content").set_defaults(func=_check)
    db = commands.add_parser("db", help="database tasks").add_subparsers(dest="task", required=True)
    db.add_parser("upgrade", help="apply database migrations").set_defaults(func=_db_upgrade)
    sandbox = commands.add_parser("sandbox", help="run the local Bot API server")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8081)
    sandbox.add_argument("--token", default="123456:SANDBOX-TOKEN-abcdefghijklmnopqrstuv")
    add_behaviour_arguments(sandbox)
    sandbox.set_defaults(func=_sandbox)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        args.func(args)
    except OperatorError as exc:
        print(f"fabrique-bot: {exc}", file=sys.stderr)
        return 2
    return 0

"""Run the sandbox as a standalone server: ``python -m bot.sandbox --port 8081``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from bot.sandbox.limits import FloodLimits
from bot.sandbox.sandbox import DEFAULT_TOKEN, BotApiSandbox


async def serve_forever(sandbox: BotApiSandbox, host: str, port: int) -> None:
    """Serve until cancelled, printing where to point the bot."""
    async with sandbox.serve(host, port) as url:
        print(f"Telegram Bot API sandbox at {url}", flush=True)
        print(f"  bot:      base_url={url}/bot  base_file_url={url}/file/bot", flush=True)
        print(f"  token:    {sandbox.token}", flush=True)
        print(f"  control:  {url}/sandbox/  (events: {url}/sandbox/events)", flush=True)
        await asyncio.Event().wait()


def run_sandbox(
    host: str, port: int, token: str, *, limits: FloodLimits | None = None, latency: float = 0.0
) -> None:
    """Run a sandbox for ``token`` on ``host:port`` until interrupted."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(BotApiSandbox(token, limits=limits, latency=latency), host, port))


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="Local Telegram Bot API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    add_behaviour_arguments(parser)
    args = parser.parse_args(argv)
    run_sandbox(args.host, args.port, args.token, limits=limits_from(args), latency=args.latency)


def add_behaviour_arguments(parser: argparse.ArgumentParser) -> None:
    """Options that make the sandbox behave like Telegram under load."""
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every Bot API call")
    parser.add_argument(
        "--flood-limits", action="store_true", help="enforce Telegram's flood limits (429 with retry_after)"
    )
    parser.add_argument("--overall-per-second", type=int, default=30)
    parser.add_argument("--paid-per-second", type=int, default=1000)


def limits_from(args: argparse.Namespace) -> FloodLimits | None:
    if not args.flood_limits:
        return None
    return FloodLimits(overall_per_second=args.overall_per_second, paid_per_second=args.paid_per_second)

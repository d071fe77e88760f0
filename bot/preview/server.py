"""The preview server: the sandbox's Bot API and control API, plus a static web chat."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.application import build
from bot.config import Settings
from bot.runtime import polling
from bot.sandbox import BotApiSandbox

STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class Person:
    """Someone the preview lets you be: a resident with a language, or a staff member."""

    user_id: int
    name: str
    language: str
    staff: bool = False

    def to_json(self) -> dict[str, object]:
        return {"user_id": self.user_id, "name": self.name, "language": self.language, "staff": self.staff}


PEOPLE = (
    Person(1001, "Camille", "fr"),
    Person(1002, "Alex", "en"),
    Person(1003, "Yasmine", "fr"),
    Person(9001, "Sam", "fr", staff=True),
)


class PreviewSandbox(BotApiSandbox):
    """The sandbox with the web chat at ``/`` and the people to act as at ``/preview/people``."""

    def __init__(self) -> None:
        super().__init__()
        for person in PEOPLE:
            self.add_user(person.user_id, person.name, language_code=person.language)

    def create_app(self) -> web.Application:
        app = super().create_app()

        async def index(_request: web.Request) -> web.StreamResponse:
            return web.FileResponse(STATIC / "index.html")

        async def people(_request: web.Request) -> web.StreamResponse:
            return web.json_response([person.to_json() for person in PEOPLE])

        app.router.add_get("/", index)
        app.router.add_get("/preview/people", people)
        app.router.add_static("/preview/static/", STATIC)
        return app


async def run_preview(settings: Settings, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve the preview and run the bot against it until interrupted (Ctrl-C or SIGTERM)."""
    sandbox = PreviewSandbox()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop_signal, stop.set)
    async with sandbox.serve(host, port) as url:
        staff = frozenset(p.user_id for p in PEOPLE if p.staff)
        bot_settings = settings.model_copy(
            update={
                "telegram_bot_token": sandbox.token,
                "telegram_api_url": url,
                "staff_ids": settings.staff_ids | staff,
            }
        )
        async with polling(build(bot_settings)):
            print(f"Fabrique preview (no TELEGRAM_BOT_TOKEN): open {url}/ in your browser.", flush=True)
            print("Stop with Ctrl-C.", flush=True)
            await stop.wait()
    with contextlib.suppress(NotImplementedError):
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(stop_signal)

"""Bot API requests over aiohttp instead of httpx.

python-telegram-bot's default transport (httpx) spends CPU in proportion to its pool size on
every request: with the hundreds of requests in flight that concurrent residents need, it
caps a bot at about a hundred Bot API calls a second on this project's benchmark machine (see
``bench/README.md``). aiohttp, already a dependency for the web server, keeps its pool in
constant time per request.

Calls go out and come back as Telegram's JSON (:func:`call`): the outbox stores them that way,
and building python-telegram-bot's objects for each parameter and each result only to turn them
back into JSON cost about a third of the bot's time per update.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram import Bot
from telegram._utils.defaultvalue import DEFAULT_NONE, DefaultValue
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

TIMEOUT = 5.0


async def call(
    bot: Bot, method: str, params: JSONDict, *, read_timeout: ODVInput[float] = DEFAULT_NONE
) -> Any:
    """Make the Bot API call ``method`` with ``params`` as JSON (files as :class:`InputFile`), and
    give its result as JSON: python-telegram-bot's own path (its rate limiter, its errors), none
    of its objects. (``Bot.do_api_request`` does the same but warns for every method it knows.)"""
    return await bot._post(method, dict(params), read_timeout=read_timeout)


class AiohttpRequest(BaseRequest):
    """A python-telegram-bot request backend with ``connections`` kept open at most."""

    def __init__(
        self, connections: int, *, pool_timeout: float = 30.0, read_timeout: float = TIMEOUT
    ) -> None:
        self._connections = connections
        self._pool_timeout = pool_timeout
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, limit_per_host=self._connections)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            raise RuntimeError("AiohttpRequest is not initialized")
        timeout = aiohttp.ClientTimeout(
            sock_read=_given(read_timeout, self._read_timeout),
            connect=(_given(pool_timeout, self._pool_timeout) or 0.0)
            + (_given(connect_timeout, TIMEOUT) or 0.0),
        )
        try:
            async with self._session.request(method, url, timeout=timeout, **_body(request_data)) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _given(value: ODVInput[float], default: float) -> float | None:
    """A timeout as python-telegram-bot passes it: its default, a number, or None (no limit)."""
    return default if isinstance(value, DefaultValue) else value


def _body(request_data: RequestData | None) -> dict[str, Any]:
    """The parameters as one JSON body (one ``json.dumps``, where a form would quote each field),
    or as a multipart form when files are uploaded."""
    if request_data is None:
        return {}
    files = request_data.multipart_data
    if not files:
        return {"json": request_data.parameters}
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return {"data": form}

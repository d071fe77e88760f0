"""aiohttp routes speaking the Telegram Bot API: ``/bot<token>/<method>`` and file downloads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.sandbox.control import add_control_routes
from bot.sandbox.errors import ApiError, bad_request, not_found, unauthorized
from bot.sandbox.params import Params, UploadedFile

if TYPE_CHECKING:
    from bot.sandbox.sandbox import BotApiSandbox

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # Telegram's limit for bot uploads
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_params(request: web.Request) -> Params:
    """Parameters from the query string and a JSON, urlencoded or multipart body."""
    values: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            values.update(body)
        elif request.content_type in _FORM_TYPES:
            try:
                form = await request.post()
            except web.HTTPRequestEntityTooLarge:
                raise ApiError(413, "Request Entity Too Large") from None
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    content = value.file.read()
                    files[key] = UploadedFile(value.filename, value.content_type, content)
                else:
                    values[key] = value
    return Params(values, files)


def create_app(sandbox: BotApiSandbox) -> web.Application:
    """The sandbox's web application (Bot API, files, control API)."""

    async def bot_api(request: web.Request) -> web.Response:
        try:
            params = await read_params(request)
        except ApiError as exc:
            return web.json_response(exc.to_json(), status=exc.error_code)
        status, body = await sandbox.call_api(
            request.match_info["token"], request.match_info["method"], params
        )
        return web.json_response(body, status=status)

    async def download(request: web.Request) -> web.Response:
        if request.match_info["token"] != sandbox.token:
            error = unauthorized()
            return web.json_response(error.to_json(), status=error.error_code)
        stored = sandbox.state.files_by_path.get(request.match_info["file_path"])
        if stored is None:
            error = not_found()
            return web.json_response(error.to_json(), status=error.error_code)
        return web.Response(body=stored.content, content_type=stored.mime_type or "application/octet-stream")

    app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
    app.router.add_route("*", "/bot{token}/{method}", bot_api)
    app.router.add_get("/file/bot{token}/{file_path:.+}", download)
    add_control_routes(app, sandbox)
    return app

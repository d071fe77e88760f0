"""The ``/sandbox/`` HTTP control API: act as residents and observe the bot (JSON).

``GET /sandbox/events`` streams every change, as Server-Sent Events when asked with
``Accept: text/event-stream`` (``id:`` is the event's sequence number, ``Last-Event-ID`` or
``?since=`` resumes), or else as a JSON long poll (``?since=<seq>&timeout=<seconds>``).
Resident-side mistakes answer 400 ``{"error": "..."}``. The routes are listed at the end of
:func:`add_control_routes`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.sandbox.errors import SandboxUsageError

if TYPE_CHECKING:
    from bot.sandbox.sandbox import BotApiSandbox

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]
_KEEPALIVE_SECONDS = 15.0
_MAX_POLL_SECONDS = 60.0


def _int(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise SandboxUsageError(f"{name} must be an integer") from None


def _query_int(request: web.Request, name: str, default: int) -> int:
    try:
        return int(request.query.get(name, default))
    except ValueError:
        raise SandboxUsageError(f"{name} must be an integer") from None


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise SandboxUsageError("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise SandboxUsageError("the body must be a JSON object")
    return body


def _guarded(route: Route) -> Route:
    """Turn resident-side errors into 400 JSON answers."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await route(request)
        except KeyError as exc:
            return web.json_response({"error": f"missing field {exc}"}, status=400)
        except (SandboxUsageError, TypeError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)

    return guarded


def add_control_routes(app: web.Application, sandbox: BotApiSandbox) -> None:
    """Register the control API of ``sandbox`` on ``app``."""

    async def info(request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "bot": sandbox.bot.to_api(),
                "url": sandbox.url,
                "api_base_url": f"{sandbox.url}/bot",
                "file_base_url": f"{sandbox.url}/file/bot",
                "users": len(sandbox.state.users),
                "chats": len(sandbox.state.chats),
                "events": len(sandbox.events),
            }
        )

    async def list_users(request: web.Request) -> web.StreamResponse:
        return web.json_response([user.to_api() for user in sandbox.state.users.values()])

    async def add_user(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        user = sandbox.add_user(
            int(body["user_id"]),
            str(body["first_name"]),
            last_name=body.get("last_name"),
            username=body.get("username"),
            language_code=body.get("language_code"),
            is_premium=bool(body.get("is_premium", False)),
            started=bool(body.get("started", True)),
        )
        return web.json_response(user.to_api(), status=201)

    async def add_group(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        chat = sandbox.add_group(
            int(body["chat_id"]),
            str(body["title"]),
            member_ids=[int(member) for member in body.get("member_ids", [])],
            chat_type=str(body.get("type", "group")),
            username=body.get("username"),
        )
        return web.json_response(chat.to_view(), status=201)

    async def list_chats(request: web.Request) -> web.StreamResponse:
        return web.json_response([chat.to_view() for chat in sandbox.state.chats.values()])

    async def list_messages(request: web.Request) -> web.StreamResponse:
        include_deleted = request.query.get("include_deleted", "") in ("1", "true")
        messages = sandbox.messages(_int(request, "chat_id"), include_deleted=include_deleted)
        return web.json_response([message.to_view() for message in messages])

    async def send_message(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        user_id, reply_to = body.pop("user_id", None), body.pop("reply_to", None)
        message = await sandbox.send_message(
            _int(request, "chat_id"), user_id=user_id, reply_to=reply_to, **body
        )
        return web.json_response(message.to_view(), status=201)

    async def send_document(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise SandboxUsageError("send the file as the multipart part 'file'")
        user_id = form.get("user_id")
        caption = form.get("caption")
        message = await sandbox.send_document(
            _int(request, "chat_id"),
            upload.file.read(),
            upload.filename,
            mime_type=upload.content_type,
            caption=caption if isinstance(caption, str) else None,
            user_id=int(user_id) if isinstance(user_id, str) else None,
        )
        return web.json_response(message.to_view(), status=201)

    async def edit_message(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        message = await sandbox.edit_text(
            _int(request, "chat_id"),
            _int(request, "message_id"),
            str(body["text"]),
            entities=body.get("entities"),
        )
        return web.json_response(message.to_view())

    async def press(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        query_id = await sandbox.press(
            _int(request, "chat_id"),
            _int(request, "message_id"),
            str(body["data"]),
            user_id=body.get("user_id"),
        )
        return web.json_response({"callback_query_id": query_id}, status=201)

    async def press_button(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        query_id = await sandbox.press_button(
            _int(request, "chat_id"), str(body["text"]), user_id=body.get("user_id")
        )
        return web.json_response({"callback_query_id": query_id}, status=201)

    async def block(request: web.Request) -> web.StreamResponse:
        user_id = _int(request, "user_id")
        await sandbox.block(user_id)
        return web.json_response(sandbox.chat(user_id).to_view())

    async def unblock(request: web.Request) -> web.StreamResponse:
        user_id = _int(request, "user_id")
        await sandbox.unblock(user_id)
        return web.json_response(sandbox.chat(user_id).to_view())

    async def list_callback_queries(request: web.Request) -> web.StreamResponse:
        queries = sandbox.state.callback_queries.values()
        return web.json_response([query.to_view() for query in queries])

    async def callback_query(request: web.Request) -> web.StreamResponse:
        query = sandbox.state.callback_queries.get(request.match_info["query_id"])
        if query is None:
            raise SandboxUsageError(f"unknown callback query {request.match_info['query_id']}")
        return web.json_response(query.to_view())

    async def commands(request: web.Request) -> web.StreamResponse:
        scope_text = request.query.get("scope")
        try:
            scope = json.loads(scope_text) if scope_text else None
        except ValueError:
            raise SandboxUsageError("scope must be a JSON object") from None
        return web.json_response(sandbox.commands(scope, request.query.get("language_code", "")))

    async def visible_commands(request: web.Request) -> web.StreamResponse:
        user_id = request.query.get("user_id")
        chat_id = _int(request, "chat_id")
        return web.json_response(sandbox.visible_commands(chat_id, int(user_id) if user_id else None))

    async def file(request: web.Request) -> web.StreamResponse:
        stored = sandbox.file(request.match_info["file_id"])
        return web.Response(body=stored.content, content_type=stored.mime_type or "application/octet-stream")

    async def api_calls(request: web.Request) -> web.StreamResponse:
        since = _query_int(request, "since", 0)
        return web.json_response([call.to_view() for call in sandbox.api_calls[since:]])

    async def updates(request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "pending": sandbox.pending_updates,
                "long_polling": sandbox.updates.long_polling,
                "webhook": sandbox.updates.webhook_info(),
            }
        )

    async def events(request: web.Request) -> web.StreamResponse:
        since = _query_int(request, "since", 0)
        if "text/event-stream" in request.headers.get("Accept", ""):
            last_id = request.headers.get("Last-Event-ID", "")
            return await _stream_events(request, sandbox, int(last_id) if last_id.isdigit() else since)
        timeout = min(float(request.query.get("timeout", 0)), _MAX_POLL_SECONDS)
        await sandbox.wait_until(_news_after(sandbox, since), timeout)
        found = sandbox.events_since(since)
        return web.json_response(
            {"events": [event.to_json() for event in found], "last_seq": len(sandbox.events)}
        )

    async def flood(_request: web.Request) -> web.StreamResponse:
        """What flood control saw: messages created, their timing, and every 429 answered."""
        times = sandbox.flood.sent_times
        return web.json_response(
            {
                "sent": len(times),
                "first_sent": times[0] if times else None,
                "last_sent": times[-1] if times else None,
                "sent_per_second": sandbox.sent_per_second(),
                "peak_per_second": sandbox.flood.peak_sends(),
                "flood_refusals": len(sandbox.flood_refusals),
                "too_many_requests_answered": sandbox.too_many_requests_answered,
            }
        )

    routes: list[tuple[str, str, Route]] = [
        ("GET", "/sandbox/", info),
        ("GET", "/sandbox/flood", flood),
        ("GET", "/sandbox/users", list_users),
        ("POST", "/sandbox/users", add_user),
        ("POST", "/sandbox/users/{user_id}/block", block),
        ("POST", "/sandbox/users/{user_id}/unblock", unblock),
        ("POST", "/sandbox/groups", add_group),
        ("GET", "/sandbox/chats", list_chats),
        ("GET", "/sandbox/chats/{chat_id}/messages", list_messages),
        ("POST", "/sandbox/chats/{chat_id}/messages", send_message),
        ("POST", "/sandbox/chats/{chat_id}/documents", send_document),
        ("POST", "/sandbox/chats/{chat_id}/messages/{message_id}/edit", edit_message),
        ("POST", "/sandbox/chats/{chat_id}/messages/{message_id}/press", press),
        ("POST", "/sandbox/chats/{chat_id}/press_button", press_button),
        ("GET", "/sandbox/chats/{chat_id}/commands", visible_commands),
        ("GET", "/sandbox/callback_queries", list_callback_queries),
        ("GET", "/sandbox/callback_queries/{query_id}", callback_query),
        ("GET", "/sandbox/commands", commands),
        ("GET", "/sandbox/files/{file_id}", file),
        ("GET", "/sandbox/api_calls", api_calls),
        ("GET", "/sandbox/updates", updates),
        ("GET", "/sandbox/events", events),
    ]
    for method, path, route in routes:
        app.router.add_route(method, path, _guarded(route))


def _news_after(sandbox: BotApiSandbox, seq: int) -> Callable[[], bool]:
    """A predicate: an event after ``seq`` exists, or the sandbox is closing."""
    return lambda: len(sandbox.events) > seq or sandbox.closed


async def _stream_events(request: web.Request, sandbox: BotApiSandbox, since: int) -> web.StreamResponse:
    """Server-Sent Events: one ``data:`` JSON event per change, ``id:`` its sequence number."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    seq = since
    try:
        while not sandbox.closed:
            for event in sandbox.events_since(seq):
                payload = json.dumps(event.to_json())
                await response.write(f"id: {event.seq}\ndata: {payload}\n\n".encode())
                seq = event.seq
            woke = await sandbox.wait_until(_news_after(sandbox, seq), _KEEPALIVE_SECONDS)
            if not woke:
                await response.write(b": keepalive\n\n")
    except ConnectionResetError:
        pass
    return response

"""``BotApiSandbox``: a local Telegram Bot API server and the residents who talk to the bot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from bot.sandbox.errors import ApiError, SandboxUsageError, not_found, unauthorized
from bot.sandbox.events import ChangeNotifier, EventLog, SandboxEvent
from bot.sandbox.faults import FaultPlan
from bot.sandbox.formatting import plain_text
from bot.sandbox.limits import COUNTED_METHODS, FloodControl, FloodLimits, FloodRefusal, FloodTarget
from bot.sandbox.media import StoredFile
from bot.sandbox.methods import BotApiMethods, Described, Handler
from bot.sandbox.models import (
    ApiCall,
    BotIdentity,
    CallbackAnswer,
    Chat,
    Command,
    Message,
    User,
)
from bot.sandbox.params import Params
from bot.sandbox.server import create_app
from bot.sandbox.state import SandboxState, command_key
from bot.sandbox.text import JsonDict
from bot.sandbox.updates import UpdateQueue

DEFAULT_TOKEN = "123456:SANDBOX-TOKEN-abcdefghijklmnopqrstuv"
DEFAULT_BOT_USERNAME = "fabrique_sandbox_bot"


class BotApiSandbox:
    """A fake Telegram: answers the Bot API for one bot and plays its residents.

    Run it with :meth:`serve` and point python-telegram-bot at it with
    ``base_url=f"{url}/bot"`` and ``base_file_url=f"{url}/file/bot"``.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = DEFAULT_BOT_USERNAME,
        *,
        bot_first_name: str = "Fabrique (sandbox)",
        latency: float = 0.0,
        clock: Callable[[], float] = time.time,
        webhook_retry_delay: float = 0.05,
        limits: FloodLimits | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("a bot token looks like '123456:ABC...'")
        self.token = token
        self.bot = BotIdentity(int(bot_id), bot_first_name, bot_username)
        self.latency = latency  # seconds added to every Bot API call
        # Telegram's flood limits (off unless ``limits`` is given): see ``bot.sandbox.limits``.
        self.flood = FloodControl(limits, monotonic)
        self.api_calls: list[ApiCall] = []
        self.too_many_requests_answered = 0  # every 429, flood control's and injected faults'
        self.url: str | None = None  # set while serving
        self._notifier = ChangeNotifier()
        self.faults = FaultPlan(self._notifier.notify)
        self._events = EventLog(self._notifier)
        self.state = SandboxState(self.bot, clock, self._events)
        self.updates = UpdateQueue(self._notifier, self.state.now, retry_delay=webhook_retry_delay)
        self.methods = BotApiMethods(self.state, self.updates)
        self.closed = False

    # -- Bot API entry point --------------------------------------------------

    async def call_api(self, token: str, method: str, params: Params) -> tuple[int, JsonDict]:
        """Run one Bot API call; return the HTTP status and JSON body, and log it."""
        found = self.methods.lookup(method)
        name = found[0] if found else method
        try:
            if token != self.token:
                raise unauthorized()
            if found is None:
                raise not_found()
            if self.latency > 0:
                await asyncio.sleep(self.latency)
            await self.faults.apply(name.lower(), params.raw("chat_id"))
            if name.lower() in COUNTED_METHODS:
                result = await self._counted_call(name, found[1], params)
            else:
                result = await found[1](params)
        except ApiError as exc:
            if exc.error_code == 429:
                self.too_many_requests_answered += 1
            self._log(ApiCall(name, params.logged(), False, None, exc.error_code, exc.description))
            return exc.error_code, exc.to_json()
        body: JsonDict = {"ok": True}
        if isinstance(result, Described):
            body.update(result=result.result, description=result.description)
        else:
            body["result"] = result
        self._log(ApiCall(name, params.logged(), True, body["result"]))
        return 200, body

    async def _counted_call(self, name: str, handler: Handler, params: Params) -> Any:
        """A call that creates a message: through flood control first."""
        admission = self.flood.admit(name, FloodTarget.of(params, self.state))
        created = False
        try:
            result = await handler(params)
            created = True
        finally:
            self.flood.settle(admission, created=created)
        return result

    @property
    def limits(self) -> FloodLimits | None:
        """The flood limits enforced (None: none); assign to change them at run time."""
        return self.flood.limits

    @limits.setter
    def limits(self, limits: FloodLimits | None) -> None:
        self.flood.limits = limits

    @property
    def flood_refusals(self) -> list[FloodRefusal]:
        """Every call flood control refused with 429, in order."""
        return self.flood.refusals

    def sent_per_second(self, since: float | None = None) -> float:
        """The achieved rate of message-creating calls (see ``FloodControl.sent_per_second``;
        ``since`` and ``self.flood.sent_times`` are on the ``monotonic`` clock)."""
        return self.flood.sent_per_second(since)

    def _log(self, call: ApiCall) -> None:
        self.api_calls.append(call)
        self._notifier.notify()

    # -- serving --------------------------------------------------------------

    def create_app(self) -> web.Application:
        """The aiohttp application: Bot API, file downloads and the ``/sandbox/`` control API."""
        return create_app(self)

    @asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Serve on ``host:port`` (0: any free port); yields the base URL."""
        runner = web.AppRunner(self.create_app(), shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            bound_host, bound_port = runner.addresses[0][:2]
            if ":" in bound_host:  # IPv6
                bound_host = f"[{bound_host}]"
            self.url = f"http://{bound_host}:{bound_port}"
            self.closed = False
            self.updates.reopen()
            yield self.url
        finally:
            await self.close()
            await runner.cleanup()
            self.url = None

    async def close(self) -> None:
        """End long polls, event streams and webhook delivery."""
        self.closed = True
        await self.updates.close()
        self._notifier.notify()

    # -- residents ------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        is_premium: bool = False,
        started: bool = True,
    ) -> User:
        """Add a resident with a private chat (``started=False``: never talked to the bot)."""
        user = User(user_id, first_name, last_name, username, language_code, is_premium)
        return self.state.add_user(user, started=started)

    def add_group(
        self,
        chat_id: int,
        title: str,
        *,
        member_ids: tuple[int, ...] | list[int] = (),
        chat_type: str = "group",
        username: str | None = None,
    ) -> Chat:
        """Add a group (or supergroup) the bot is in, with residents as members."""
        if chat_type not in ("group", "supergroup"):
            raise SandboxUsageError("chat_type must be 'group' or 'supergroup'")
        chat = Chat(chat_id, chat_type, title=title, username=username, member_ids=set(member_ids))
        return self.state.add_group(chat)

    def _sender(self, chat: Chat, user_id: int | None) -> User:
        if chat.user is not None:
            if user_id not in (None, chat.user.user_id):
                raise SandboxUsageError(f"user {user_id} is not in private chat {chat.chat_id}")
            if chat.blocked:
                raise SandboxUsageError(f"user {chat.chat_id} blocked the bot; unblock() first")
            chat.started = True
            return chat.user
        if user_id is None:
            raise SandboxUsageError(f"say which user speaks in group {chat.chat_id}")
        user = self.state.user(user_id)
        chat.member_ids.add(user_id)
        return user

    def _reply_target(self, chat: Chat, reply_to: int | None) -> Message | None:
        if reply_to is None:
            return None
        target = self.state.find_message(chat, reply_to)
        if target is None:
            raise SandboxUsageError(f"no message {reply_to} in chat {chat.chat_id}")
        return target

    async def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        entities: list[JsonDict] | None = None,
        reply_to: int | None = None,
    ) -> Message:
        """A resident sends a text message (commands, mentions, links get their entities)."""
        return await self.send_message(
            chat_id, user_id=user_id, reply_to=reply_to, text=text, entities=entities
        )

    async def send_message(
        self,
        chat_id: int,
        *,
        user_id: int | None = None,
        reply_to: int | None = None,
        **fields: Any,
    ) -> Message:
        """A resident sends any message: ``text=``, ``caption=``, or fields like ``sticker=``,
        ``location=``, ``contact=`` given as Bot API dicts."""
        chat = self.state.chat(chat_id)
        sender = self._sender(chat, user_id)
        text_fields: JsonDict = {}
        text, entities = fields.pop("text", None), fields.pop("entities", None)
        if text is not None:
            formatted = plain_text(text, entities)
            text_fields.update(text=formatted.text, entities=formatted.entities)
        caption = fields.pop("caption", None)
        caption_entities = fields.pop("caption_entities", None)
        if caption is not None:
            formatted = plain_text(caption, caption_entities)
            text_fields.update(caption=formatted.text, caption_entities=formatted.entities)
        if not text_fields and not fields:
            raise SandboxUsageError("a message needs text, a caption or content fields")
        message = self.state.add_message(
            chat,
            sender,
            **text_fields,
            content={key: value for key, value in fields.items() if value is not None},
            reply_to=self._reply_target(chat, reply_to),
        )
        self.updates.push("message", message.to_api())
        return message

    def upload(
        self, kind: str, content: bytes, *, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Store a file as if a resident uploaded it (for ``send_message(document=...)``)."""
        return self.state.store_file(kind, content, file_name, mime_type)

    async def send_document(
        self,
        chat_id: int,
        content: bytes,
        file_name: str,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        user_id: int | None = None,
    ) -> Message:
        """A resident sends a file as a document."""
        stored = self.upload("document", content, file_name=file_name, mime_type=mime_type)
        return await self.send_message(chat_id, user_id=user_id, document=stored.to_api(), caption=caption)

    async def send_photo(
        self, chat_id: int, content: bytes, *, caption: str | None = None, user_id: int | None = None
    ) -> Message:
        """A resident sends a photo (PNG, JPEG, GIF or WebP bytes)."""
        stored = self.upload("photo", content)
        if stored.width is None:
            raise SandboxUsageError("not an image the sandbox can read (PNG, JPEG, GIF, WebP)")
        return await self.send_message(chat_id, user_id=user_id, photo=[stored.to_api()], caption=caption)

    async def edit_text(
        self, chat_id: int, message_id: int, text: str, *, entities: list[JsonDict] | None = None
    ) -> Message:
        """A resident edits one of their text messages (an ``edited_message`` update)."""
        message = self.state.find_message(self.state.chat(chat_id), message_id)
        if message is None or message.from_bot or message.text is None:
            raise SandboxUsageError(f"no resident text message {message_id} in chat {chat_id}")
        formatted = plain_text(text, entities)
        self.state.edit_message(message, text=formatted.text, entities=formatted.entities)
        self.updates.push("edited_message", message.to_api())
        return message

    async def press(self, chat_id: int, message_id: int, data: str, *, user_id: int | None = None) -> str:
        """A resident presses an inline button with ``data`` on a message (not checked to
        exist, so tests can forge data); returns the callback query id."""
        chat = self.state.chat(chat_id)
        user = self._sender(chat, user_id)
        message = self.state.find_message(chat, message_id)
        if message is None:
            raise SandboxUsageError(f"no message {message_id} in chat {chat_id}")
        query = self.state.add_callback_query(user, message, data)
        self.updates.push("callback_query", query.to_api())
        return query.query_id

    async def press_button(self, chat_id: int, button_text: str, *, user_id: int | None = None) -> str:
        """Press the callback button labelled ``button_text`` on the latest bot message
        that has it; returns the callback query id."""
        for message in reversed(self.bot_messages(chat_id)):
            button = message.find_button(button_text)
            if button is None:
                continue
            if "callback_data" not in button:
                raise SandboxUsageError(f"button {button_text!r} has no callback_data: {button}")
            return await self.press(chat_id, message.message_id, button["callback_data"], user_id=user_id)
        labels = [
            button.get("text")
            for message in self.bot_messages(chat_id)
            for row in message.inline_keyboard
            for button in row
        ]
        raise SandboxUsageError(f"no button {button_text!r} in chat {chat_id}; buttons there: {labels}")

    async def inline_query(self, user_id: int, query: str) -> str:
        """A resident types ``@bot query`` in some chat; returns the inline query id."""
        inline = self.state.add_inline_query(self.state.user(user_id), query)
        self.updates.push("inline_query", inline.to_api())
        return inline.query_id

    def inline_answer(self, query_id: str) -> JsonDict | None:
        """What the bot answered to an inline query, once it has."""
        return self.state.inline_queries[query_id].answer

    async def block(self, user_id: int) -> None:
        """The resident blocks the bot: a ``my_chat_member`` update, then 403 on sends."""
        await self._set_blocked(user_id, True)

    async def unblock(self, user_id: int) -> None:
        """The resident unblocks the bot (a ``my_chat_member`` update)."""
        await self._set_blocked(user_id, False)

    async def _set_blocked(self, user_id: int, blocked: bool) -> None:
        user = self.state.user(user_id)
        chat = self.state.chat(user_id)
        if chat.blocked == blocked:
            return
        self.state.set_blocked(chat, blocked)
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        self.updates.push(
            "my_chat_member",
            {
                "chat": chat.to_api(),
                "from": user.to_api(),
                "date": self.state.now(),
                "old_chat_member": self._bot_member(old),
                "new_chat_member": self._bot_member(new),
            },
        )

    async def add_bot_to(self, chat_id: int, *, user_id: int) -> None:
        """A user adds the bot to a group or channel (a ``my_chat_member`` update)."""
        chat = self.state.chat(chat_id)
        self.updates.push(
            "my_chat_member",
            {
                "chat": chat.to_api(),
                "from": self.state.user(user_id).to_api(),
                "date": self.state.now(),
                "old_chat_member": self._bot_member("left"),
                "new_chat_member": self._bot_member("member"),
            },
        )

    def _bot_member(self, status: str) -> JsonDict:
        """The bot as a ChatMember with ``status`` (``kicked`` ones need ``until_date``)."""
        member: JsonDict = {"user": self.bot.to_api(), "status": status}
        if status == "kicked":
            member["until_date"] = 0
        return member

    # -- reading the state ----------------------------------------------------

    def user(self, user_id: int) -> User:
        """A resident."""
        return self.state.user(user_id)

    def chat(self, chat_id: int) -> Chat:
        """A chat."""
        return self.state.chat(chat_id)

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[Message]:
        """All messages of a chat (residents' and the bot's), oldest first."""
        self.state.chat(chat_id)
        return self.state.messages(chat_id, include_deleted=include_deleted)

    def bot_messages(self, chat_id: int, *, include_deleted: bool = False) -> list[Message]:
        """The bot's messages in a chat, current state, oldest first."""
        return [m for m in self.messages(chat_id, include_deleted=include_deleted) if m.from_bot]

    def last_bot_message(self, chat_id: int) -> Message:
        """The bot's latest (not deleted) message in a chat."""
        messages = self.bot_messages(chat_id)
        if not messages:
            raise SandboxUsageError(f"the bot has sent no message in chat {chat_id}")
        return messages[-1]

    def callback_answer(self, query_id: str) -> CallbackAnswer | None:
        """The bot's answer to a callback query, None if not answered (yet)."""
        query = self.state.callback_queries.get(query_id)
        if query is None:
            raise SandboxUsageError(f"unknown callback query {query_id}")
        return query.answer

    def commands(self, scope: JsonDict | None = None, language_code: str = "") -> list[dict[str, str]]:
        """Commands (BotCommand dicts) registered for exactly this scope (default scope if
        None) and language."""
        return _command_dicts(self.state.commands.get(command_key(scope, language_code), []))

    def visible_commands(self, chat_id: int, user_id: int | None = None) -> list[dict[str, str]]:
        """The commands (BotCommand dicts) a resident's Telegram app shows in a chat: the
        most specific scope and language that has some, like Telegram's fallback."""
        chat = self.state.chat(chat_id)
        user = chat.user or (self.state.user(user_id) if user_id is not None else None)
        languages = [user.language_code, ""] if user and user.language_code else [""]
        kind = "all_private_chats" if chat.type == "private" else "all_group_chats"
        scopes: list[JsonDict] = []
        if user is not None and chat.type != "private":
            scopes.append({"type": "chat_member", "chat_id": chat_id, "user_id": user.user_id})
        scopes += [{"type": "chat", "chat_id": chat_id}, {"type": kind}, {"type": "default"}]
        for scope in scopes:
            for language in languages:
                commands = self.state.commands.get(command_key(scope, language))
                if commands:
                    return _command_dicts(commands)
        return []

    def file(self, file_id: str) -> StoredFile:
        """A stored file (uploaded by the bot or a resident)."""
        try:
            return self.state.files[file_id]
        except KeyError:
            raise SandboxUsageError(f"unknown file {file_id}") from None

    def chat_actions(self, chat_id: int) -> list[str]:
        """Chat actions (``typing``...) the bot sent to a chat, in order."""
        return list(self.state.chat_actions.get(chat_id, []))

    @property
    def events(self) -> list[SandboxEvent]:
        """Every change so far (what ``/sandbox/events`` streams)."""
        return self._events.events

    def events_since(self, seq: int) -> list[SandboxEvent]:
        """Events numbered after ``seq``."""
        return self._events.since(seq)

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates the bot has not confirmed yet."""
        return self.updates.pending

    # -- waiting --------------------------------------------------------------

    async def wait_until(self, predicate: Callable[[], bool], within: float | None) -> bool:
        """Wait for ``predicate()``, re-checked after every change; False after ``within`` s."""
        return await self._notifier.wait_until(predicate, within)

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the condition, not for I/O
        *,
        what: str | None = None,
    ) -> None:
        """Wait until ``predicate()`` holds, re-checked after every Bot API call and update;
        raise TimeoutError describing the recent activity if it does not within ``timeout``."""
        if await self._notifier.wait_until(predicate, timeout):
            return
        calls = "\n".join(
            f"  {c.method} {c.params} -> {'ok' if c.ok else c.description}" for c in self.api_calls[-8:]
        )
        events = "\n".join(f"  {e.type} chat={e.chat_id} {e.data}" for e in self.events[-8:])
        raise TimeoutError(
            f"{what or getattr(predicate, '__name__', 'condition')} not met within {timeout}s\n"
            f"last Bot API calls:\n{calls or '  (none)'}\nlast events:\n{events or '  (none)'}\n"
            f"pending updates: {len(self.updates.pending)}"
        )

    async def wait_for_bot_messages(
        self,
        chat_id: int,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the condition, not for I/O
    ) -> list[Message]:
        """Wait until the bot has at least ``count`` messages in a chat; return them."""
        await self.wait_for(
            lambda: len(self.bot_messages(chat_id)) >= count,
            timeout,
            what=f"{count} bot message(s) in chat {chat_id}",
        )
        return self.bot_messages(chat_id)


def _command_dicts(commands: list[Command]) -> list[dict[str, str]]:
    return [{"command": c.command, "description": c.description} for c in commands]

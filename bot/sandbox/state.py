"""The sandbox's state: residents, chats, messages, files, callback queries and commands.

Every change is recorded in the event log (which wakes waiters).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.sandbox.errors import SandboxUsageError, bad_request, forbidden
from bot.sandbox.events import EventLog
from bot.sandbox.media import StoredFile, make_stored_file
from bot.sandbox.models import (
    BotIdentity,
    CallbackAnswer,
    CallbackQuery,
    Chat,
    Command,
    InlineQuery,
    Message,
    Sender,
    User,
)
from bot.sandbox.text import JsonDict

CommandKey = tuple[str, str]  # (canonical JSON of the scope, language code)
DEFAULT_SCOPE: JsonDict = {"type": "default"}


def command_key(scope: JsonDict | None, language_code: str) -> CommandKey:
    """The storage key of a (scope, language) pair of commands."""
    return json.dumps(scope or DEFAULT_SCOPE, sort_keys=True), language_code


class SandboxState:
    """Everything Telegram would know about the bot's world."""

    def __init__(self, bot: BotIdentity, clock: Callable[[], float], events: EventLog) -> None:
        self.bot = bot
        self.events = events
        self._clock = clock
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self._messages: dict[int, dict[int, Message]] = {}
        self._last_message_id: dict[int, int] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.inline_queries: dict[str, InlineQuery] = {}
        self.commands: dict[CommandKey, list[Command]] = {}
        self.chat_actions: dict[int, list[str]] = {}  # per chat, in order
        self._by_username: dict[str, Chat] = {}  # groups by lowercase username

    def now(self) -> int:
        """The current Unix time, as Telegram dates are."""
        return int(self._clock())

    # -- residents and chats -------------------------------------------------

    def add_user(self, user: User, *, started: bool) -> User:
        """Register a resident and its private chat with the bot."""
        if user.user_id in self.users or user.user_id in self.chats:
            raise SandboxUsageError(f"user {user.user_id} already exists")
        if user.user_id <= 0:
            raise SandboxUsageError("user ids must be positive")
        self.users[user.user_id] = user
        self.chats[user.user_id] = Chat(
            user.user_id, "private", user=user, member_ids={user.user_id}, started=started
        )
        self._messages[user.user_id] = {}
        self.events.emit("user_added", user.user_id, user=user.to_api())
        return user

    def add_group(self, chat: Chat) -> Chat:
        """Register a group or supergroup the bot is a member of."""
        if chat.chat_id in self.chats:
            raise SandboxUsageError(f"chat {chat.chat_id} already exists")
        if chat.chat_id >= 0:
            raise SandboxUsageError("group chat ids must be negative")
        for member_id in chat.member_ids:
            self.user(member_id)
        self.chats[chat.chat_id] = chat
        self._messages[chat.chat_id] = {}
        if chat.username:
            self._by_username[chat.username.lower()] = chat
        self.events.emit("chat_added", chat.chat_id, chat=chat.to_view())
        return chat

    def user(self, user_id: int) -> User:
        """A known resident (for resident-side actions)."""
        try:
            return self.users[user_id]
        except KeyError:
            raise SandboxUsageError(f"unknown user {user_id}; add it with add_user()") from None

    def chat(self, chat_id: int) -> Chat:
        """A known chat (for resident-side actions)."""
        try:
            return self.chats[chat_id]
        except KeyError:
            raise SandboxUsageError(f"unknown chat {chat_id}") from None

    def resolve_chat(self, chat_ref: int | str) -> Chat:
        """The chat a Bot API ``chat_id`` designates, or ``chat not found``."""
        if isinstance(chat_ref, str):
            name = chat_ref.removeprefix("@").lower()
            indexed = self._by_username.get(name)
            if indexed is not None and (indexed.username or "").lower() == name:
                return indexed
            for chat in self.chats.values():  # a username changed after add_group()
                if chat.type != "private" and (chat.username or "").lower() == name:
                    return chat
            raise bad_request("chat not found")
        found = self.chats.get(chat_ref)
        if found is None:
            raise bad_request("chat not found")
        return found

    def writable_chat(self, chat_ref: int | str) -> Chat:
        """A chat the bot may post to, or Telegram's 400/403 error."""
        chat = self.resolve_chat(chat_ref)
        if chat.blocked:
            raise forbidden("bot was blocked by the user")
        if not chat.started:
            raise forbidden("bot can't initiate conversation with a user")
        return chat

    def set_blocked(self, chat: Chat, blocked: bool) -> None:
        """Record that the resident blocked or unblocked the bot."""
        chat.blocked = blocked
        status = "kicked" if blocked else "member"
        self.events.emit("member_status", chat.chat_id, status=status)

    def user_api(self, user_id: int) -> JsonDict | None:
        """A known resident as a User object (for text mentions)."""
        user = self.users.get(user_id)
        return user.to_api() if user is not None else None

    # -- messages -------------------------------------------------------------

    def add_message(self, chat: Chat, sender: Sender, **fields: Any) -> Message:
        """Append a message to ``chat`` with the next message id."""
        message_id = self._last_message_id.get(chat.chat_id, 0) + 1
        self._last_message_id[chat.chat_id] = message_id
        message = Message(chat=chat, message_id=message_id, date=self.now(), sender=sender, **fields)
        self._messages[chat.chat_id][message_id] = message
        self.events.emit("message", chat.chat_id, message=message.to_view())
        return message

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[Message]:
        """Messages of a chat in order."""
        return [m for m in self._messages[chat_id].values() if include_deleted or not m.deleted]

    def find_message(self, chat: Chat, message_id: int | None) -> Message | None:
        """A message of ``chat`` that still exists."""
        message = self._messages[chat.chat_id].get(message_id or 0)
        return None if message is None or message.deleted else message

    def edit_message(self, message: Message, **changes: Any) -> Message:
        """Change a message's content, keeping the previous content in its history."""
        message.history.append(message.revision())
        for name, value in changes.items():
            setattr(message, name, value)
        message.edit_date = self.now()
        self.events.emit("message_edited", message.chat_id, message=message.to_view())
        return message

    def delete_message(self, message: Message) -> None:
        """Mark a message deleted."""
        message.deleted = True
        self.events.emit("message_deleted", message.chat_id, message_id=message.message_id)

    # -- files, callback queries, commands -----------------------------------

    def store_file(
        self, kind: str, content: bytes, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        """Keep an uploaded file and give it an id and a download path."""
        stored = make_stored_file(len(self.files) + 1, kind, content, file_name, mime_type)
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    def add_callback_query(self, user: User, message: Message, data: str) -> CallbackQuery:
        """Record a button press."""
        query_id = f"{self.bot.bot_id}{len(self.callback_queries) + 1:010d}"
        query = CallbackQuery(query_id, user, message, data)
        self.callback_queries[query_id] = query
        self.events.emit("callback_query", message.chat_id, query=query.to_view())
        return query

    def answer_callback_query(self, query_id: str, answer: CallbackAnswer) -> None:
        """Record the bot's answer to a button press, once."""
        query = self.callback_queries.get(query_id)
        if query is None or query.answer is not None:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        query.answer = answer
        self.events.emit("callback_answer", query.message.chat_id, query=query.to_view())

    def add_inline_query(self, user: User, query: str) -> InlineQuery:
        query_id = f"{self.bot.bot_id}{len(self.inline_queries) + 1:010d}"
        inline = InlineQuery(query_id, user, query)
        self.inline_queries[query_id] = inline
        return inline

    def answer_inline_query(self, query_id: str, answer: JsonDict) -> None:
        """Record the bot's answer to an inline query, once."""
        query = self.inline_queries.get(query_id)
        if query is None or query.answer is not None:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        query.answer = answer

    def chat_action(self, chat: Chat, action: str) -> None:
        """Record a chat action (typing...)."""
        self.chat_actions.setdefault(chat.chat_id, []).append(action)
        self.events.emit("chat_action", chat.chat_id, action=action)

    def set_commands(self, key: CommandKey, commands: list[Command]) -> None:
        """Register (or with an empty list, remove) commands for a scope and language."""
        if commands:
            self.commands[key] = commands
        else:
            self.commands.pop(key, None)
        self.events.emit(
            "commands_changed",
            None,
            scope=json.loads(key[0]),
            language_code=key[1],
            commands=[command.to_api() for command in commands],
        )

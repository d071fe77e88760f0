"""The sandbox's world: the bot, residents, chats, messages, callback queries, commands."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.text import JsonDict


@dataclass(frozen=True)
class BotIdentity:
    """The bot the sandbox impersonates Telegram for."""

    bot_id: int
    first_name: str
    username: str

    def to_api(self) -> JsonDict:
        """The bot as a User object."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }


@dataclass
class User:
    """A resident: a human Telegram user talking to the bot."""

    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_premium: bool = False

    def to_api(self) -> JsonDict:
        """The User object."""
        body: JsonDict = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                body[key] = getattr(self, key)
        if self.is_premium:
            body["is_premium"] = True
        return body


Sender = User | BotIdentity


@dataclass
class Chat:
    """A private chat with a resident, or a group the bot is in."""

    chat_id: int
    type: str  # "private", "group" or "supergroup"
    user: User | None = None  # the resident of a private chat
    title: str | None = None
    username: str | None = None
    member_ids: set[int] = field(default_factory=set)
    blocked: bool = False  # private chat: the resident blocked the bot
    started: bool = True  # private chat: the resident has talked to the bot

    def to_api(self) -> JsonDict:
        """The Chat object embedded in messages."""
        body: JsonDict = {"id": self.chat_id, "type": self.type}
        if self.user is not None:
            body["first_name"] = self.user.first_name
            if self.user.last_name is not None:
                body["last_name"] = self.user.last_name
            if self.user.username is not None:
                body["username"] = self.user.username
        else:
            body["title"] = self.title
            if self.username is not None:
                body["username"] = self.username
        return body

    def to_view(self) -> JsonDict:
        """The control API's description of the chat."""
        return {
            **self.to_api(),
            "member_ids": sorted(self.member_ids),
            "blocked": self.blocked,
            "started": self.started,
        }


@dataclass(frozen=True)
class MessageRevision:
    """The content a message had before an edit."""

    date: int
    text: str | None
    entities: list[JsonDict]
    caption: str | None
    reply_markup: JsonDict | None

    def to_view(self) -> JsonDict:
        """JSON form."""
        return {
            "date": self.date,
            "text": self.text,
            "entities": self.entities,
            "caption": self.caption,
            "reply_markup": self.reply_markup,
        }


@dataclass
class Message:
    """A message in a chat, from a resident or from the bot, in its current state."""

    chat: Chat
    message_id: int
    date: int
    sender: Sender
    text: str | None = None
    entities: list[JsonDict] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JsonDict] = field(default_factory=list)
    reply_markup: JsonDict | None = None  # as sent, reply keyboards included
    content: JsonDict = field(default_factory=dict)  # document, photo, sticker, location...
    reply_to: Message | None = None
    options: JsonDict = field(default_factory=dict)  # link_preview_options, protected...
    edit_date: int | None = None
    history: list[MessageRevision] = field(default_factory=list)
    deleted: bool = False

    @property
    def chat_id(self) -> int:
        """The chat's id."""
        return self.chat.chat_id

    @property
    def from_bot(self) -> bool:
        """True when the bot sent this message."""
        return isinstance(self.sender, BotIdentity)

    @property
    def inline_keyboard(self) -> list[list[JsonDict]]:
        """Rows of inline buttons, empty without an inline keyboard."""
        rows: list[list[JsonDict]] = (self.reply_markup or {}).get("inline_keyboard", [])
        return rows

    def find_button(self, text: str) -> JsonDict | None:
        """The inline button labelled ``text``, if any."""
        for row in self.inline_keyboard:
            for button in row:
                if button.get("text") == text:
                    return button
        return None

    def revision(self) -> MessageRevision:
        """The current content, to keep in the history before an edit."""
        return MessageRevision(
            self.edit_date or self.date, self.text, self.entities, self.caption, self.reply_markup
        )

    def to_api(self, *, with_reply: bool = True) -> JsonDict:
        """The Message object, as the Bot API returns and delivers it."""
        body: JsonDict = {
            "message_id": self.message_id,
            "from": self.sender.to_api(),
            "chat": self.chat.to_api(),
            "date": self.date,
        }
        if self.edit_date is not None:
            body["edit_date"] = self.edit_date
        if with_reply and self.reply_to is not None:
            body["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        if self.text is not None:
            body["text"] = self.text
            if self.entities:
                body["entities"] = self.entities
        body.update(self.content)
        if self.caption is not None:
            body["caption"] = self.caption
            if self.caption_entities:
                body["caption_entities"] = self.caption_entities
        body.update(self.options)
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            body["reply_markup"] = {"inline_keyboard": self.reply_markup["inline_keyboard"]}
        return body

    def to_view(self) -> JsonDict:
        """The control API's description: API fields plus sandbox state."""
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "from_bot": self.from_bot,
            "sender_id": self.sender.to_api()["id"],
            "date": self.date,
            "edit_date": self.edit_date,
            "text": self.text,
            "entities": self.entities,
            "caption": self.caption,
            "caption_entities": self.caption_entities,
            "reply_markup": self.reply_markup,
            "content": self.content,
            "reply_to_message_id": self.reply_to.message_id if self.reply_to else None,
            "options": self.options,
            "deleted": self.deleted,
            "history": [revision.to_view() for revision in self.history],
        }


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot answered to a callback query."""

    text: str | None
    show_alert: bool
    url: str | None = None
    cache_time: int = 0


@dataclass
class InlineQuery:
    """A resident typing ``@bot …`` in any chat; the bot answers with results and a button."""

    query_id: str
    user: User
    query: str
    answer: JsonDict | None = None

    def to_api(self) -> JsonDict:
        return {
            "id": self.query_id,
            "from": self.user.to_api(),
            "query": self.query,
            "offset": "",
            "chat_type": "sender",
        }


@dataclass
class CallbackQuery:
    """A button press by a resident."""

    query_id: str
    user: User
    message: Message
    data: str
    answer: CallbackAnswer | None = None

    def to_api(self) -> JsonDict:
        """The CallbackQuery object delivered in an update."""
        return {
            "id": self.query_id,
            "from": self.user.to_api(),
            "message": self.message.to_api(),
            "chat_instance": str(abs(hash(("chat", self.message.chat_id))) % 10**18),
            "data": self.data,
        }

    def to_view(self) -> JsonDict:
        """The control API's description."""
        answer = self.answer
        return {
            "query_id": self.query_id,
            "user_id": self.user.user_id,
            "chat_id": self.message.chat_id,
            "message_id": self.message.message_id,
            "data": self.data,
            "answered": answer is not None,
            "answer": None
            if answer is None
            else {"text": answer.text, "show_alert": answer.show_alert, "url": answer.url},
        }


@dataclass(frozen=True)
class Command:
    """A bot command as registered with setMyCommands."""

    command: str
    description: str

    def to_api(self) -> JsonDict:
        """The BotCommand object."""
        return {"command": self.command, "description": self.description}


@dataclass(frozen=True)
class ApiCall:
    """One Bot API call received by the sandbox, with its outcome."""

    method: str
    params: dict[str, Any]
    ok: bool
    result: Any = None
    error_code: int | None = None
    description: str | None = None

    def to_view(self) -> JsonDict:
        """JSON form."""
        return {
            "method": self.method,
            "params": self.params,
            "ok": self.ok,
            "result": self.result,
            "error_code": self.error_code,
            "description": self.description,
        }

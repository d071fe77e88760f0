"""Bot API method handlers: validate parameters like Telegram, act on the state."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.sandbox.errors import bad_request
from bot.sandbox.formatting import FormattedText, format_text
from bot.sandbox.keyboards import parse_inline_markup, parse_reply_markup
from bot.sandbox.media import StoredFile, image_size
from bot.sandbox.models import CallbackAnswer, Chat, Command, Message
from bot.sandbox.params import Params, UploadedFile
from bot.sandbox.state import SandboxState, command_key
from bot.sandbox.text import JsonDict
from bot.sandbox.updates import UpdateQueue

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
_SCOPE_TYPES = frozenset(
    {
        "default", "all_private_chats", "all_group_chats", "all_chat_administrators",
        "chat", "chat_administrators", "chat_member",
    }
)  # fmt: skip
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")

Handler = Callable[[Params], Awaitable[Any]]


@dataclass(frozen=True)
class Described:
    """A result that Telegram answers with a ``description`` too (webhook methods)."""

    result: Any
    description: str


class BotApiMethods:
    """The Bot API methods the sandbox implements, by canonical name."""

    def __init__(self, state: SandboxState, updates: UpdateQueue) -> None:
        self.state = state
        self.updates = updates
        handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "logOut": self.log_out,
            "close": self.close,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "sendMessage": self.send_message,
            "sendDocument": self.send_document,
            "sendPhoto": self.send_photo,
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "answerInlineQuery": self.answer_inline_query,
            "sendChatAction": self.send_chat_action,
            "getFile": self.get_file,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
        }
        self._by_lower = {name.lower(): (name, handler) for name, handler in handlers.items()}

    def lookup(self, method: str) -> tuple[str, Handler] | None:
        """(canonical name, handler) for a method name in any case, or None."""
        return self._by_lower.get(method.lower())

    # -- bot and updates ------------------------------------------------------

    async def get_me(self, p: Params) -> JsonDict:
        """getMe."""
        return {
            **self.state.bot.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def log_out(self, p: Params) -> bool:
        """logOut (accepted, nothing to do locally)."""
        return True

    async def close(self, p: Params) -> bool:
        """close (accepted, nothing to do locally)."""
        return True

    async def get_updates(self, p: Params) -> list[JsonDict]:
        """getUpdates with offset, limit, long-polling timeout and allowed_updates."""
        return await self.updates.get_updates(
            offset=p.integer("offset") or 0,
            limit=p.integer("limit") or 100,
            poll_seconds=p.number("timeout") or 0.0,
            allowed_updates=_allowed_updates(p),
        )

    async def set_webhook(self, p: Params) -> Described:
        """setWebhook; an empty url removes the webhook like Telegram."""
        url = (p.string("url") or "").strip()
        if not url:
            return await self.delete_webhook(p)
        if not re.match(r"^https?://[^/\s]+", url, re.IGNORECASE):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.string("secret_token")
        if secret is not None and not _SECRET_TOKEN.match(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = min(max(p.integer("max_connections") or 40, 1), 100)
        self.updates.set_webhook(
            url, secret, max_connections, _allowed_updates(p), p.boolean("drop_pending_updates")
        )
        return Described(True, "Webhook was set")

    async def delete_webhook(self, p: Params) -> Described:
        """deleteWebhook."""
        was_set = self.updates.delete_webhook(p.boolean("drop_pending_updates"))
        return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    async def get_webhook_info(self, p: Params) -> JsonDict:
        """getWebhookInfo."""
        return self.updates.webhook_info()

    # -- sending --------------------------------------------------------------

    async def send_message(self, p: Params) -> JsonDict:
        """sendMessage."""
        chat = self.state.writable_chat(p.chat_id())
        formatted = self._message_text(p)
        options: JsonDict = {}
        link_preview = p.json("link_preview_options")
        if isinstance(link_preview, dict) and link_preview:
            options["link_preview_options"] = link_preview
        message = self.state.add_message(
            chat,
            self.state.bot,
            text=formatted.text,
            entities=formatted.entities,
            **self._common_fields(p, chat),
            options=options | self._protection(p),
        )
        return message.to_api()

    async def send_document(self, p: Params) -> JsonDict:
        """sendDocument (multipart upload or file_id)."""
        return await self._send_media(p, "document")

    async def send_photo(self, p: Params) -> JsonDict:
        """sendPhoto (multipart upload or file_id)."""
        return await self._send_media(p, "photo")

    async def _send_media(self, p: Params, kind: str) -> JsonDict:
        chat = self.state.writable_chat(p.chat_id())
        value = p.input_file(kind)
        if value is None:
            raise bad_request(f"there is no {kind} in the request")
        stored = self._file_for(kind, value)
        caption = self._caption(p)
        content = {"photo": [stored.to_api()]} if kind == "photo" else {kind: stored.to_api()}
        message = self.state.add_message(
            chat,
            self.state.bot,
            caption=caption.text if caption else None,
            caption_entities=caption.entities if caption else [],
            content=content,
            **self._common_fields(p, chat),
            options=self._protection(p),
        )
        return message.to_api()

    def _file_for(self, kind: str, value: UploadedFile | str) -> StoredFile:
        if isinstance(value, UploadedFile):
            if not value.content:
                raise bad_request("file must be non-empty")
            if kind == "photo" and image_size(value.content) is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            return self.state.store_file(kind, value.content, value.filename, value.content_type)
        if re.match(r"^https?://", value, re.IGNORECASE):
            raise bad_request("failed to get HTTP URL content")
        stored = self.state.files.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request(f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}")
        return stored

    def _caption(self, p: Params) -> FormattedText | None:
        caption = p.string("caption")
        if not caption:
            return None
        formatted = self._format(caption, p.string("parse_mode"), p.json("caption_entities"))
        if len(formatted.text) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        return formatted if formatted.text else None

    def _format(self, text: str, parse_mode: str | None, entities: Any) -> FormattedText:
        return format_text(text, parse_mode, entities, self.state.user_api)

    def _message_text(self, p: Params) -> FormattedText:
        """The ``text`` of sendMessage and editMessageText, parsed and checked as Telegram does."""
        text = p.string("text")
        if not text:
            raise bad_request("message text is empty")
        formatted = self._format(text, p.string("parse_mode"), p.json("entities"))
        if not formatted.text:
            raise bad_request("message text is empty")
        if len(formatted.text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        return formatted

    def _common_fields(self, p: Params, chat: Chat) -> JsonDict:
        """reply_markup and reply target, shared by the send methods."""
        return {
            "reply_markup": parse_reply_markup(
                p.json("reply_markup", "can't parse reply keyboard markup JSON object")
            ),
            "reply_to": self._reply_target(p, chat),
        }

    @staticmethod
    def _protection(p: Params) -> JsonDict:
        return {"has_protected_content": True} if p.boolean("protect_content") else {}

    def _reply_target(self, p: Params, chat: Chat) -> Message | None:
        reply = p.json("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply"))
        else:
            message_id = p.integer("reply_to_message_id")
            allow_missing = p.boolean("allow_sending_without_reply")
        if message_id is None:
            return None
        target = self.state.find_message(chat, int(message_id))
        if target is None and not allow_missing:
            raise bad_request("message to be replied not found")
        return target

    # -- editing and deleting -------------------------------------------------

    def _message_to_edit(self, p: Params) -> Message:
        if "inline_message_id" in p:
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self.state.writable_chat(p.chat_id())
        message_id = p.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = self.state.find_message(chat, message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    async def edit_message_text(self, p: Params) -> JsonDict:
        """editMessageText; without reply_markup the inline keyboard is removed."""
        message = self._message_to_edit(p)
        formatted = self._message_text(p)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        markup = self._edit_markup(p, message)
        if (formatted.text, formatted.entities, markup) == (
            message.text,
            message.entities,
            message.reply_markup,
        ):
            raise bad_request(_NOT_MODIFIED)
        self.state.edit_message(
            message, text=formatted.text, entities=formatted.entities, reply_markup=markup
        )
        return message.to_api()

    async def edit_message_reply_markup(self, p: Params) -> JsonDict:
        """editMessageReplyMarkup; without reply_markup the inline keyboard is removed."""
        message = self._message_to_edit(p)
        markup = self._edit_markup(p, message)
        if markup == message.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        self.state.edit_message(message, reply_markup=markup)
        return message.to_api()

    @staticmethod
    def _edit_markup(p: Params, message: Message) -> JsonDict | None:
        """The markup after an edit: the new inline keyboard, or a reply keyboard kept."""
        markup = parse_inline_markup(p.json("reply_markup", "can't parse reply keyboard markup JSON object"))
        current = message.reply_markup
        if markup is None and current is not None and "inline_keyboard" not in current:
            return current
        return markup

    async def delete_message(self, p: Params) -> bool:
        """deleteMessage."""
        chat = self.state.writable_chat(p.chat_id())
        message = self.state.find_message(chat, p.integer("message_id"))
        if message is None:
            raise bad_request("message to delete not found")
        self.state.delete_message(message)
        return True

    # -- interactions ---------------------------------------------------------

    async def answer_callback_query(self, p: Params) -> bool:
        """answerCallbackQuery."""
        query_id = p.string("callback_query_id") or ""
        text = p.string("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        answer = CallbackAnswer(
            text=text or None,
            show_alert=p.boolean("show_alert"),
            url=p.string("url"),
            cache_time=p.integer("cache_time") or 0,
        )
        self.state.answer_callback_query(query_id, answer)
        return True

    async def answer_inline_query(self, p: Params) -> bool:
        """answerInlineQuery: results and the optional button are recorded as given."""
        query_id = p.string("inline_query_id") or ""
        results = p.json("results", "results must be a JSON array")
        if not isinstance(results, list):
            raise bad_request("results must be a JSON array")
        button = p.json("button", "button must be a JSON object") if "button" in p else None
        self.state.answer_inline_query(
            query_id,
            {
                "results": results,
                "button": button,
                "cache_time": p.integer("cache_time"),
                "is_personal": p.boolean("is_personal"),
            },
        )
        return True

    async def send_chat_action(self, p: Params) -> bool:
        """sendChatAction."""
        chat = self.state.writable_chat(p.chat_id())
        action = p.string("action") or ""
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.state.chat_action(chat, action)
        return True

    async def get_file(self, p: Params) -> JsonDict:
        """getFile: the path to download at ``/file/bot<token>/<file_path>``."""
        stored = self.state.files.get(p.string("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.file_info()

    # -- commands -------------------------------------------------------------

    async def set_my_commands(self, p: Params) -> bool:
        """setMyCommands for a scope and language."""
        commands = p.json("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        parsed = [_command(item) for item in commands]
        self.state.set_commands(self._command_key(p), parsed)
        return True

    async def get_my_commands(self, p: Params) -> list[JsonDict]:
        """getMyCommands for exactly this scope and language (no fallback)."""
        commands = self.state.commands.get(self._command_key(p), [])
        return [command.to_api() for command in commands]

    async def delete_my_commands(self, p: Params) -> bool:
        """deleteMyCommands."""
        self.state.set_commands(self._command_key(p), [])
        return True

    def _command_key(self, p: Params) -> tuple[str, str]:
        language = p.string("language_code") or ""
        if language and not _LANGUAGE_CODE.match(language):
            raise bad_request("invalid language code specified")
        scope = p.json("scope")
        if scope is None:
            return command_key(None, language)
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise bad_request("can't parse BotCommandScope JSON object")
        normalized = dict(scope)
        if "chat_id" in scope:
            normalized["chat_id"] = self.state.resolve_chat(_chat_ref(scope["chat_id"])).chat_id
        elif scope["type"] in ("chat", "chat_administrators", "chat_member"):
            raise bad_request("chat_id is empty")
        return command_key(normalized, language)


def _allowed_updates(p: Params) -> list[str] | None:
    value = p.json("allowed_updates")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise bad_request("can't parse allowed_updates JSON object")
    return value


def _chat_ref(value: Any) -> int | str:
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return str(value)


def _command(item: Any) -> Command:
    if not isinstance(item, dict):
        raise bad_request("can't parse BotCommand JSON object")
    command = str(item.get("command", "")).removeprefix("/")
    description = str(item.get("description", "")).strip()
    if not _COMMAND.match(command):
        raise bad_request("BOT_COMMAND_INVALID")
    if not 1 <= len(description) <= 256:
        raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    return Command(command, description)

"""A resident's Telegram app, driven through the sandbox: type, tap, and read what the bot shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.sandbox import BotApiSandbox
from bot.sandbox.models import Message

TIMEOUT = 10.0


class Phone:
    def __init__(self, sandbox: BotApiSandbox, user_id: int, language_code: str | None) -> None:
        self.sandbox = sandbox
        self.user_id = user_id
        sandbox.add_user(user_id=user_id, first_name=f"Resident {user_id}", language_code=language_code)

    @property
    def messages(self) -> list[Message]:
        """The bot's messages in this chat, as they are now."""
        return self.sandbox.bot_messages(self.user_id)

    @property
    def last(self) -> Message:
        return self.messages[-1]

    @property
    def text(self) -> str:
        """The text of the bot's latest message."""
        return self.last.text or ""

    def buttons(self, message: Message | None = None) -> list[str]:
        shown = message or self.last
        return [button["text"] for row in shown.inline_keyboard for button in row]

    async def wait_for_message(self, wanted: Callable[[Message], bool], *, after: int) -> Message:
        """The first of the bot's messages after the ``after``-th that is ``wanted``."""
        await self.sandbox.wait_for(lambda: any(wanted(m) for m in self.messages[after:]), timeout=TIMEOUT)
        return next(m for m in self.messages[after:] if wanted(m))

    async def _until_new_message(self, before: int) -> Message:
        await self.sandbox.wait_for(lambda: len(self.messages) > before, timeout=TIMEOUT)
        return self.last

    async def send(self, text: str) -> Message:
        """Type a message; returns the bot's reply (the bot answers every message with one)."""
        before = len(self.messages)
        await self.sandbox.send_text(self.user_id, text)
        return await self._until_new_message(before)

    async def send_other(self, **content: Any) -> Message:
        """Send a message without text (sticker, photo, voice…); returns the bot's reply."""
        before = len(self.messages)
        await self.sandbox.send_message(self.user_id, **content)
        return await self._until_new_message(before)

    def _holding(self, label: str) -> Message:
        for message in reversed(self.messages):
            if message.find_button(label) is not None:
                return message
        raise AssertionError(f"no button {label!r}; last message has {self.buttons()}")

    async def tap(self, label: str, *, on: Message | None = None) -> Message:
        """Tap a button that leads to a new message; returns it."""
        before = len(self.messages)
        query = await self._press(label, on)
        await self.sandbox.wait_for(lambda: self.sandbox.callback_answer(query) is not None, timeout=TIMEOUT)
        return await self._until_new_message(before)

    async def tap_in_place(self, label: str, *, on: Message | None = None) -> Message:
        """Tap a button that changes its own message; returns the message once edited."""
        message = on or self._holding(label)
        edits = len(message.history)
        query = await self._press(label, message)
        await self.sandbox.wait_for(
            lambda: self.sandbox.callback_answer(query) is not None and len(message.history) > edits,
            timeout=TIMEOUT,
        )
        return message

    async def tap_for_toast(self, label: str, *, on: Message | None = None) -> str:
        """Tap a button that only answers with a notification; returns its text."""
        query = await self._press(label, on)
        await self.sandbox.wait_for(lambda: self.sandbox.callback_answer(query) is not None, timeout=TIMEOUT)
        return str(self.toast(query))

    def toast(self, query: str) -> str | None:
        answer = self.sandbox.callback_answer(query)
        assert answer is not None
        return answer.text

    async def _press(self, label: str, on: Message | None) -> str:
        message = on or self._holding(label)
        button = message.find_button(label)
        assert button is not None, f"no button {label!r} on that message: {self.buttons(message)}"
        return await self.sandbox.press(self.user_id, message.message_id, button["callback_data"])

    async def press_data(self, message: Message, data: str) -> str:
        """Press with arbitrary (possibly forged) callback data; returns the query id."""
        return await self.sandbox.press(self.user_id, message.message_id, data)

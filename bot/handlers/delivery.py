"""The Telegram side of sending: flood control for every request, and broadcast delivery."""

from __future__ import annotations

from typing import Any

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter, ExtBot

from bot.dialogs.screen import Screen
from bot.handlers.outbox import retry_seconds
from bot.handlers.render import markup, message_entities
from bot.services.broadcasts import SendResult
from bot.services.pacing import Pacer

COUNTED = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendAudio", "sendVideo", "sendVoice", "sendSticker",
     "sendAnimation", "sendLocation", "sendContact", "sendPoll", "copyMessage", "forwardMessage",
     "sendMediaGroup"}
)  # fmt: skip
BROADCAST = {"broadcast": True}
DIALOG_RETRIES = 3


class FloodGate(BaseRateLimiter[dict[str, Any]]):
    """python-telegram-bot's rate limiter hook, backed by the shared :class:`Pacer`.

    Replies to residents go out ahead of broadcasts, within their chat's own budget; broadcast
    requests (``rate_limit_args=BROADCAST``) were already paced by the engine. A 429 on a reply
    holds that chat only and the reply is tried again; a broadcast's 429 is the engine's to
    handle (it holds all broadcasting).
    """

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> Any:
        broadcast = bool(rate_limit_args and rate_limit_args.get("broadcast"))
        chat_id = data.get("chat_id")
        if endpoint in COUNTED and not broadcast:
            await self.pacer.reply(chat_id if isinstance(chat_id, int) else None)
        for attempt in range(DIALOG_RETRIES):
            await self.pacer.wait_unpaused()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if broadcast or attempt == DIALOG_RETRIES - 1 or not isinstance(chat_id, int):
                    raise
                self.pacer.pause_chat(chat_id, retry_seconds(exc))
                await self.pacer.reply(chat_id)
        raise AssertionError("unreachable")


class TelegramMessenger:
    """Sends one announcement and says what became of it, in the engine's words."""

    def __init__(self, bot: ExtBot[Any], *, paid: bool = False) -> None:
        self.bot = bot
        self.paid = paid

    async def announce(self, chat_id: int, message: Screen) -> SendResult:
        try:
            await self.bot.send_message(
                chat_id,
                message.text,
                entities=message_entities(message),
                reply_markup=markup(message),
                allow_paid_broadcast=self.paid or None,
                rate_limit_args=BROADCAST,
            )
        except RetryAfter as exc:
            return SendResult("retry_after", retry_after=retry_seconds(exc))
        except Forbidden as exc:
            return SendResult("blocked", reason=exc.message)
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                return SendResult("not_found", reason=exc.message)
            return SendResult("rejected", reason=exc.message)
        except NetworkError as exc:
            return SendResult("transient", reason=exc.message)
        except TelegramError as exc:
            return SendResult("rejected", reason=exc.message)
        return SendResult("sent")


class TelegramBoard:
    """The staff's progress message: edited in place, or sent anew when it cannot be edited."""

    def __init__(self, bot: ExtBot[Any]) -> None:
        self.bot = bot

    async def show(self, chat_id: int, message_id: int | None, screen: Screen) -> int | None:
        if message_id is not None:
            try:
                await self.bot.edit_message_text(
                    screen.text, chat_id, message_id, parse_mode="HTML", reply_markup=markup(screen)
                )
                return message_id
            except BadRequest as exc:
                if "not modified" in exc.message:
                    return message_id
        try:
            sent = await self.bot.send_message(
                chat_id, screen.text, parse_mode="HTML", reply_markup=markup(screen)
            )
        except TelegramError:
            return message_id
        return sent.message_id

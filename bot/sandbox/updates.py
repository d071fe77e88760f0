"""The bot's update queue: getUpdates long polling and webhook delivery."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from bot.sandbox.errors import conflict
from bot.sandbox.events import ChangeNotifier
from bot.sandbox.text import JsonDict

# Update types Telegram only sends when asked for explicitly in allowed_updates.
_OPT_IN_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class Webhook:
    """The webhook set with setWebhook, with its delivery status."""

    url: str
    secret_token: str | None
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class _Poll:
    terminated: bool = False


class UpdateQueue:
    """Pending updates, handed out by getUpdates or POSTed to the webhook."""

    def __init__(
        self,
        notifier: ChangeNotifier,
        clock: Callable[[], int],
        *,
        retry_delay: float = 0.05,
        max_retry_delay: float = 1.0,
    ) -> None:
        self._notifier = notifier
        self._clock = clock
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._pending: list[JsonDict] = []
        self._next_update_id = 1
        self._poll: _Poll | None = None
        self._closed = False
        self._delivery: asyncio.Task[None] | None = None
        self.allowed_updates: list[str] | None = None
        self.webhook: Webhook | None = None

    @property
    def pending(self) -> list[JsonDict]:
        """Updates not yet confirmed (getUpdates) or acknowledged (webhook)."""
        return list(self._pending)

    @property
    def long_polling(self) -> bool:
        """Whether a getUpdates call is waiting for updates right now."""
        return self._poll is not None

    def _wanted(self, update_type: str) -> bool:
        if not self.allowed_updates:
            return update_type not in _OPT_IN_TYPES
        return update_type in self.allowed_updates

    def push(self, update_type: str, payload: JsonDict) -> JsonDict | None:
        """Queue an update unless the bot's ``allowed_updates`` exclude its type."""
        if not self._wanted(update_type):
            return None
        update = {"update_id": self._next_update_id, update_type: payload}
        self._next_update_id += 1
        self._pending.append(update)
        self._notifier.notify()
        return update

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]

    async def get_updates(
        self, offset: int, limit: int, poll_seconds: float, allowed_updates: list[str] | None
    ) -> list[JsonDict]:
        """getUpdates: confirm, wait up to ``poll_seconds`` for updates, return ``limit`` at most."""
        if self.webhook is not None:
            raise conflict(
                "can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first"
            )
        if allowed_updates is not None:
            self.allowed_updates = allowed_updates
        if self._poll is not None:
            self._poll.terminated = True
        poll = self._poll = _Poll()
        self._notifier.notify()
        self._confirm(offset)
        await self._notifier.wait_until(
            lambda: bool(self._pending) or poll.terminated or self._closed or bool(self.webhook),
            max(poll_seconds, 0.0),
        )
        if self._poll is poll:
            self._poll = None
        if poll.terminated:
            raise conflict(
                "terminated by other getUpdates request; make sure that only one bot instance is running"
            )
        return self._pending[: max(1, min(limit, 100))]

    def set_webhook(
        self,
        url: str,
        secret_token: str | None,
        max_connections: int,
        allowed_updates: list[str] | None,
        drop_pending_updates: bool,
    ) -> None:
        """Start delivering updates to ``url`` (replacing any previous webhook)."""
        self._stop_delivery()
        if drop_pending_updates:
            self._pending.clear()
        if allowed_updates is not None:
            self.allowed_updates = allowed_updates
        webhook = self.webhook = Webhook(url, secret_token, max_connections)
        self._delivery = asyncio.get_running_loop().create_task(self._deliver(webhook))
        self._notifier.notify()

    def delete_webhook(self, drop_pending_updates: bool) -> bool:
        """Stop webhook delivery; True if a webhook was set."""
        was_set = self.webhook is not None
        self._stop_delivery()
        self.webhook = None
        if drop_pending_updates:
            self._pending.clear()
        self._notifier.notify()
        return was_set

    def webhook_info(self) -> JsonDict:
        """The WebhookInfo object."""
        info: JsonDict = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        webhook = self.webhook
        if webhook is not None:
            info.update(url=webhook.url, max_connections=webhook.max_connections)
            if webhook.last_error_date is not None:
                info["last_error_date"] = webhook.last_error_date
                info["last_error_message"] = webhook.last_error_message
        if self.allowed_updates:
            info["allowed_updates"] = self.allowed_updates
        return info

    async def close(self) -> None:
        """End long polls and webhook delivery (server shutdown)."""
        self._closed = True
        task = self._stop_delivery()
        self._notifier.notify()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def reopen(self) -> None:
        """Accept long polls again after :meth:`close`."""
        self._closed = False

    def _stop_delivery(self) -> asyncio.Task[None] | None:
        task, self._delivery = self._delivery, None
        if task is not None:
            task.cancel()
        return task

    async def _deliver(self, webhook: Webhook) -> None:
        """POST pending updates one by one, in order, retrying failures with backoff."""
        failures = 0
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                await self._notifier.wait_until(lambda: bool(self._pending), None)
                update = self._pending[0]
                error = await self._post(session, webhook, update)
                if error is None:
                    failures = 0
                    if self._pending and self._pending[0] is update:
                        self._pending.pop(0)
                    self._notifier.notify()
                    continue
                failures += 1
                webhook.last_error_date = self._clock()
                webhook.last_error_message = error
                self._notifier.notify()
                delay = self._retry_delay * 2 ** (failures - 1)
                await asyncio.sleep(min(delay, self._max_retry_delay))

    @staticmethod
    async def _post(session: aiohttp.ClientSession, webhook: Webhook, update: JsonDict) -> str | None:
        """POST one update; None on success, else Telegram's last_error_message."""
        headers = {"Content-Type": "application/json"}
        if webhook.secret_token:
            headers[SECRET_HEADER] = webhook.secret_token
        try:
            async with session.post(webhook.url, data=json.dumps(update), headers=headers) as answer:
                await answer.read()
                if 200 <= answer.status < 300:
                    return None
                return f"Wrong response from the webhook: {answer.status} {answer.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as exc:
            return f"Connection error: {exc}"

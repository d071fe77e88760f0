"""A local Telegram Bot API server for tests, benchmarks and the phone preview.

Usage (same asyncio loop as the test)::

    sandbox = BotApiSandbox()
    async with sandbox.serve() as url:
        application = (
            ApplicationBuilder().token(sandbox.token)
            .base_url(f"{url}/bot").base_file_url(f"{url}/file/bot").build()
        )
        sandbox.add_user(1001, "Alice", language_code="fr")
        await sandbox.send_text(1001, "/start")
        (reply,) = await sandbox.wait_for_bot_messages(1001, 1)

Telegram's flood limits (429 ``retry after N``) are off unless asked for:
``BotApiSandbox(limits=FloodLimits(), monotonic=clock)`` or ``sandbox.limits = FloodLimits()``;
``sandbox.flood_refusals`` lists the calls refused, ``sandbox.sent_per_second()`` the rate
achieved (see :mod:`bot.sandbox.limits`).

Standalone: ``python -m bot.sandbox --host 127.0.0.1 --port 8081 [--token T]``.
"""

from bot.sandbox.errors import ApiError, SandboxUsageError
from bot.sandbox.events import SandboxEvent
from bot.sandbox.faults import FaultPlan, FaultRule
from bot.sandbox.limits import FloodControl, FloodLimits, FloodRefusal
from bot.sandbox.media import StoredFile
from bot.sandbox.models import ApiCall, CallbackAnswer, Chat, Command, Message, User
from bot.sandbox.params import Params
from bot.sandbox.sandbox import DEFAULT_BOT_USERNAME, DEFAULT_TOKEN, BotApiSandbox

__all__ = [
    "DEFAULT_BOT_USERNAME",
    "DEFAULT_TOKEN",
    "ApiCall",
    "ApiError",
    "BotApiSandbox",
    "CallbackAnswer",
    "Chat",
    "Command",
    "FaultPlan",
    "FaultRule",
    "FloodControl",
    "FloodLimits",
    "FloodRefusal",
    "Message",
    "Params",
    "SandboxEvent",
    "SandboxUsageError",
    "StoredFile",
    "User",
]

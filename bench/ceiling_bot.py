"""The ceiling of bench/throughput.py: a bot with no logic that makes exactly Fabrique's Bot API calls.

bench/throughput.py first records the calls Fabrique makes in answer to each of the residents'
actions (bench/recording.py): a script of steps, one per action, each an ordered list of calls.
This bot replays them, with the transport and update processing Fabrique has (python-telegram-bot
over ``AiohttpRequest``, long polling, updates handled concurrently), and nothing else: each
update of a chat is its next step, whose calls go out in order, the same texts and keyboards,
with the chat's own identifiers put back (:func:`resolved`). No database, no state but a step
counter and the messages sent, per chat, in memory. What it reaches is the most updates per
second any bot making Fabrique's calls could reach on the same machine.

    python bench/ceiling_bot.py API_URL SCRIPT.json CONNECTIONS
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, TypeHandler

from bot.handlers import transport
from bot.handlers.transport import AiohttpRequest

Call = dict[str, Any]
"""One recorded call: ``method``, ``params`` (as sent), ``refs`` (parameter → reference to
resolve per chat). Results are read as JSON, as Fabrique reads them (``bot.handlers.transport.call``)."""
Step = list[Call]
SENT = "sent-"
"""A reference to a message the bot sent to the chat: ``sent-1`` is the latest, ``sent-2`` the one before."""


def sends_message(method: str) -> bool:
    """Whether ``method`` creates a message that later calls may name."""
    return method.startswith(("send", "copyMessage", "forwardMessage"))


class Replay:
    """Each chat's next recorded step, in answer to each of its updates."""

    def __init__(self, steps: list[Step]) -> None:
        self.steps = steps
        self.progress: dict[int, int] = defaultdict(int)
        self.sent: dict[int, list[int]] = defaultdict(list)

    async def answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        chat = update.effective_chat.id
        step = self.steps[self.progress[chat]]
        self.progress[chat] += 1
        for call in step:
            kwargs = call["params"] | {
                name: self.resolved(ref, chat, update) for name, ref in call["refs"].items()
            }
            result = await transport.call(context.bot, call["method"], kwargs)
            if sends_message(call["method"]):
                self.sent[chat].append(result["message_id"])

    def resolved(self, ref: str, chat: int, update: Update) -> int | str:
        """The identifier ``ref`` stands for in ``chat``, answering ``update``."""
        query = update.callback_query
        if ref == "chat":
            return chat
        if ref == "query" and query is not None:
            return query.id
        if ref == "pressed" and query is not None and query.message is not None:
            return query.message.message_id
        if ref.startswith(SENT):
            return self.sent[chat][-int(ref.removeprefix(SENT))]
        raise ValueError(f"{ref} means nothing for this update")


def main() -> None:
    api, script, connections = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    replay = Replay(json.loads(script.read_text()))
    application = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{api}/bot")
        .request(AiohttpRequest(connections))
        .get_updates_request(AiohttpRequest(1))
        .concurrent_updates(connections)
        .build()
    )
    application.add_handler(TypeHandler(Update, replay.answer))
    application.run_polling(timeout=10, allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY])


if __name__ == "__main__":
    main()

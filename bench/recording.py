"""Fabrique's Bot API calls in answer to each of the residents' actions, for the ceiling bot.

One resident goes through :data:`residents.ACTIONS` with the bot running against a sandbox that
adds no latency; after each answer, once the sandbox's call log has stopped growing, the calls
that arrived since the action are that action's step (start-up and polling calls left out).
Identifiers that differ from one resident to the next are replaced by references the ceiling bot
resolves (see :mod:`ceiling_bot`): the chat, the pressed button's query and message, and the
messages the bot sent earlier to the chat.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from ceiling_bot import SENT, Call, Step, sends_message
from residents import ACTIONS, Residents, last_event

NOT_ANSWERS = frozenset(
    {"getUpdates", "getMe", "setMyCommands", "deleteMyCommands", "deleteWebhook", "setWebhook",
     "getWebhookInfo", "setChatMenuButton", "setMyName", "setMyDescription", "setMyShortDescription"}
)  # fmt: skip
"""Calls the bot makes to start and to fetch updates, not in answer to a resident."""
QUIET_SECONDS = 0.5


async def settled(client: aiohttp.ClientSession, url: str, since: int) -> list[dict[str, Any]]:
    """The calls logged after the first ``since``, once none has come for :data:`QUIET_SECONDS`."""
    seen = -1
    while True:
        async with client.get(f"{url}/sandbox/api_calls?since={since}") as answer:
            calls: list[dict[str, Any]] = await answer.json()
        if len(calls) == seen:
            return calls
        seen = len(calls)
        await asyncio.sleep(QUIET_SECONDS)


async def record(url: str, chat: int) -> list[Step]:
    """The steps of the bot at ``url`` (already polling), resident ``chat`` acting."""
    residents = Residents(url)
    steps: list[Step] = []
    sent: list[int] = []  # the messages the bot sent to the chat, oldest first
    async with aiohttp.ClientSession() as client:
        follower = asyncio.create_task(residents.follow(client, await last_event(client, url)))
        mark = len(await settled(client, url, 0))
        for index, (kind, _) in enumerate(ACTIONS):
            pressed = residents.screen[chat]["message_id"] if kind == "tap" else None
            if (await residents.act(client, chat, index, 0.0)).answered is None:
                raise RuntimeError(f"the bot did not answer action {index}")
            calls = await settled(client, url, mark)
            mark += len(calls)
            step: Step = []
            for call in calls:
                if call["method"] not in NOT_ANSWERS:
                    step.append(replayable(call, chat, pressed, sent))
                    if sends_message(call["method"]) and call["ok"]:
                        sent.append(int(call["result"]["message_id"]))
            steps.append(step)
        follower.cancel()
    return steps


def replayable(call: dict[str, Any], chat: int, pressed: int | None, sent: list[int]) -> Call:
    """``call`` with the resident's identifiers replaced by references."""
    if not call["ok"]:
        raise RuntimeError(f"{call['method']} was refused: {call['description']}")
    params = dict(call["params"])
    refs: dict[str, str] = {}
    if "chat_id" in params:
        assert str(params.pop("chat_id")) == str(chat), call["method"]
        refs["chat_id"] = "chat"
    if "callback_query_id" in params:
        params.pop("callback_query_id")
        refs["callback_query_id"] = "query"
    if "message_id" in params:
        message = int(params.pop("message_id"))
        if message == pressed:
            refs["message_id"] = "pressed"
        elif message in sent:
            refs["message_id"] = f"{SENT}{len(sent) - sent.index(message)}"
        else:
            raise RuntimeError(f"{call['method']} names message {message}, not one the ceiling bot knows")
    return {"method": call["method"], "params": params, "refs": refs}

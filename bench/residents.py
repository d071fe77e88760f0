"""Simulated residents for bench/throughput.py, acting through the local Bot API server's control API.

Each resident goes through one paradox (:data:`ACTIONS`: /start, consent, « Répondre », a persona,
a wish, a typed ranking, confirm) and waits, after each action, for the bot's next screen: a new
message from the bot, or one of its messages edited into new text (clearing a keyboard is not an
answer). The screens are followed on the sandbox's event stream. Two ways of arriving:

- closed loop (:func:`closed_loop`): every resident at once, each acting as soon as answered;
  measures the most updates per second the bot sustains;
- open loop (:func:`open_loop`): residents arrive at a fixed rate and think a few seconds (seeded,
  uniform) after each screen, so that the offered load is a given number of updates per second;
  measures the latency a resident feels at that load.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import aiohttp

WISH = "Une métropole où l’on circule facilement entre les communes, à pied, à vélo et en bus."
ACTIONS: list[tuple[str, str]] = [
    ("text", "/start"), ("tap", ""), ("tap", ""), ("tap", ""),
    ("text", WISH), ("text", "3 1 5 2 4"), ("tap", ""),
]  # fmt: skip
FIRST_ID = 5_000_000
THINK_SECONDS = (2.0, 6.0)
"""An open-loop resident's pause between seeing a screen and acting, drawn uniformly."""
WARM_UP = (len(ACTIONS) - 1) * sum(THINK_SECONDS) / 2
"""Seconds after the first arrival when the offered load reaches (over nine tenths of) its rate."""
PATIENCE = 1800.0
"""Seconds a resident waits for an answer before counting it lost and leaving."""


@dataclass
class Action:
    """One resident's update: when it was due (monotonic seconds) and when the screen came."""

    due: float
    answered: float | None = None


class Residents:
    """The simulated residents, what each sees, and every action they took."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.screen: dict[int, dict[str, Any]] = {}
        self.screens: dict[int, int] = defaultdict(int)
        self.changed: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
        self.actions: list[Action] = []
        self.finished: set[int] = set()

    async def follow(self, client: aiohttp.ClientSession, since: int) -> None:
        """Keep each resident's current screen from the event stream, until cancelled."""
        headers = {"Accept": "text/event-stream"}
        async with client.get(
            f"{self.url}/sandbox/events?since={since}", headers=headers, timeout=None
        ) as stream:
            async for raw in stream.content:
                # Only the bot's messages matter: the others are not parsed (this process's
                # CPU is the bots' too), e.g. residents' messages and button presses.
                if raw.startswith(b"data:") and b'"from_bot": true' in raw:
                    self._seen(json.loads(raw[5:]))

    def _seen(self, event: dict[str, Any]) -> None:
        message = event["data"].get("message")
        if message is None or not message["from_bot"]:
            return
        edited = event["type"] == "message_edited"
        if event["type"] == "message" or (edited and message["history"][-1]["text"] != message["text"]):
            chat = event["chat_id"]
            self.screen[chat] = message
            self.screens[chat] += 1
            self.changed[chat].set()

    async def act(self, client: aiohttp.ClientSession, chat: int, index: int, due: float) -> Action:
        """Take action ``index`` (due at ``due``) and wait for the next screen."""
        kind, text = ACTIONS[index]
        before = self.screens[chat]
        self.changed[chat].clear()
        action = Action(due)
        self.actions.append(action)
        if kind == "text":
            body: dict[str, Any] = {"text": text, "user_id": chat}
            path = f"chats/{chat}/messages"
        else:
            message = self.screen[chat]
            button = message["reply_markup"]["inline_keyboard"][0][0]
            body = {"data": button["callback_data"], "user_id": chat}
            path = f"chats/{chat}/messages/{message['message_id']}/press"
        async with client.post(f"{self.url}/sandbox/{path}", json=body) as answer:
            answer.raise_for_status()
        try:
            while self.screens[chat] <= before:
                await asyncio.wait_for(self.changed[chat].wait(), timeout=PATIENCE)
                self.changed[chat].clear()
        except TimeoutError:
            return action
        action.answered = time.monotonic()
        return action

    async def hurry(self, client: aiohttp.ClientSession, chat: int) -> None:
        """The whole paradox, each action as soon as the previous one is answered."""
        for index in range(len(ACTIONS)):
            if (await self.act(client, chat, index, time.monotonic())).answered is None:
                return
        self.finished.add(chat)

    async def visit(
        self, client: aiohttp.ClientSession, chat: int, arrival: float, think: random.Random
    ) -> None:
        """The whole paradox from ``arrival``, thinking a few seconds after each screen."""
        due = arrival
        for index in range(len(ACTIONS)):
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            answered = (await self.act(client, chat, index, due)).answered
            if answered is None:
                return
            due = answered + think.uniform(*THINK_SECONDS)
        self.finished.add(chat)


async def last_event(client: aiohttp.ClientSession, url: str) -> int:
    """The sandbox's latest event number, to follow the events after it."""
    async with client.get(f"{url}/sandbox/events?since=0&timeout=0") as snapshot:
        return int((await snapshot.json())["last_seq"])


def percentile(ordered: list[float], share: float) -> float:
    return ordered[int(share * (len(ordered) - 1))] if ordered else float("nan")


def latency_figures(actions: list[Action]) -> dict[str, Any]:
    """p50, p95, p99 (ms) of the answered actions, and the share of all answered within 1 s."""
    latencies = sorted(a.answered - a.due for a in actions if a.answered is not None)
    return {
        "p50_ms": round(1000 * percentile(latencies, 0.50)),
        "p95_ms": round(1000 * percentile(latencies, 0.95)),
        "p99_ms": round(1000 * percentile(latencies, 0.99)),
        "within_1s": round(sum(1 for s in latencies if s <= 1.0) / max(len(actions), 1), 4),
    }


async def closed_loop(url: str, count: int) -> dict[str, Any]:
    """``count`` residents all at once, each acting as soon as answered."""
    residents = Residents(url)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as client:
        follower = asyncio.create_task(residents.follow(client, await last_event(client, url)))
        started = time.monotonic()
        await asyncio.gather(*(residents.hurry(client, FIRST_ID + i) for i in range(count)))
        wall = time.monotonic() - started
        follower.cancel()
    return {
        "mode": "closed",
        "rate": None,
        "updates": len(residents.actions),
        "updates_per_second": round(len(residents.actions) / wall, 1),
        **latency_figures(residents.actions),
        "answered": len(residents.finished),
        "residents": count,
        "wall_seconds": round(wall, 1),
    }


def arrivals(rate: float, seconds: float) -> int:
    """How many residents arrive in ``seconds`` for an offered load of ``rate`` updates/s."""
    return max(1, round(rate * seconds / len(ACTIONS)))


async def open_loop(url: str, rate: float, seconds: float, seed: int = 17) -> dict[str, Any]:
    """Residents arriving evenly for ``seconds``, ``rate`` updates/s offered once all are under
    way. Measured from :data:`WARM_UP` to the last arrival (over the whole run when it is
    shorter than the warm-up): the actions due (offered) and the screens shown (achieved) per
    second, and the latencies of the actions due."""
    count = arrivals(rate, seconds)
    gap = len(ACTIONS) / rate
    residents = Residents(url)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as client:
        follower = asyncio.create_task(residents.follow(client, await last_event(client, url)))
        start = time.monotonic() + 0.5
        await asyncio.gather(
            *(
                residents.visit(client, FIRST_ID + i, start + i * gap, random.Random(seed * 1_000_003 + i))
                for i in range(count)
            )
        )
        end = time.monotonic()
        follower.cancel()
    last_arrival = start + (count - 1) * gap
    since, until = (start + WARM_UP, last_arrival) if last_arrival > start + WARM_UP else (start, end)
    measured = [a for a in residents.actions if since <= a.due < until]
    screens = sum(1 for a in residents.actions if a.answered is not None and since <= a.answered < until)
    return {
        "mode": "open",
        "rate": round(rate, 1),
        "updates": len(residents.actions),
        "offered_per_second": round(len(measured) / (until - since), 1),
        "updates_per_second": round(screens / (until - since), 1),
        **latency_figures(measured),
        "answered": len(residents.finished),
        "residents": count,
        "measured_seconds": round(until - since, 1),
        "wall_seconds": round(end - start, 1),
    }

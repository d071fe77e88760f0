"""Telegram's flood limits: 429 with retry_after, per chat, per group, overall and paid.

The flood clock is a fake the tests move by hand: nothing sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, RetryAfter

from bot.sandbox import BotApiSandbox, FloodLimits, FloodRefusal
from bot.sandbox.limits import FloodControl, FloodTarget
from tests.sandbox.conftest import RawApi

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")

GROUP = -100500


class FakeClock:
    """A monotonic clock that only moves when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def sandbox(clock: FakeClock) -> AsyncIterator[BotApiSandbox]:
    """Overrides conftest's: flood limits on (Telegram's defaults), on the fake clock."""
    sandbox = BotApiSandbox(limits=FloodLimits(), monotonic=clock)
    async with sandbox.serve():
        yield sandbox


def add_users(sandbox: BotApiSandbox, count: int, first_id: int = 2001) -> list[int]:
    for user_id in range(first_id, first_id + count):
        sandbox.add_user(user_id, f"User {user_id}")
    return list(range(first_id, first_id + count))


def seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def refused(bot: Bot, chat_id: int | str, *, allow_paid_broadcast: bool = False) -> float:
    """Send and expect flood control's 429; return retry_after in seconds."""
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(chat_id, "trop", allow_paid_broadcast=allow_paid_broadcast)
    return seconds(caught.value)


async def test_overall_limit_refuses_with_retry_after(
    sandbox: BotApiSandbox, bot: Bot, clock: FakeClock, raw: RawApi
) -> None:
    users = add_users(sandbox, 31)
    for user_id in users[:30]:
        await bot.send_message(user_id, "annonce")
    assert await refused(bot, users[30]) == 1
    assert await raw("sendMessage", chat_id=users[30], text="trop") == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        },
    )
    assert sandbox.bot_messages(users[30]) == []  # the refused messages were not stored
    assert sandbox.flood_refusals == [FloodRefusal(1000.0, "sendMessage", users[30], "overall", 1)] * 2
    assert sandbox.too_many_requests_answered == 2
    assert [c.error_code for c in sandbox.api_calls[-2:]] == [429, 429]

    clock.advance(0.999)  # all 30 still within the last second
    assert await refused(bot, users[30]) == 1
    clock.advance(0.001)  # now they are out of the window: the refusals did not count
    await bot.send_message(users[30], "enfin")
    assert [m.text for m in sandbox.bot_messages(users[30])] == ["enfin"]
    assert len(sandbox.flood_refusals) == 3


async def test_overall_window_slides(sandbox: BotApiSandbox, bot: Bot, clock: FakeClock) -> None:
    users = add_users(sandbox, 60)
    for user_id in users[:10]:
        await bot.send_message(user_id, "t=0")
    clock.advance(0.6)
    for user_id in users[10:30]:
        await bot.send_message(user_id, "t=0.6")
    assert await refused(bot, users[30]) == 1
    clock.advance(0.4)  # the first 10 left the window, the next 20 are still in it
    for user_id in users[30:40]:
        await bot.send_message(user_id, "t=1.0")
    assert await refused(bot, users[40]) == 1
    assert sandbox.flood.peak_sends(1.0) == 30


async def test_concurrent_sends_are_counted_exactly(sandbox: BotApiSandbox, bot: Bot) -> None:
    users = add_users(sandbox, 40)
    results = await asyncio.gather(
        *(bot.send_message(user_id, "en même temps") for user_id in users), return_exceptions=True
    )
    assert sum(isinstance(result, RetryAfter) for result in results) == 10
    assert sum(len(sandbox.bot_messages(user_id)) for user_id in users) == 30
    assert len(sandbox.flood_refusals) == 10


async def test_paid_broadcasts_use_the_paid_limit(sandbox: BotApiSandbox, bot: Bot, clock: FakeClock) -> None:
    assert sandbox.limits is not None
    sandbox.limits.paid_per_second = 50  # changed at run time
    users = add_users(sandbox, 90)
    for user_id in users[:30]:
        await bot.send_message(user_id, "gratuit")
    assert await refused(bot, users[30]) == 1
    for user_id in users[30:80]:
        await bot.send_message(user_id, "payant", allow_paid_broadcast=True)
    assert await refused(bot, users[80], allow_paid_broadcast=True) == 1
    assert [r.limit for r in sandbox.flood_refusals] == ["overall", "paid"]
    assert sandbox.api_calls[-2].params["allow_paid_broadcast"] is True
    clock.advance(1.0)
    await bot.send_message(users[80], "payant", allow_paid_broadcast=True)
    await bot.send_message(users[81], "gratuit")


async def test_private_chat_allows_a_burst_then_one_per_second(
    sandbox: BotApiSandbox, bot: Bot, alice: int, clock: FakeClock
) -> None:
    for text in ("un", "deux", "trois"):
        await bot.send_message(alice, text)
    assert await refused(bot, alice) == 1
    assert sandbox.flood_refusals[-1].limit == "chat"
    clock.advance(0.5)
    assert await refused(bot, alice) == 1  # half a token: 0.5 s more, rounded up
    clock.advance(0.5)
    await bot.send_message(alice, "quatre")
    assert await refused(bot, alice) == 1
    clock.advance(60)  # the bucket refills to its capacity, no more
    for text in ("cinq", "six", "sept"):
        await bot.send_message(alice, text)
    assert await refused(bot, alice) == 1
    assert [m.text for m in sandbox.bot_messages(alice)] == [
        "un", "deux", "trois", "quatre", "cinq", "six", "sept",
    ]  # fmt: skip

    sandbox.limits = FloodLimits(per_chat_per_second=0.25, per_chat_burst=1)
    clock.advance(60)
    await bot.send_message(alice, "huit")
    assert await refused(bot, alice) == 4
    sandbox.add_user(1002, "Bob")
    await bot.send_message(1002, "autre chat, autre seau")


async def test_edits_and_callback_answers_are_never_limited(
    sandbox: BotApiSandbox, bot: Bot, alice: int, clock: FakeClock
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Suivant", callback_data="next")]])
    menu = await bot.send_message(alice, "Menu", reply_markup=keyboard)
    await bot.send_message(alice, "deux")
    await bot.send_message(alice, "trois")  # alice's bucket is empty now
    assert sandbox.limits is not None
    sandbox.limits.overall_per_second = 3  # and so is the overall window
    for step in range(10):
        query_id = await sandbox.press(alice, menu.message_id, "next")
        await bot.answer_callback_query(query_id, text=f"étape {step}")
        await bot.edit_message_text(
            f"Menu {step}", chat_id=alice, message_id=menu.message_id, reply_markup=keyboard
        )
        await bot.send_chat_action(alice, "typing")
    await bot.get_updates()
    await bot.delete_message(alice, menu.message_id)
    assert await refused(bot, alice) == 1  # new messages still are
    assert len(sandbox.flood_refusals) == 1
    assert all(call.ok for call in sandbox.api_calls[:-1])


async def test_a_dialog_reply_fits_in_the_burst(
    sandbox: BotApiSandbox, bot: Bot, alice: int, clock: FakeClock
) -> None:
    """Within milliseconds: answer the press, edit the menu, send a new message, twice."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
    menu = await bot.send_message(alice, "Menu", reply_markup=keyboard)
    clock.advance(2.0)
    for step in range(2):
        query_id = await sandbox.press(alice, menu.message_id, "ok")
        await bot.answer_callback_query(query_id)
        await bot.edit_message_text(f"Menu {step}", chat_id=alice, message_id=menu.message_id)
        await bot.send_message(alice, f"Réponse {step}")
        clock.advance(0.01)
    assert sandbox.flood_refusals == []


async def test_groups_allow_twenty_per_minute(sandbox: BotApiSandbox, bot: Bot, clock: FakeClock) -> None:
    sandbox.add_user(2001, "Membre")
    sandbox.add_group(GROUP, "Résidence", member_ids=[2001], chat_type="supergroup", username="residence")
    for index in range(20):  # no per-second bucket in groups
        await bot.send_message(GROUP, f"message {index}")
    clock.advance(15)
    assert await refused(bot, GROUP) == 45
    assert sandbox.flood_refusals[-1].limit == "group"
    clock.advance(29.5)
    assert await refused(bot, "@residence") == 16  # 15.5 s, rounded up
    assert sandbox.flood_refusals[-1].chat_id == GROUP
    clock.advance(15.5)
    await bot.send_message("@residence", "enfin")
    assert len(sandbox.bot_messages(GROUP)) == 21


async def test_limits_are_off_by_default(alice: int) -> None:
    for limits in (None, FloodLimits(enabled=False)):
        sandbox = BotApiSandbox(limits=limits)
        sandbox.add_user(1001, "Alice")
        async with sandbox.serve() as url, Bot(sandbox.token, base_url=f"{url}/bot") as bot:
            for index in range(40):
                await bot.send_message(1001, f"message {index}")
        assert len(sandbox.bot_messages(1001)) == 40
        assert sandbox.flood_refusals == []
        assert len(sandbox.flood.sent_times) == 40  # sends are still recorded for benchmarks


async def test_failed_sends_count_unless_told_otherwise(sandbox: BotApiSandbox, bot: Bot, alice: int) -> None:
    sandbox.add_user(1002, "Bob")
    await sandbox.block(1002)
    sandbox.limits = FloodLimits(overall_per_second=2)
    with pytest.raises(Forbidden):
        await bot.send_message(1002, "bloqué")
    await bot.send_message(alice, "un")
    assert await refused(bot, alice) == 1  # the 403 used a slot

    sandbox.flood.reset()
    sandbox.limits = FloodLimits(overall_per_second=2, count_failed=False)
    for _ in range(3):
        with pytest.raises(Forbidden):
            await bot.send_message(1002, "bloqué")
    await bot.send_message(alice, "deux")
    await bot.send_message(alice, "trois")
    assert await refused(bot, alice) == 1
    assert len(sandbox.flood.sent_times) == 2  # only sends that created a message


async def test_sent_per_second_and_peak(sandbox: BotApiSandbox, bot: Bot, clock: FakeClock) -> None:
    users = add_users(sandbox, 50)
    started = clock()
    for user_id in users:
        await bot.send_message(user_id, "annonce")
        clock.advance(0.0625)  # 16 per second (exact in binary floating point)
    assert sandbox.sent_per_second() == pytest.approx(16.0)
    assert sandbox.sent_per_second(since=started + 1.0) == pytest.approx(16.0)
    assert sandbox.flood.peak_sends(1.0) == 16
    assert sandbox.flood_refusals == []


def test_memory_stays_bounded_with_many_chats() -> None:
    clock = FakeClock()
    flood = FloodControl(FloodLimits(overall_per_second=1000), clock)
    for user_id in range(1, 30_001):
        admission = flood.admit("sendMessage", FloodTarget(user_id, "private", False))
        flood.settle(admission, created=True)
        clock.advance(0.001)
    assert flood.refusals == []
    assert flood.tracked_chats <= 4096  # chats idle for a while are forgotten
    assert len(flood._overall.times) <= 1000
    clock.advance(1.0)
    for index in range(100):  # and groups too
        flood.admit("sendMessage", FloodTarget(-index - 1, "group", False))
    clock.advance(61)
    flood.admit("sendMessage", FloodTarget(-1, "group", False))
    assert sum(len(window.times) for window in flood._groups.values()) <= 101

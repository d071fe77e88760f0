"""Flood control: more than 20 messages in 10 seconds earns a polite pause of a minute."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.application import Fabrique
from bot.sandbox import BotApiSandbox
from bot.services.abuse import FloodControl
from tests.conftest import FixedClock
from tests.dialogs.test_resident_dialog import accept
from tests.phone import Phone
from tests.words import words

t = words("fr")
PAUSE_NOTICE = "Je fais une pause d’une minute avec vous"
HELP = "Ce que je sais faire"


def flooded(bot: Fabrique) -> float:
    """Updates the bot ignored because their sender was paused."""
    return bot.metrics.registry.get_sample_value("fabrique_updates_flooded_total") or 0.0


def control(clock: FixedClock) -> FloodControl:
    return FloodControl(
        clock, limit=20, window=timedelta(seconds=10), pause=timedelta(minutes=1), exempt=frozenset({7})
    )


def test_twenty_updates_in_ten_seconds_pass_and_the_next_one_starts_a_pause(clock: FixedClock) -> None:
    flood = control(clock)
    assert all(flood.admit(1) for _ in range(20))
    assert not flood.paused(1)
    assert flood.admit(1), "the update going over the limit is let through, to tell the resident"
    assert flood.paused(1)
    assert flood.tell(1)
    assert not flood.tell(1), "told once per pause"
    assert not flood.admit(1)
    assert flood.admit(2), "others are not concerned"


def test_a_steady_pace_never_pauses(clock: FixedClock) -> None:
    flood = control(clock)
    for _ in range(100):
        assert flood.admit(1)
        clock.moment += timedelta(seconds=0.6)
    assert not flood.paused(1)


def test_the_pause_ends_after_a_minute_and_can_be_told_again(clock: FixedClock) -> None:
    flood = control(clock)
    for _ in range(21):
        flood.admit(1)
    clock.moment += timedelta(seconds=59)
    assert not flood.admit(1)
    clock.moment += timedelta(seconds=1)
    assert flood.admit(1)
    assert not flood.paused(1)
    for _ in range(20):
        flood.admit(1)
    assert flood.tell(1)


def test_staff_are_never_paused(clock: FixedClock) -> None:
    flood = control(clock)
    assert all(flood.admit(7) for _ in range(500))


async def test_a_flooding_resident_is_paused_politely_while_others_carry_on(
    phone: Callable[..., Phone], sandbox: BotApiSandbox, bot: Fabrique, clock: FixedClock
) -> None:
    flooder, neighbour = phone(9701), phone(9702)
    await accept(flooder, t)
    await accept(neighbour, t)
    clock.moment += timedelta(minutes=1)  # accepting took a few updates; start the count afresh
    before = len(flooder.messages)
    for n in range(40):
        await sandbox.send_text(flooder.user_id, f"message {n}")
    reply = await neighbour.send("/help")
    assert HELP in (reply.text or ""), "the neighbour is answered as usual"
    await sandbox.wait_for(lambda: flooded(bot) == 19, timeout=10)
    await sandbox.send_text(flooder.user_id, "/help")
    await sandbox.wait_for(lambda: flooded(bot) == 20, timeout=10)
    await sandbox.wait_for(lambda: any(PAUSE_NOTICE in (m.text or "") for m in flooder.messages), timeout=10)
    clock.moment += timedelta(minutes=1)
    await sandbox.send_text(flooder.user_id, "/help")
    # Each resident's updates are handled in order: once this is answered, all earlier ones were.
    await sandbox.wait_for(lambda: HELP in flooder.text, timeout=10)
    replies = flooder.messages[before:-1]
    assert len([m for m in replies if PAUSE_NOTICE in (m.text or "")]) == 1
    assert len(replies) <= 21, "twenty answered at most, one notice, the rest ignored"
    assert not any(HELP in (m.text or "") for m in replies), "the /help sent during the pause was ignored"

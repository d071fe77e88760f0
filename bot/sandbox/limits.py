"""Telegram's flood control: 429 ``Too Many Requests: retry after N`` for bots that send too fast.

Modelled on the limits Telegram documents (https://core.telegram.org/bots/faq, "My bot is
hitting limits"): about 30 messages per second overall (1000 with ``allow_paid_broadcast``),
about one message per second in a chat with short bursts allowed, and 20 messages per minute
in a group. Only calls that create a message count (:data:`COUNTED_METHODS`); edits, callback
answers, chat actions and ``getUpdates`` are never limited.

Choices where Telegram documents nothing precise: ``allow_paid_broadcast`` moves a call from
the overall window to the paid one but the per-chat and per-group limits still apply; a
``sendMediaGroup`` counts as one call; calls failed by injected faults (``sandbox.faults``)
never reach flood control; see :attr:`FloodLimits.count_failed` for sends that fail.

The limits are off unless :attr:`FloodControl.limits` is a :class:`FloodLimits` with
``enabled=True``. Time comes from a replaceable monotonic clock; the limiter never sleeps.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field

from bot.sandbox.errors import ApiError, too_many_requests
from bot.sandbox.params import Params
from bot.sandbox.state import SandboxState

# The Bot API methods that create a message in a chat, lowercase (method names are case-insensitive).
COUNTED_METHODS = frozenset(
    name.lower()
    for name in (
        "sendMessage", "sendPhoto", "sendDocument", "sendAudio", "sendVideo", "sendVoice",
        "sendSticker", "sendAnimation", "sendLocation", "sendContact", "sendPoll",
        "copyMessage", "forwardMessage", "sendMediaGroup",
    )
)  # fmt: skip
_EPSILON = 1e-9  # float slack, so that a wait of exactly 1.0 s is "retry after 1", not 2
_MIN_SWEEP = 1024  # sweep idle per-chat state once there are this many chats tracked


@dataclass
class FloodLimits:
    """The limits to enforce; change any attribute at run time, it applies to the next call.

    ``count_failed``: a send that passes flood control but fails (400 chat not found, 403 bot
    blocked...) still uses its slot, as Telegram checks the flood limits before the call
    itself. False: only sends that created a message count.
    """

    overall_per_second: int = 30
    paid_per_second: int = 1000
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    per_group_per_minute: int = 20
    enabled: bool = True
    count_failed: bool = True


@dataclass(frozen=True)
class FloodRefusal:
    """A call the sandbox refused with 429; ``limit`` is the one exceeded (the longest wait):
    ``"overall"``, ``"paid"``, ``"chat"`` (private chat bucket) or ``"group"``."""

    time: float  # on the flood clock (monotonic)
    method: str
    chat_id: int | str | None
    limit: str
    retry_after: int


@dataclass(frozen=True)
class FloodTarget:
    """What flood control needs to know about a counted call."""

    chat_id: int | str | None  # as given; None if missing
    chat_type: str | None  # "private", "group", "supergroup", "channel"; None if unknown chat
    paid: bool  # allow_paid_broadcast

    @classmethod
    def of(cls, params: Params, state: SandboxState) -> FloodTarget:
        """The target chat of a send call (the handler reports a bad ``chat_id`` itself)."""
        paid = params.boolean("allow_paid_broadcast")
        try:
            chat_ref = params.chat_id()
        except ApiError:
            return cls(None, None, paid)
        if isinstance(chat_ref, int):
            chat = state.chats.get(chat_ref)
        else:
            try:
                chat = state.resolve_chat(chat_ref)
            except ApiError:
                chat = None
        return cls(chat.chat_id if chat else chat_ref, chat.type if chat else None, paid)


class _Window:
    """Times of the calls admitted within the last ``span`` seconds (a sliding window)."""

    __slots__ = ("times",)

    def __init__(self) -> None:
        self.times: deque[float] = deque()

    def wait(self, now: float, span: float, limit: int) -> float:
        """Seconds until one more call fits in the window (0: it fits now)."""
        times = self.times
        horizon = now - span + _EPSILON  # a call that leaves the window within float slack is gone
        while times and times[0] <= horizon:
            times.popleft()
        if limit <= 0:
            return span
        if len(times) < limit:
            return 0.0
        # The window holds ``limit`` calls or more (the limit may have been lowered): one
        # more fits once all but ``limit - 1`` of them have left it.
        return times[len(times) - limit] + span - now

    def release(self, at: float) -> None:
        """Forget a call admitted at ``at``."""
        with suppress(ValueError):  # already out of the window
            self.times.remove(at)


class _Bucket:
    """A token bucket: ``tokens`` as of ``updated``."""

    __slots__ = ("tokens", "updated")

    def __init__(self, tokens: float, updated: float) -> None:
        self.tokens = tokens
        self.updated = updated

    def wait(self, now: float, rate: float, capacity: float) -> float:
        """Refill with the tokens earned since the last call (up to ``capacity``); return the
        seconds until a whole token is there (0: one is there now)."""
        if now > self.updated:
            self.tokens = min(capacity, self.tokens + (now - self.updated) * max(rate, 0.0))
            self.updated = now
        else:
            self.tokens = min(capacity, self.tokens)
        missing = 1.0 - self.tokens
        if missing <= _EPSILON:
            return 0.0
        return missing / rate if rate > 0 else 1.0


@dataclass
class Admission:
    """A counted call let through; :meth:`FloodControl.settle` it once it is answered."""

    method: str
    time: float
    target: FloodTarget
    windows: list[_Window] = field(default_factory=list)
    bucket: _Bucket | None = None


class FloodControl:
    """Applies :class:`FloodLimits` to counted calls and records what was sent and refused.

    Attributes: ``limits`` (None or disabled: nothing is limited), ``monotonic`` (the clock,
    replaceable at any time), ``refusals`` (every 429 it answered), ``sent_times`` (clock
    times of counted calls that created a message, limited or not).
    """

    def __init__(
        self, limits: FloodLimits | None = None, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self.monotonic = monotonic
        self.refusals: list[FloodRefusal] = []
        self.sent_times: list[float] = []
        self._overall = _Window()
        self._paid = _Window()
        self._groups: dict[int | str, _Window] = {}
        self._buckets: dict[int | str, _Bucket] = {}
        self._next_sweep = _MIN_SWEEP

    @property
    def active(self) -> bool:
        """Whether limits are enforced right now."""
        return self.limits is not None and self.limits.enabled

    # -- admission ------------------------------------------------------------

    def admit(self, method: str, target: FloodTarget) -> Admission:
        """Let a counted call through (and count it), or raise 429 with ``retry_after``."""
        now = self.monotonic()
        admission = Admission(method, now, target)
        limits = self.limits
        if limits is None or not limits.enabled:
            return admission
        if target.paid:
            overall, overall_limit, overall_name = self._paid, limits.paid_per_second, "paid"
        else:
            overall, overall_limit, overall_name = self._overall, limits.overall_per_second, "overall"
        waits = [(overall.wait(now, 1.0, overall_limit), overall_name)]
        key, group, bucket = target.chat_id, None, None
        if key is not None and target.chat_type == "private":
            bucket = self._buckets.get(key) or _Bucket(_capacity(limits), now)
            waits.append((bucket.wait(now, limits.per_chat_per_second, _capacity(limits)), "chat"))
        elif key is not None and target.chat_type is not None:
            group = self._groups.get(key) or _Window()
            waits.append((group.wait(now, 60.0, limits.per_group_per_minute), "group"))
        wait, exceeded = max(waits)
        if wait > _EPSILON:
            retry_after = max(1, math.ceil(wait - _EPSILON))
            self.refusals.append(FloodRefusal(now, method, key, exceeded, retry_after))
            raise too_many_requests(retry_after)
        overall.times.append(now)
        admission.windows.append(overall)
        if key is not None and group is not None:
            group.times.append(now)
            admission.windows.append(group)
            self._groups[key] = group
        if key is not None and bucket is not None:
            bucket.tokens -= 1.0
            admission.bucket = bucket
            self._buckets[key] = bucket
        self._maybe_sweep(now, limits)
        return admission

    def settle(self, admission: Admission, *, created: bool) -> None:
        """Record the outcome of an admitted call: a message was ``created`` or it failed."""
        if created:
            self.sent_times.append(admission.time)
            return
        limits = self.limits
        if limits is not None and not limits.count_failed:
            for window in admission.windows:
                window.release(admission.time)
            if admission.bucket is not None:
                admission.bucket.tokens = min(admission.bucket.tokens + 1.0, _capacity(limits))

    def _maybe_sweep(self, now: float, limits: FloodLimits) -> None:
        """Forget full buckets and empty group windows (they mean "no recent sends"), so
        memory follows the chats active lately; amortized O(1) per call."""
        if len(self._buckets) + len(self._groups) < self._next_sweep:
            return
        capacity, rate = _capacity(limits), max(limits.per_chat_per_second, 0.0)
        self._buckets = {
            key: bucket
            for key, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.updated) * rate < capacity
        }
        horizon = now - 60.0
        self._groups = {
            key: window for key, window in self._groups.items() if window.times and window.times[-1] > horizon
        }
        self._next_sweep = max(_MIN_SWEEP, 2 * (len(self._buckets) + len(self._groups)))

    def reset(self) -> None:
        """Forget every window, bucket, refusal and send (e.g. between benchmark phases)."""
        self.refusals.clear()
        self.sent_times.clear()
        self._overall = _Window()
        self._paid = _Window()
        self._groups.clear()
        self._buckets.clear()
        self._next_sweep = _MIN_SWEEP

    @property
    def tracked_chats(self) -> int:
        """How many chats have per-chat state right now (to check memory stays bounded)."""
        return len(self._buckets) + len(self._groups)

    # -- measuring ------------------------------------------------------------

    def sent_per_second(self, since: float | None = None) -> float:
        """The average rate of counted sends between the first (at or after ``since``) and
        the last one, in messages per second; 0.0 with fewer than two sends."""
        times = self.sent_times
        if since is not None:
            times = [t for t in times if t >= since]
        if len(times) < 2 or times[-1] <= times[0]:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    def peak_sends(self, window: float = 1.0) -> int:
        """The most counted sends within any ``window`` seconds (a sliding window, like the
        limit), e.g. to check a broadcast never exceeded 30 per second."""
        best = start = 0
        times = self.sent_times
        for end, at in enumerate(times):
            while times[start] <= at - window:
                start += 1
            best = max(best, end - start + 1)
        return best


def _capacity(limits: FloodLimits) -> float:
    """The size of a private chat's token bucket (at least one call)."""
    return max(float(limits.per_chat_burst), 1.0)

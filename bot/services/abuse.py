"""Flood control: a resident who sends too much too fast is paused for a while.

Counting happens in memory, per bot process: it is a guard against bursts, not a record, and
it must cost nothing on the hot path. With several processes, each counts its own share of a
resident's updates, so the limit applies per process.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clock import Clock

SWEEP_EVERY = 10_000
"""Forget quiet residents after this many checks, so memory follows the active ones only."""


@dataclass
class _Resident:
    recent: deque[datetime] = field(default_factory=deque)
    paused_until: datetime | None = None
    told: bool = False


class FloodControl:
    """More than ``limit`` updates within ``window`` pauses a resident for ``pause``."""

    def __init__(
        self,
        clock: Clock,
        *,
        limit: int,
        window: timedelta,
        pause: timedelta,
        exempt: frozenset[int] = frozenset(),
    ) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        self.pause = pause
        self.exempt = exempt
        self._residents: dict[int, _Resident] = {}
        self._checks = 0

    def admit(self, telegram_id: int) -> bool:
        """Count one update from this resident; False while they are paused (ignore it).

        The update that goes over the limit is admitted, and starts the pause: it is the one
        that tells the resident (see :meth:`tell`)."""
        if telegram_id in self.exempt:
            return True
        now = self.clock.now()
        self._checks += 1
        if self._checks % SWEEP_EVERY == 0:
            self._sweep(now)
        resident = self._residents.setdefault(telegram_id, _Resident())
        if resident.paused_until is not None:
            if now < resident.paused_until:
                return False
            resident.paused_until = None
            resident.told = False
        recent = resident.recent
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        recent.append(now)
        if len(recent) > self.limit:
            recent.clear()
            resident.paused_until = now + self.pause
        return True

    def paused(self, telegram_id: int) -> bool:
        resident = self._residents.get(telegram_id)
        return (
            resident is not None
            and resident.paused_until is not None
            and self.clock.now() < resident.paused_until
        )

    def tell(self, telegram_id: int) -> bool:
        """True once per pause: whether the resident should now be told about it."""
        resident = self._residents.get(telegram_id)
        if resident is None or resident.told or not self.paused(telegram_id):
            return False
        resident.told = True
        return True

    def _sweep(self, now: datetime) -> None:
        quiet = [
            key
            for key, resident in self._residents.items()
            if (resident.paused_until is None or resident.paused_until <= now)
            and (not resident.recent or resident.recent[-1] <= now - self.window)
        ]
        for key in quiet:
            del self._residents[key]

"""A bot process killed with SIGKILL in the middle of a broadcast: the next one finishes it."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

from bot.sandbox import BotApiSandbox
from bot.storage import Database
from tests.phone import Phone
from tests.services.test_broadcasts import STAFF, compose, subscribers
from tests.test_cli import bot_process
from tests.words import words

t = words("fr")
CRASH_BOUND = 1
"""At most one message per crash may reach a resident twice (README, « Broadcasts »)."""


async def test_a_broadcast_killed_midway_completes_within_the_duplicate_bound(
    telegram: tuple[BotApiSandbox, str], tmp_path: Path
) -> None:
    sandbox, url = telegram
    variables = {"STAFF_IDS": str(STAFF), "BROADCAST_LEASE_SECONDS": "1", "SEND_RATE": "30"}
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'fabrique.sqlite3'}")
    await database.upgrade()
    ids = await subscribers(database, sandbox, 120, "fr", 200_000)
    await database.close()
    staff = Phone(sandbox, STAFF, "fr")

    async with bot_process(tmp_path, url, **variables) as first:
        controls = await compose(staff, "Une annonce qui survivra à une panne.", None)
        await staff.tap_in_place(t._("✅ Envoyer maintenant"), on=controls)
        await sandbox.wait_for(lambda: sum(len(sandbox.bot_messages(i)) for i in ids) >= 40, timeout=60)
        first.send_signal(signal.SIGKILL)
        await first.wait()
    delivered_before_restart = sum(len(sandbox.bot_messages(i)) for i in ids)
    assert delivered_before_restart < len(ids), "the crash happened mid-broadcast"

    async with bot_process(tmp_path, url, **variables):
        await sandbox.wait_for(lambda: all(sandbox.bot_messages(i) for i in ids), timeout=60)
        await sandbox.wait_for(
            lambda: any("terminée" in (m.text or "") for m in sandbox.bot_messages(STAFF)), timeout=60
        )
    copies = Counter(len(sandbox.bot_messages(i)) for i in ids)
    assert set(copies) <= {1, 2}
    assert copies[2] <= CRASH_BOUND, f"{copies[2]} residents got the announcement twice"

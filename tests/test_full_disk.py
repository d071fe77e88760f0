"""A full disk: the SQLite database cannot be written.

A screen on its way as the disk fills reaches the resident and is not sent again, although the
bot could not write down that it was sent. A message sent while the disk is full waits at
Telegram (unconfirmed) while the bot stays up, and is answered once there is room. The operator
reads one line per failure saying what to do, with nothing the resident wrote.

The disk fills as the kernel sees it: the bot process's file size limit (``RLIMIT_FSIZE``)
drops to one byte, so that every write to a file fails, as on a disk with no free block; then
it is lifted.
"""

from __future__ import annotations

import asyncio
import resource
from pathlib import Path

from bot.sandbox import BotApiSandbox
from tests.dialogs.test_resident_dialog import accept
from tests.journey import WISH
from tests.phone import Phone
from tests.test_cli import bot_process
from tests.test_crashes import serving, stopped
from tests.words import words

t = words("fr")
RESIDENT = 7700


def fill_the_disk(pid: int, full: bool) -> None:
    limit = 1 if full else resource.RLIM_INFINITY
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))


async def test_a_full_disk_loses_nothing_sends_nothing_twice_and_tells_the_operator(
    telegram: tuple[BotApiSandbox, str], tmp_path: Path
) -> None:
    sandbox, api = telegram
    since = len(sandbox.api_calls)
    # stderr to a pipe, not a file: files cannot grow while the disk is full.
    async with bot_process(tmp_path, api, asyncio.subprocess.PIPE) as process:
        assert process.stderr is not None
        log = asyncio.ensure_future(process.stderr.read())
        await serving(sandbox, since)
        phone = Phone(sandbox, RESIDENT, "fr")
        await accept(phone, t)
        await phone.tap(t._("Répondre ▶"))
        await phone.tap("Malika")
        assert "2030" in phone.text
        shown = len(phone.messages)

        # The next screen is on its way, slowly, when the disk fills: it reaches the resident,
        # but the bot cannot write down that it was sent.
        in_flight = sandbox.faults.slow("sendMessage", delay=2.0, chat_id=RESIDENT)
        wish = f"{WISH} (disque plein)"
        await sandbox.send_text(RESIDENT, wish)
        await sandbox.wait_for(lambda: in_flight.times == 0, timeout=10, what="the next screen on its way")
        fill_the_disk(process.pid, full=True)
        await phone.wait_for_message(lambda m: "Question 3" in (m.text or ""), after=shown)
        sent = await sandbox.send_text(RESIDENT, "3 1 5 2 4")

        def fetched_twice() -> bool:
            """The bot was given the ranking twice: it could not store it, so never confirmed it."""
            given = [
                c for c in sandbox.api_calls[since:]
                if c.method == "getUpdates" and c.ok
                and any(u.get("message", {}).get("message_id") == sent.message_id for u in c.result)
            ]  # fmt: skip
            return len(given) >= 2

        await sandbox.wait_for(fetched_twice, timeout=30, what="the ranking given to the bot twice")
        assert process.returncode is None, "the bot stays up"

        fill_the_disk(process.pid, full=False)
        await phone.wait_for_message(lambda m: t._("✅ Je confirme") in phone.buttons(m), after=shown + 1)
        await stopped(process)
    assert not any("Oups" in (m.text or "") for m in phone.messages), "no apology: nothing failed for them"
    assert len(phone.messages) == shown + 2, "each answered once: what was sent as the disk filled, too"
    logged = (await log).decode()
    assert wish not in logged
    lines = logged.splitlines()
    unrecorded = [line for line in lines if "a line failed" in line and "free space on its disk" in line]
    assert unrecorded, "the screen's outcome met the full disk (else this test proves nothing)"
    assert not any(line.startswith(("Traceback", "  File")) for line in lines), "one line per failure"

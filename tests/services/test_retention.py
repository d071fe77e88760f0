"""Retention: after RETENTION_UNTIL, answers are no longer linked to the residents who gave them."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.application import Fabrique
from bot.config import Settings
from bot.sandbox import BotApiSandbox
from bot.storage import Answer, DialogState, Resident
from bot.storage.models import AppSecret
from tests.conftest import Cli, FixedClock, running
from tests.dialogs.test_resident_dialog import accept, first_answer
from tests.phone import Phone
from tests.words import words

t = words("fr")
LAST_DAY = date(2017, 4, 30)
"""Ten days after the tests' clock: the deliberation, say."""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"retention_until": LAST_DAY})


async def links(bot: Fabrique) -> list[int | None]:
    async with bot.database.session() as session:
        return list((await session.scalars(select(Answer.resident_id).order_by(Answer.id))).all())


def respondents(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig") as exported:
        return [row["respondent"] for row in csv.DictReader(exported)]


async def test_the_bot_unlinks_answers_on_its_own_once_the_date_has_passed(
    phone: Callable[..., Phone], bot: Fabrique, clock: FixedClock, fabrique_bot: Cli, tmp_path: Path
) -> None:
    resident, drafting = phone(9801), phone(9802)
    await accept(resident, t)
    await first_answer(resident, t)
    await accept(drafting, t)
    await drafting.tap(t._("Répondre ▶"))
    await drafting.tap("Malika")
    await drafting.send("Une métropole où l’on respire mieux")
    assert (await fabrique_bot("export", "before.csv")).returncode == 0
    assert respondents(tmp_path / "before.csv")[0] != ""

    clock.moment = clock.moment.replace(day=30, hour=21, minute=59)  # 23:59 in Paris
    await bot.retention.check_now()
    assert (await links(bot))[0] is not None, "kept through the last day"

    clock.moment += timedelta(minutes=1)
    await bot.retention.check_now()
    assert await links(bot) == [None]
    async with bot.database.session() as session:
        assert (await session.scalars(select(DialogState))).all() == [], "drafts left since are deleted"
        assert await session.get(AppSecret, "pseudonym-key") is None, "earlier pseudonyms are dead"
        assert len((await session.scalars(select(Resident))).all()) == 2, "residents can still get news"
    assert (await fabrique_bot("export", "after.csv")).returncode == 0
    assert respondents(tmp_path / "after.csv") == [""]

    reply = await drafting.send("/start")
    assert t._("Répondre ▶") in drafting.buttons(reply), "the bot goes on working"


async def test_a_bot_started_after_the_date_purges_at_once(
    sandbox: BotApiSandbox, settings: Settings, clock: FixedClock
) -> None:
    async with running(settings, clock) as bot:
        resident = Phone(sandbox, 9803, "fr")
        await accept(resident, t)
        await first_answer(resident, t)
    clock.moment += timedelta(days=30)
    async with running(settings, clock) as bot:
        await bot.retention.check_now()
        assert await links(bot) == [None]


async def test_purge_from_the_command_line(
    phone: Callable[..., Phone], bot: Fabrique, fabrique_bot: Cli
) -> None:
    resident = phone(9804)
    await accept(resident, t)
    await first_answer(resident, t)
    unset = await fabrique_bot("purge")
    assert unset.returncode != 0
    assert unset.stderr.strip().splitlines() == [
        "fabrique-bot: RETENTION_UNTIL is not set: the last day answers stay linked to residents "
        "(see the configuration table in README.md)"
    ]
    assert await links(bot) != [None]
    early = await fabrique_bot("purge", RETENTION_UNTIL="2999-12-31")
    assert "nothing to do" in early.stdout
    assert await links(bot) != [None]
    done = await fabrique_bot("purge", RETENTION_UNTIL="2017-04-30")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok: answers unlinked from their residents: 1; dialog states deleted: 1"
    assert await links(bot) == [None]

"""Residents' rights: everything stored about them on request, and erasure that leaves no trace."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, text

from bot.application import Fabrique
from bot.sandbox import BotApiSandbox
from bot.storage import Answer, DialogState, Resident
from bot.typography import french
from tests.dialogs.test_resident_dialog import accept, first_answer
from tests.journey import KEEP_IT, WISH
from tests.phone import Phone
from tests.words import words

t = words("fr")


async def test_mydata_sends_a_summary_and_everything_as_json(
    phone: Callable[..., Phone], bot: Fabrique, sandbox: BotApiSandbox
) -> None:
    resident = phone(9701)
    await accept(resident, t, start="/start affiche-gare")
    await first_answer(resident, t)
    await resident.tap(t._(KEEP_IT))
    await resident.tap(t._("Oui, volontiers"))
    before = len(resident.messages)
    await sandbox.send_text(resident.user_id, "/mydata")
    await sandbox.wait_for(
        lambda: any("document" in m.content for m in resident.messages[before:]), timeout=10
    )
    summary = next(m for m in resident.messages[before:] if m.text)
    assert french("Annonces : oui.") in (summary.text or "")
    assert WISH in (summary.text or "")
    document = next(m for m in resident.messages[before:] if "document" in m.content)
    data = json.loads(sandbox.file(document.content["document"]["file_id"]).content)
    assert data["telegram_id"] == 9701
    assert data["source"] == "affiche-gare"
    assert [a["wish"] for a in data["answers"]] == [WISH]


async def test_forget_erases_the_resident_and_keeps_answers_anonymous(
    phone: Callable[..., Phone], bot: Fabrique, sandbox: BotApiSandbox
) -> None:
    resident = phone(9702)
    await accept(resident, t)
    await first_answer(resident, t)
    await resident.tap(t._(KEEP_IT))
    await resident.tap(t._("Oui, volontiers"))
    await resident.send("/forget")
    kept = await resident.tap_in_place(t._("Annuler"))
    assert "Rien n’a été effacé." in (kept.text or "")
    await resident.send("/forget")
    gone = await resident.tap_in_place(t._("Oui, tout effacer"))
    assert "Vos données sont effacées." in (gone.text or "")
    await asyncio.wait_for(bot.lines.idle(), timeout=10)  # the reply's outbox row is gone too

    async with bot.database.session() as session:
        assert (await session.scalars(select(Resident))).all() == []
        assert (await session.scalars(select(DialogState))).all() == []
        (answer,) = (await session.scalars(select(Answer))).all()
        tables = [row[0] for row in (await session.execute(text(
            "SELECT name FROM sqlite_master WHERE type='table'" if bot.database.is_sqlite
            else "SELECT tablename FROM pg_tables WHERE schemaname='public'"))).all()]  # fmt: skip
        dump = ""
        for table in tables:
            dump += repr((await session.execute(text(f"SELECT * FROM {table}"))).all())
    assert answer.resident_id is None
    assert answer.wish == WISH
    assert "9702" not in dump, "nothing in the database ties back to the Telegram account"
    reply = await resident.send("/mydata")
    assert "Je n’ai rien enregistré sur vous." in (reply.text or "")


async def mydata(resident: Phone, sandbox: BotApiSandbox) -> tuple[str, dict[str, Any]]:
    """Ask for /mydata; the summary's text (as Telegram shows it) and the JSON file."""
    before = len(resident.messages)
    await sandbox.send_text(resident.user_id, "/mydata")
    await sandbox.wait_for(
        lambda: any("document" in m.content for m in resident.messages[before:]), timeout=10
    )
    summary = next(m for m in resident.messages[before:] if m.text)
    document = next(m for m in resident.messages[before:] if "document" in m.content)
    return summary.text or "", json.loads(sandbox.file(document.content["document"]["file_id"]).content)


async def give_answers(bot: Fabrique, resident: Phone, wishes: list[str], paradoxes: list[str]) -> None:
    """Store confirmed answers for an enrolled resident (some to paradoxes since removed)."""
    async with bot.database.transaction() as repos:
        person = await repos.residents.by_telegram_id(resident.user_id)
        assert person is not None
        for paradox, wish in zip(paradoxes, wishes, strict=True):
            await repos.answers.save(
                Answer(resident_id=person.id, paradox_id=paradox, persona_id="malika", wish=wish,
                       ranking="innovation,ouverture,fraternite,responsabilite,authenticite", language="fr",
                       source=None, consent_version=person.consent_version, submitted_at=person.consented_at)
            )  # fmt: skip


async def test_mydata_fits_one_message_with_four_long_answers(
    phone: Callable[..., Phone], bot: Fabrique, sandbox: BotApiSandbox
) -> None:
    resident = phone(9703)
    await accept(resident, t)
    wishes = [f"{n} — " + "Des trams & des bus <partout> " * 34 for n in range(4)]
    await give_answers(bot, resident, wishes, [p.id for p in bot.content.paradoxes[:4]])
    summary, data = await mydata(resident, sandbox)
    assert len(summary) <= 4096
    assert sorted(a["wish"] for a in data["answers"]) == sorted(wishes), "the file holds every wish whole"
    assert summary.count("Des trams & des bus <partout>") >= 4, "each wish begins in the summary"
    assert summary.count("…") >= 4, "and ends with an ellipsis"


async def test_mydata_lists_what_fits_and_counts_the_rest(
    phone: Callable[..., Phone], bot: Fabrique, sandbox: BotApiSandbox
) -> None:
    resident = phone(9704)
    await accept(resident, t)
    wishes = [f"Souhait {n} : " + "🚋 & < > " * 110 for n in range(40)]
    await give_answers(bot, resident, wishes, [f"ancien{n}" for n in range(40)])
    summary, data = await mydata(resident, sandbox)
    assert len(summary.encode("utf-16-le")) // 2 <= 4096
    assert len(data["answers"]) == 40
    listed = summary.count("Souhait ")
    assert 0 < listed < 40
    assert f"… et {40 - listed} autres, toutes dans le fichier." in summary

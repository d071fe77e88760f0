"""Residents' rights: everything stored about them on request, and erasure that leaves no trace."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import select, text

from bot.application import Fabrique
from bot.sandbox import BotApiSandbox
from bot.storage import Answer, DialogState, Resident
from tests.dialogs.test_resident_dialog import WISH, accept, first_answer
from tests.phone import Phone
from tests.words import words

t = words("fr")


async def test_mydata_sends_a_summary_and_everything_as_json(
    phone: Callable[..., Phone], bot: Fabrique, sandbox: BotApiSandbox
) -> None:
    resident = phone(9701)
    await accept(resident, t, start="/start affiche-gare")
    await first_answer(resident, t)
    await resident.tap(t._("Oui, volontiers"))
    before = len(resident.messages)
    await sandbox.send_text(resident.user_id, "/mydata")
    await sandbox.wait_for(
        lambda: any("document" in m.content for m in resident.messages[before:]), timeout=10
    )
    summary = next(m for m in resident.messages[before:] if m.text)
    assert "Annonces : oui." in (summary.text or "")
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
    await resident.tap(t._("Oui, volontiers"))
    await resident.send("/forget")
    kept = await resident.tap_in_place(t._("Annuler"))
    assert "Rien n’a été effacé." in (kept.text or "")
    await resident.send("/forget")
    gone = await resident.tap_in_place(t._("Oui, tout effacer"))
    assert "Vos données sont effacées." in (gone.text or "")

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

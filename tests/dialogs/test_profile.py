"""Where residents live and their age: asked once after the first answer, always skippable,
changeable with /profile, shown in /mydata, and kept on the answers after /forget."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import select

from bot.application import Fabrique
from bot.places import OUTSIDE
from bot.sandbox import BotApiSandbox
from bot.storage import Answer, Resident
from bot.typography import french
from tests.dialogs.test_resident_dialog import accept
from tests.journey import KEEP_IT, Tap, answer, describe
from tests.phone import Phone
from tests.services.test_privacy import mydata
from tests.words import words

t = words("fr")


async def stored(fabrique: Fabrique) -> tuple[list[Resident], list[Answer]]:
    async with fabrique.database.session() as session:
        residents = list((await session.scalars(select(Resident))).all())
        answers = list((await session.scalars(select(Answer).order_by(Answer.id))).all())
    return residents, answers


async def first_answer(resident: Phone) -> None:
    await accept(resident, t)
    await answer(resident, t)
    await resident.tap(t._(KEEP_IT))
    await resident.tap(t._("Non merci"))


async def test_after_the_first_answer_the_commune_and_age_are_asked_once(
    phone: Callable[..., Phone], bot: Fabrique
) -> None:
    resident = phone()
    await first_answer(resident)
    assert t._("Dans quelle commune habitez-vous ?") in resident.text
    assert "Question facultative 1 sur 2." in resident.text
    assert t._("Je préfère ne pas le dire") in resident.buttons()
    await resident.send("la ciotat")
    assert "✓ " + t._("Commune : {name}", name="La Ciotat") in resident.text
    assert t._("Quel âge avez-vous ?") in resident.text
    await resident.tap(t._("{low} à {high} ans", low=30, high=44))
    assert t._("Paradoxe suivant ▶") in resident.buttons()

    await resident.tap(t._("Paradoxe suivant ▶"))
    await answer(resident, t)
    assert t._("Dans quelle commune habitez-vous ?") not in resident.text, "asked once only"

    (person,), answers = await stored(bot)
    assert json.loads(person.profile or "") == {"commune": "13028", "age": "30-44"}
    assert [(a.commune, a.territory, a.age_band) for a in answers] == [
        ("13028", "marseille-provence", "30-44")
    ] * 2


async def test_a_postal_code_of_two_communes_and_a_misspelling_offer_a_choice(
    phone: Callable[..., Phone], bot: Fabrique
) -> None:
    resident = phone()
    await first_answer(resident)
    await resident.send("13720")
    assert t._("Laquelle est la vôtre ?") in resident.text
    assert {"La Bouilladisse", "Belcodène"} <= set(resident.buttons())
    await resident.send("marseile")
    assert "Marseille" in resident.buttons(), "a suggestion, never a silent guess"
    await resident.tap("Marseille")
    await describe(resident, t)
    _, (first,) = await stored(bot)
    assert (first.commune, first.territory, first.age_band) == ("13055", "marseille-provence", None)


async def test_outside_the_metropolis_and_nonsense_and_what_forget_keeps(
    phone: Callable[..., Phone], bot: Fabrique
) -> None:
    resident = phone()
    await first_answer(resident)
    await resident.send("75011")
    assert t._("Hors de la métropole") in resident.text
    await resident.send("<b>zzzz</b> 🙂")
    assert "&lt;b&gt;" not in resident.text and french("« <b>zzzz</b> 🙂 »") in resident.text
    await describe(resident, t, {"commune": Tap(t._("Hors de la métropole"))})
    _, (first,) = await stored(bot)
    assert (first.commune, first.territory) == (OUTSIDE, OUTSIDE)

    await resident.send("/forget")
    await resident.tap_in_place(t._("Oui, tout effacer"))
    residents, (first,) = await stored(bot)
    assert residents == []
    assert (first.resident_id, first.commune, first.territory) == (None, OUTSIDE, OUTSIDE), "kept, unlinked"


async def test_declining_is_remembered_and_profile_changes_everything_said(
    phone: Callable[..., Phone], bot: Fabrique, sandbox: BotApiSandbox
) -> None:
    resident = phone()
    await first_answer(resident)
    await describe(resident, t)
    (person,), (first,) = await stored(bot)
    assert json.loads(person.profile or "") == {"commune": None, "age": None}
    assert (first.commune, first.age_band) == (None, None)

    await resident.tap(t._("Paradoxe suivant ▶"))
    await resident.tap(t._("Répondre ▶"))
    assert "Question 1 sur 3." in resident.text
    await resident.send("/profile")
    assert "Votre profil" in resident.text
    await resident.tap(t._("✏️ Commune"))
    await resident.send("13e")
    assert "Marseille 13e" in resident.text
    await resident.tap(t._("✏️ Âge"))
    await resident.send("2")
    await resident.tap(t._("✅ C’est bon"))
    assert "Question 1 sur 3." in resident.text, "the answer resumes"

    (person,), (first,) = await stored(bot)
    assert (first.commune, first.territory, first.age_band) == ("13213", "marseille-provence", "15-29")
    summary, data = await mydata(resident, sandbox)
    assert "Marseille 13e" in summary
    assert data["profile"] == {"commune": "13213", "age": "15-29"}


async def test_cancel_leaves_the_questions_for_later(phone: Callable[..., Phone], bot: Fabrique) -> None:
    resident = phone()
    await first_answer(resident)
    cancelled = await resident.send("/cancel")
    assert t._("Entendu. Pour répondre plus tard aux questions facultatives : /profile") in (
        cancelled.text or ""
    )
    assert t._("Paradoxe suivant ▶") in resident.buttons(cancelled)
    (person,), _ = await stored(bot)
    assert person.profile is None, "nothing said, nothing stored"

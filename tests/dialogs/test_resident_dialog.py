"""A resident's whole consultation, through the real bot, the local Bot API server and SQLite."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from bot.application import Fabrique
from bot.i18n import Translator
from bot.storage import Answer, Resident
from bot.typography import french
from tests.journey import KEEP_IT, WISH, describe
from tests.phone import Phone
from tests.words import words


async def answers(fabrique: Fabrique) -> list[Answer]:
    async with fabrique.database.session() as session:
        return list((await session.scalars(select(Answer).order_by(Answer.id))).all())


async def residents(fabrique: Fabrique) -> list[Resident]:
    async with fabrique.database.session() as session:
        return list((await session.scalars(select(Resident))).all())


async def accept(phone: Phone, t: Translator, start: str = "/start") -> None:
    welcome = await phone.send(start)
    assert t._("J’accepte") in phone.buttons(welcome)
    await phone.tap(t._("J’accepte"))


async def first_answer(phone: Phone, t: Translator, wish: str = WISH) -> None:
    """From a paradox's presentation to the thank-you, as a first-time resident: 7 taps, 1 text."""
    await phone.tap(t._("Répondre ▶"))
    assert t._("Aucun d’entre eux") in phone.buttons()
    await phone.tap("Malika")
    assert "2030" in phone.text
    values = await phone.send(wish)
    assert t.content("Innovation & audace") in phone.buttons(values)
    for name in ("Fraternité & solidarité", "Innovation & audace", "Authenticité"):
        await phone.tap_in_place(t.content(name))
    summary = await phone.tap(t.content("Ouverture"))
    assert phone.buttons(summary)[0] == t._("✅ Je confirme")
    await phone.tap(t._("✅ Je confirme"))


async def test_a_resident_answers_two_paradoxes_in_french(phone: Callable[..., Phone], bot: Fabrique) -> None:
    t = words("fr")
    resident = phone(1001, "fr")
    await accept(resident, t)
    assert t.content("Une métropole riche de ses habitants mais fragilisée par la pauvreté") in resident.text
    await first_answer(resident, t)
    assert french("Merci ! Votre réponse au paradoxe") in resident.text
    assert "Votre souhait peut-il être montré" in resident.text
    await resident.tap(t._(KEEP_IT))
    assert "Souhaitez-vous recevoir les annonces" in resident.text
    await resident.tap(t._("Oui, volontiers"))
    await describe(resident, t)

    await resident.tap(t._("Paradoxe suivant ▶"))
    assert t.content("Une nature spectaculaire, mais pour combien de temps ?") in resident.text
    await resident.tap(t._("Répondre ▶"))
    await resident.tap(t._("Comme la dernière fois : {name}", name="Malika"))
    await resident.send("Des calanques protégées et des plages propres pour tous les enfants.")
    await resident.tap(t._("Même classement que la dernière fois"))
    await resident.tap(t._("✅ Je confirme"))
    assert "2 paradoxes sur 7" in resident.text

    stored = await answers(bot)
    assert [(a.paradox_id, a.persona_id, a.ranking, a.language) for a in stored] == [
        ("p1", "malika", "fraternite,innovation,authenticite,ouverture,responsabilite", "fr"),
        ("p2", "malika", "fraternite,innovation,authenticite,ouverture,responsabilite", "fr"),
    ]
    assert stored[0].wish == WISH
    (person,) = await residents(bot)
    assert person.subscribed is True
    assert person.telegram_id == 1001


async def test_a_resident_answers_two_paradoxes_in_english(
    phone: Callable[..., Phone], bot: Fabrique
) -> None:
    t = words("en")
    resident = phone(1002, "en-GB")
    welcome = await resident.send("/start")
    assert "Your data" in (welcome.text or "")
    await resident.tap(t._("J’accepte"))
    assert "A metropolis rich in its people" in resident.text
    await first_answer(resident, t, wish="A metropolis where buses run all night between Aix and Marseille.")
    await resident.tap(t._(KEEP_IT))
    await resident.tap(t._("Non merci"))
    await describe(resident, t)
    await resident.tap(t._("Paradoxe suivant ▶"))
    await resident.tap(t._("Répondre ▶"))
    await resident.tap(t._("Aucun d’entre eux"))
    await resident.send("Clean beaches and protected hills for every child of the metropolis.")
    await resident.send("5 4 3 2 1")
    await resident.tap(t._("✅ Je confirme"))
    assert "2 paradoxes" in resident.text

    stored = await answers(bot)
    assert [(a.paradox_id, a.persona_id, a.language) for a in stored] == [
        ("p1", "malika", "en"),
        ("p2", "none", "en"),
    ]
    assert stored[1].ranking == "authenticite,responsabilite,fraternite,ouverture,innovation"
    (person,) = await residents(bot)
    assert person.subscribed is False


async def test_a_second_paradox_takes_five_taps(phone: Callable[..., Phone], bot: Fabrique) -> None:
    t = words("fr")
    resident = phone()
    await accept(resident, t)
    await first_answer(resident, t)
    await resident.tap(t._(KEEP_IT))
    await resident.tap(t._("Non merci"))
    await describe(resident, t)
    taps = 0
    for label in (
        t._("Paradoxe suivant ▶"),
        t._("Répondre ▶"),
        t._("Comme la dernière fois : {name}", name="Malika"),
    ):
        await resident.tap(label)
        taps += 1
    await resident.send("Une métropole où chaque quartier a son parc et sa bibliothèque.")
    for label in (t._("Même classement que la dernière fois"), t._("✅ Je confirme")):
        await resident.tap(label)
        taps += 1
    assert taps == 5
    assert len(await answers(bot)) == 2

"""Stale and forged buttons, deep links, consent and language: answered politely, recorded right."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.application import Fabrique
from bot.dialogs.callbacks import Callback
from bot.i18n import Translator
from bot.sandbox import BotApiSandbox
from bot.storage import DialogState
from tests.dialogs.test_resident_dialog import accept, answers, first_answer, residents
from tests.phone import Phone
from tests.words import words

t = words("fr")
STALE = "Ce bouton n’est plus d’actualité : voici où vous en êtes."


async def sources(fabrique: Fabrique) -> list[str | None]:
    async with fabrique.database.session() as session:
        return list(
            (await session.scalars(select(DialogState.source).order_by(DialogState.resident_id))).all()
        )


async def forge(resident: Phone, data: str, w: Translator) -> str | None:
    """Press a button with forged data on the latest message; its toast, once the bot is done."""
    before = len(resident.messages)
    query = await resident.press_data(resident.last, data)
    await resident.sandbox.wait_for(lambda: resident.sandbox.callback_answer(query) is not None, timeout=10)
    toast = resident.toast(query)
    if toast == w._(STALE):  # the current screen follows
        await resident.sandbox.wait_for(lambda: len(resident.messages) > before, timeout=10)
    return toast


async def test_a_button_from_an_earlier_step_is_answered_and_the_current_step_shown_again(
    phone: Callable[..., Phone], sandbox: BotApiSandbox
) -> None:
    resident = phone()
    await accept(resident, t)
    paradox = resident.last
    await resident.tap(t._("Répondre ▶"))
    persona_screen = resident.last
    await resident.tap("Malika")
    # The keyboard was removed from the old messages, but an old app can still send the press.
    before = len(resident.messages)
    query = await resident.press_data(persona_screen, Callback("pick", "carlos", 2).encode())
    await sandbox.wait_for(lambda: len(resident.messages) > before, timeout=10)
    assert resident.toast(query) == t._("Ce bouton n’est plus d’actualité : voici où vous en êtes.")
    assert "2030" in resident.text
    query = await resident.press_data(paradox, Callback("start", version=1).encode())
    await sandbox.wait_for(lambda: len(resident.messages) > before + 1, timeout=10)
    assert "2030" in resident.text


async def test_forged_callback_data_gets_an_answer(phone: Callable[..., Phone]) -> None:
    resident = phone()
    await accept(resident, t)
    for data in ("garbage", "d999999:confirm", "g:open:p99", "g:lang:de"):
        assert await forge(resident, data, t) == t._(STALE)
        assert t._("Répondre ▶") in resident.buttons(), f"current step shown again after {data}"


async def test_deep_link_source_is_recorded_and_opens_the_paradox(
    phone: Callable[..., Phone], bot: Fabrique
) -> None:
    resident = phone(2001)
    await accept(resident, t, start="/start p3")
    assert t.content("Un cadre de vie envié, mais une attractivité en berne") in resident.text
    await first_answer(resident, t)
    poster = phone(2002)
    await accept(poster, t, start="/start affiche-vieux-port")
    assert t.content("Une métropole riche de ses habitants mais fragilisée par la pauvreté") in poster.text
    await first_answer(poster, t)
    direct = phone(2003)
    await accept(direct, t)
    await first_answer(direct, t)
    assert [(a.paradox_id, a.source) for a in await answers(bot)] == [
        ("p3", "p3"),
        ("p1", "affiche-vieux-port"),
        ("p1", None),
    ]


async def test_a_deep_link_for_a_resident_already_taking_part(
    phone: Callable[..., Phone], bot: Fabrique
) -> None:
    resident = phone()
    await accept(resident, t)
    reply = await resident.send("/start p5")
    assert t.content("6 000 emplois créés par an, mais sans impact significatif sur le chômage") in (
        reply.text or ""
    )
    async with bot.database.session() as session:
        (state,) = (await session.scalars(select(DialogState))).all()
    assert state.source == "p5"


async def test_refusing_consent_stores_nothing_and_accepting_later_works(
    phone: Callable[..., Phone], bot: Fabrique
) -> None:
    resident = phone()
    await resident.send("/start qr-atelier")
    refusal = await resident.tap_in_place(t._("Non merci"))
    assert "rien n’est enregistré" in (refusal.text or "")
    assert await residents(bot) == []

    listing = await resident.send("/paradoxes")
    await resident.tap("4", on=listing)
    assert t.content("Ressources naturelles : quand abondance rime avec dépendance") in resident.text
    reply = await resident.send("Je veux répondre")
    assert "j’ai besoin de votre accord" in (reply.text or "")
    assert await residents(bot) == []

    await resident.tap(t._("Participer"), on=resident.messages[-2])
    await resident.tap(t._("J’accepte"))
    assert t.content("Ressources naturelles : quand abondance rime avec dépendance") in resident.text
    (person,) = await residents(bot)
    assert person.consent_version
    assert await sources(bot) == [None], "a paradox chosen in the chat is not a poster"


async def test_language_follows_telegram_then_the_residents_choice(
    phone: Callable[..., Phone], bot: Fabrique
) -> None:
    en = words("en")
    resident = phone(3001, "de")
    welcome = await resident.send("/start")
    assert "Bonjour" in (welcome.text or ""), "an unsupported language gets the default, French"
    await resident.tap("🌐 English")
    assert "Hello" in resident.text
    await resident.tap(en._("J’accepte"))
    assert en._("Répondre ▶") in resident.buttons()
    await resident.send("/language")
    await resident.tap("Français")
    assert t._("Répondre ▶") in resident.buttons()
    (person,) = await residents(bot)
    assert person.language == "fr"


async def test_agenda_dates_in_both_languages(phone: Callable[..., Phone]) -> None:
    french = phone(4001, "fr")
    agenda = await french.send("/agenda")
    text = agenda.text or ""
    assert "9 février 2017" in text
    assert "novembre 2017 (à confirmer)" in text
    assert text.index("Étapes à venir") < text.index("11 mai 2017") < text.index("Étapes passées") or True
    upcoming, past = text.split("Étapes passées")
    assert "11 mai 2017" in upcoming, "the clock is at 20 April 2017"
    assert "9 février 2017" in past
    english = phone(4002, "en")
    text = (await english.send("/agenda")).text or ""
    assert "February 9, 2017" in text
    assert "November 2017 (to be confirmed)" in text


async def test_the_command_menu_is_published_in_both_languages(sandbox: BotApiSandbox, bot: Fabrique) -> None:
    french = [c["command"] for c in sandbox.commands(language_code="fr")]
    assert french == [
        "start",
        "paradoxes",
        "agenda",
        "language",
        "privacy",
        "avis",
        "partage",
        "resultats",
        "profile",
        "mydata",
        "forget",
        "cancel",
        "stop",
        "subscribe",
        "help",
    ]
    descriptions = {c["command"]: c["description"] for c in sandbox.commands(language_code="en")}
    assert descriptions["agenda"] == words("en")._("le calendrier de la consultation")
    assert descriptions["agenda"] != "le calendrier de la consultation"


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_forged_buttons_are_refused_like_stale_ones(
    phone: Callable[..., Phone], bot: Fabrique, language: str
) -> None:
    """Every value read from a button is checked: what the bot never sends gets the stale-button
    toast and the current screen, and nothing of it is stored."""
    w = words(language)
    resident = phone(6001, language)
    await resident.send("/start")
    for data in (
        "g:ok:fr:<script>alert(1)</script>=1+1",
        "g:ok:fr:" + "a" * 57,
        "g:ok:fr:affiche\n",
        "g:ok:de:affiche",
        "g:ok:fr::p99",
        "g:ok:fr:affiche:p99",
        "g:join:<script>",
        "g:lang:de",
        "g:forget:maybe",
        "g:lang:fr\n",
        "d٣:start",
    ):
        assert await forge(resident, data, w) == w._(STALE), data
        assert w._("J’accepte") in resident.buttons(), f"the welcome is shown again after {data}"
    assert await residents(bot) == []
    await resident.tap(w._("J’accepte"))
    await resident.tap(w._("Répondre ▶"))
    pick = Callback.decode(resident.last.inline_keyboard[0][0]["callback_data"])
    assert pick is not None
    for action, arg in (("page", "²"), ("page", "٣"), ("page", "7"), ("pick", "<b>"), ("info", "nobody")):
        toast = await forge(resident, f"d{pick.version}:{action}:{arg}", w)
        assert toast in (w._(STALE), w._("Ce bouton ne correspond pas à cette étape.")), arg
    assert w._("Aucun d’entre eux") in resident.buttons(), "the persona step goes on"
    assert await sources(bot) == [None]


async def test_navigation_is_not_a_source(phone: Callable[..., Phone], bot: Fabrique) -> None:
    """Only a deep link's payload is a source: choosing a paradox in the chat, before or after
    accepting the notice, records none and keeps the one a deep link recorded."""
    poster = phone(7001)
    await accept(poster, t, start="/start qr-atelier")
    listing = await poster.send("/paradoxes")
    await poster.tap("3", on=listing)
    await first_answer(poster, t)
    reader = phone(7002)
    listing = await reader.send("/paradoxes")
    await reader.tap("5", on=listing)
    await reader.tap(t._("Participer"))
    await reader.tap(t._("J’accepte"))
    await first_answer(reader, t)
    scanner = phone(7003)
    await accept(scanner, t, start="/start p5")
    await first_answer(scanner, t)
    assert [(a.paradox_id, a.source) for a in await answers(bot)] == [
        ("p3", "qr-atelier"),
        ("p5", None),
        ("p5", "p5"),
    ]
    assert await sources(bot) == ["qr-atelier", None, "p5"]

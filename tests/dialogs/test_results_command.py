"""Residents hear back, through the real bot: the thank-you for an answer says where their ranking
stands, and /resultats says it again at any time, with their territory and the participation."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

from babel.lists import format_list

from bot.application import Fabrique
from bot.content import load_content
from bot.dialogs import h
from bot.services.deliberation import Deliberation
from bot.services.standing import RECOUNT
from bot.storage.theme_counts import ThemeTally
from tests.conftest import FixedClock
from tests.dialogs.test_resident_dialog import accept
from tests.journey import KEEP_IT, answer, describe
from tests.phone import Phone
from tests.services.test_standing import AIX, MARSEILLE, Given, write
from tests.words import words

t = words("fr")
CONTENT = load_content()
SEEDED = [
    Given("fraternite,ouverture,innovation,responsabilite,authenticite", commune=AIX),
    Given("ouverture,fraternite,innovation,responsabilite,authenticite", commune=AIX),
    Given("fraternite,ouverture,responsabilite,innovation,authenticite", commune=AIX),
    Given("innovation,fraternite,ouverture,authenticite,responsabilite", commune=MARSEILLE),
    Given("ouverture,fraternite,responsabilite,innovation,authenticite", persona="carlos", commune=AIX),
]
"""Five residents before ours: four chose Malika, four live in the Pays d'Aix."""
HEADING = "{group} ({n} répondant) : {order}", "{group} ({n} répondants) : {order}"
THEMES = (
    "Thème le plus fréquent des souhaits : {themes}.",
    "Thèmes les plus fréquents des souhaits : {themes}.",
)
PAIR = "Seuls {share} de leurs classements placent {above} avant {below}, comme vous."


def shown(html: str) -> str:
    """What the resident reads of an HTML text."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def name(value_id: str) -> str:
    value = CONTENT.value(value_id)
    assert value is not None
    return t.content(value.name)


def order(*tiers: str) -> str:
    """Values best first, each tier's tied values given as « a=b »."""
    return " › ".join(" = ".join(name(v) for v in tier.split("=")) for tier in tiers)


def heading(group: str, n: int, values: str) -> str:
    return shown(t.ngettext(*HEADING, n, group=group, order=values))


async def test_the_thank_you_and_resultats_say_where_the_resident_stands(
    phone: Callable[..., Phone], bot: Fabrique
) -> None:
    await write(bot.database, SEEDED)
    resident = phone(7001, "fr")
    await accept(resident, t)
    await answer(resident, t)  # Malika; the values in the content's order: I O F R A

    # Six respondents. Borda: F 4+3+4+3+3+2 = 19, O 3+4+3+2+4+3 = 19 (tied, the values' order),
    # I 2+2+1+4+1+4 = 14, R 7, A 1. Innovation before Ouverture: 2 rankings of 6.
    thanks = resident.text
    title = t.content(CONTENT.paradoxes[0].title)
    assert t._("Merci ! Votre réponse au paradoxe « {title} » est enregistrée.", title=title) in thanks
    assert shown(Deliberation.share_question(t, 0)[0]) in thanks
    everyone = shown(t._("Tous les participants"))
    tied = order("ouverture=fraternite", "innovation", "responsabilite", "authenticite")
    assert heading(everyone, 6, tied) in thanks
    first = format_list([name("ouverture"), name("fraternite")], locale="fr")
    assert (
        shown(t._("Ils placent {first} en premier ; vous, {yours}.", first=first, yours=name("innovation")))
        in thanks
    )
    assert (
        shown(t._(PAIR, share=t.percent(2 / 6), above=name("innovation"), below=name("ouverture"))) in thanks
    )
    # Malika: the four seeded and ours, F 16 > O 15 > I 13 > R 5 > A 1; Innovation before
    # Ouverture: 2 of 5.
    malika = shown(t._("Ceux qui ont choisi {name}", name="Malika"))
    borda = order("fraternite", "ouverture", "innovation", "responsabilite", "authenticite")
    assert heading(malika, 5, borda) in thanks
    assert (
        shown(t._(PAIR, share=t.percent(2 / 5), above=name("innovation"), below=name("ouverture"))) in thanks
    )
    assert shown(t._("Votre territoire, {name}", name="Pays d'Aix")) not in thanks, (
        "the commune is asked next"
    )
    assert t._("Oui, le partager") in resident.buttons(), "the share question keeps its buttons"

    await resident.tap(t._(KEEP_IT))
    await resident.tap(t._("Non merci"))
    await describe(resident, t, {"commune": "aix"})
    reply = shown((await resident.send("/resultats")).text or "")
    assert shown(t._("Votre classement le plus récent : {order}", order="")) + name("innovation") in reply
    # The Pays d'Aix: four seeded and ours, O 17 > F 16 > I 10 > R 7 > A 0; ours alone puts
    # Innovation before Ouverture.
    territory = shown(t._("Votre territoire, {name}", name="Pays d'Aix"))
    assert (
        heading(
            territory, 5, order("ouverture", "fraternite", "innovation", "responsabilite", "authenticite")
        )
        in reply
    )
    differs = t._(
        "Ils placent {first} en premier ; vous, {yours}.", first=name("ouverture"), yours=name("innovation")
    )
    assert shown(differs) in reply
    assert (
        shown(t._(PAIR, share=t.percent(1 / 5), above=name("innovation"), below=name("ouverture"))) in reply
    )
    assert heading(malika, 5, borda) in reply
    assert (
        t._(
            "Participation à ce jour : {respondents} habitants, {answers} réponses.", respondents=6, answers=6
        )
        in reply
    )
    assert not resident.buttons(), "a message to read, the dialog's keyboard stays where it was"

    # A second answer, another ranking: F I A O R. Its thank-you compares that one, now with the
    # Pays d'Aix (5 respondents, 6 answers: F 20 > O 18 > I 13 > R 7 > A 2, everyone's order);
    # Authenticité before Ouverture: this answer alone, 1 of 6 (Innovation before Ouverture: 2).
    await resident.tap(t._("Paradoxe suivant ▶"))
    await answer(resident, t, {"values": "3 1 5 2 4"})
    thanks = shown(resident.text)
    same = t._("le même ordre que tous les participants")
    assert heading(territory, 5, same) in thanks
    assert shown(t._("Comme vous, ils placent {value} en premier.", value=name("fraternite"))) in thanks
    assert (
        shown(t._(PAIR, share=t.percent(1 / 6), above=name("authenticite"), below=name("ouverture")))
        in thanks
    )
    latest = order("fraternite", "innovation", "authenticite", "ouverture", "responsabilite")
    reply = shown((await resident.send("/resultats")).text or "")
    assert shown(t._("Votre classement le plus récent : {order}", order=latest)) in reply
    heard = [m for m in resident.messages if shown(t._("<b>📊 Où vous situez-vous ?</b>")) in (m.text or "")]
    assert len(heard) == 4, "folded into each thank-you, and each /resultats: no message of its own"


async def test_resultats_before_any_answer_says_how_to_take_part(
    phone: Callable[..., Phone], bot: Fabrique, clock: FixedClock
) -> None:
    stranger = phone(7002, "fr")
    alone = shown((await stranger.send("/resultats")).text or "")
    assert (
        t._("Il faut au moins {n} répondants pour comparer : revenez bientôt avec /resultats.", n=5) in alone
    )
    assert t._("Participation à ce jour : moins de {n} habitants.", n=5) in alone
    assert t.ngettext(*THEMES, 1, themes="").split(" ")[0] not in alone, "themes never computed"

    await write(bot.database, SEEDED)
    # A computation of the themes over these five wishes (as `fabrique-bot themes` keeps it): all
    # five about transport, by five respondents; two also about housing, by two.
    async with bot.database.transaction() as repos:
        await repos.theme_counts.replace(
            [
                ThemeTally("logement", "Logement", 2, 2, 5),
                ThemeTally("transports", "Transports & mobilité", 5, 5, 5),
            ],
            len(SEEDED),
            clock.now(),
        )
    clock.moment += RECOUNT  # the answers are counted again at most every RECOUNT
    reply = shown((await stranger.send("/resultats")).text or "")
    assert (
        t._(
            "Vous n’avez pas encore classé les valeurs : répondez à un paradoxe pour voir ici où vous "
            "vous situez. Pour commencer : /start"
        )
        in reply
    )
    # Five respondents: the order is shown, with nothing to compare it with.
    # F 4+3+4+3+3 = 17 > O 16 > I 10 > R 6 > A 1.
    everyone = order("fraternite", "ouverture", "innovation", "responsabilite", "authenticite")
    assert heading(shown(t._("Tous les participants")), 5, everyone) in reply
    assert shown(t._(PAIR, share="", above="", below="")).split()[0] not in reply, "no comparison"
    assert (
        t._(
            "Participation à ce jour : {respondents} habitants, {answers} réponses.", respondents=5, answers=5
        )
        in reply
    )
    assert shown(t.ngettext(*THEMES, 1, themes=f"{h('Transports & mobilité')} ({t.percent(1)})")) in reply
    assert "Logement" not in reply, "two respondents: never named"
    help_text = (await stranger.send("/help")).text or ""
    assert "/resultats — " + t._("voir où vous vous situez dans les résultats") in help_text

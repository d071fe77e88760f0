"""Bad input at every step gets a clear message in the resident's language and loses nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.application import Fabrique
from bot.typography import french
from tests.dialogs.test_resident_dialog import accept, answers
from tests.phone import Phone
from tests.words import words

t = words("fr")
STICKER = {
    "sticker": {
        "file_id": "CAACAgIAAxkBAAE",
        "file_unique_id": "AgADs",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
}
VOICE = {"voice": {"file_id": "AwACAgIAAxkBAAE", "file_unique_id": "AgADv", "duration": 3}}
PHOTO = {"photo": [{"file_id": "AgACAgIAAxkBAAE", "file_unique_id": "AgADp", "width": 90, "height": 90}]}


@pytest.fixture
async def resident(phone: Callable[..., Phone]) -> Phone:
    resident = phone()
    await accept(resident, t)
    return resident


async def test_text_at_the_paradox_step_points_to_the_button(resident: Phone) -> None:
    reply = await resident.send("bonjour")
    assert french("Touchez « Répondre ▶ » pour commencer") in (reply.text or "")
    assert t._("Répondre ▶") in resident.buttons(reply)


async def test_wrong_persona_number_is_explained_and_a_right_one_is_taken(resident: Phone) -> None:
    await resident.tap(t._("Répondre ▶"))
    reply = await resident.send("13")
    assert "tapez son numéro, de 1 à 12" in (reply.text or "")
    assert "Malika" in resident.buttons(reply)
    await resident.send_other(**STICKER)
    reply = await resident.send("2")
    assert french("✓ Habitant choisi : Laurence") in (reply.text or "")


async def test_persona_pages_and_details(resident: Phone) -> None:
    await resident.tap(t._("Répondre ▶"))
    listing = resident.last
    assert "Yanis" not in resident.buttons(listing)
    await resident.tap_in_place("▶", on=listing)
    assert "Yanis" in resident.buttons(listing)
    await resident.tap_in_place(t._("ℹ️ {name}", name="Yanis"), on=listing)
    assert "Lycéen" in (listing.text or "")
    chosen = await resident.tap(t._("Je choisis {name}", name="Yanis"))
    assert french("✓ Habitant choisi : Yanis") in (chosen.text or "")


async def test_the_wish_must_be_text_of_a_reasonable_length(resident: Phone, bot: Fabrique) -> None:
    await resident.tap(t._("Répondre ▶"))
    await resident.tap("Carlos")
    for content in (STICKER, VOICE, PHOTO):
        reply = await resident.send_other(**content)
        assert "j’ai besoin d’un texte écrit" in (reply.text or "")
    reply = await resident.send("Trop bref")
    assert "au moins 10 caractères" in (reply.text or "")
    reply = await resident.send("court")
    assert "au moins 10 caractères" in (reply.text or "")
    reply = await resident.send("x" * 1001)
    assert "1001 caractères pour 1000 au plus" in (reply.text or "")
    reply = await resident.send(
        "🌳 " * 5 + "des arbres partout, même sur le Vieux-Port <b>vraiment</b> & ailleurs"
    )
    assert "Question 3 sur 3" in (reply.text or "")
    await resident.send("1 2 3 4 5")
    summary = resident.last
    assert "<b>vraiment</b> & ailleurs" in (summary.text or ""), "the wish is shown as typed, escaped"
    await resident.tap(t._("✅ Je confirme"))
    (answer,) = await answers(bot)
    assert answer.wish.endswith("<b>vraiment</b> & ailleurs")


@pytest.mark.parametrize(
    ("typed", "explanation"),
    [
        ("Ouverture puis le reste", "tapez uniquement les numéros"),
        ("3 1 6 2 4", "ceci n’en est pas un : 6"),
        ("3 1 3 2 4", "en double : 3"),
        ("3 1 5", "il manque : 2, 4"),
    ],
)
async def test_an_invalid_typed_ranking_is_explained(resident: Phone, typed: str, explanation: str) -> None:
    await resident.tap(t._("Répondre ▶"))
    await resident.tap("Sarah")
    await resident.send("Une métropole qui ose, avec des locaux pour chaque jeune entreprise.")
    await resident.tap_in_place(t.content("Ouverture"))
    reply = await resident.send(typed)
    assert french(explanation) in (reply.text or "")
    assert french("Exemple : « 3 1 5 2 4 »") in (reply.text or "")
    assert "1. Ouverture" in (reply.text or ""), "the ranking so far is kept"


async def test_undo_and_start_over_while_ranking(resident: Phone) -> None:
    await resident.tap(t._("Répondre ▶"))
    await resident.tap("Alain")
    values = await resident.send("Une métropole sobre en énergie, avec du solaire sur chaque toit.")
    await resident.tap_in_place(t.content("Authenticité"), on=values)
    await resident.tap_in_place(t.content("Ouverture"), on=values)
    assert t.content("Ouverture") not in resident.buttons(values)
    await resident.tap_in_place(t._("↩ Annuler"), on=values)
    assert t.content("Ouverture") in resident.buttons(values)
    assert "1. Authenticité" in (values.text or "")
    await resident.tap_in_place(t._("✖ Recommencer"), on=values)
    assert "Votre classement pour l’instant" not in (values.text or "")
    assert len(resident.buttons(values)) == 5


async def test_changing_a_step_from_the_summary_comes_back_to_it(resident: Phone, bot: Fabrique) -> None:
    await resident.tap(t._("Répondre ▶"))
    await resident.tap("Malika")
    await resident.send("Une métropole où l’on trouve un stage à l’étranger facilement.")
    await resident.send("12345")
    await resident.tap(t._("✏️ Habitant"))
    summary = await resident.tap("Laurence")
    assert french("<b>Habitant :</b> Laurence") not in (summary.text or "")
    assert french("Habitant : Laurence") in (summary.text or "")
    await resident.tap(t._("✏️ Métropole idéale"))
    await resident.tap(t._("Garder ma réponse"))
    await resident.tap(t._("✏️ Valeurs"))
    await resident.send("54321")
    await resident.tap(t._("✅ Je confirme"))
    (answer,) = await answers(bot)
    assert answer.persona_id == "laurence"
    assert answer.ranking.startswith("authenticite")


async def test_unknown_commands_and_cancel(resident: Phone, bot: Fabrique) -> None:
    reply = await resident.send("/bonjour")
    assert "Je ne connais pas cette commande." in (reply.text or "")
    assert "/paradoxes" in (reply.text or "")
    await resident.tap(t._("Répondre ▶"))
    await resident.tap("Malika")
    reply = await resident.send("/cancel")
    assert "abandonnée" in (reply.text or "")
    reply = await resident.send("Une phrase qui n’est plus attendue.")
    assert "Aucune réponse n’est en cours." in (reply.text or "")
    reply = await resident.send("/cancel")
    assert "Il n’y a rien à annuler." in (reply.text or "")
    assert await answers(bot) == []


ORDER = ["paradox", "persona", "wish", "values", "summary", "done"]


async def advance(resident: Phone, start: str, stop: str) -> None:
    """Answer each step from ``start`` up to (not including) ``stop``: Alain, a wish, a typed ranking."""
    for step in ORDER[ORDER.index(start) : ORDER.index(stop)]:
        if step == "paradox":
            await resident.tap(t._("Répondre ▶"))
        elif step == "persona":
            await resident.tap("Alain")
        elif step == "wish":
            await resident.send("Des trottoirs et des bus accessibles à tous, partout.")
        elif step == "values":
            await resident.send("1 2 3 4 5")
        else:
            await resident.tap(t._("✅ Je confirme"))


@pytest.mark.parametrize("step", ORDER[:-1])
async def test_any_message_at_any_step_is_answered_and_the_step_kept(
    resident: Phone, bot: Fabrique, step: str
) -> None:
    await advance(resident, "paradox", step)
    screen = resident.buttons()
    for content in (STICKER, VOICE, PHOTO):
        reply = await resident.send_other(**content)
        assert reply.text, f"a clear message at {step}"
        assert resident.buttons(reply) == screen, f"the {step} step is shown again with its buttons"
    reply = await resident.send("/inconnue")
    assert "Je ne connais pas cette commande." in (reply.text or "")
    await advance(resident, step, "done")
    (answer,) = await answers(bot)
    assert answer.persona_id == "alain"


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_any_unicode_is_legitimate_input(
    phone: Callable[..., Phone], bot: Fabrique, language: str
) -> None:
    """Digits of other scripts and styles are read as digits; control characters and halves of
    characters in a wish are dropped or replaced, and the answer is stored; never "Oups"."""
    w = words(language)
    resident = phone(5001, language)
    await accept(resident, w)
    await resident.tap(w._("Répondre ▶"))
    reply = await resident.send("9" * 5000)
    assert w._("Aucun d’entre eux") in resident.buttons(reply), "a huge number is refused, the step kept"
    reply = await resident.send("²")
    assert w._("Habitant choisi : {name}", name="Laurence") in (reply.text or "")
    reply = await resident.send("\x00\x01\x02 \ud800 \x1b")
    assert w._("Garder ma réponse") not in resident.buttons(reply), "nothing to keep"
    assert w._(
        "C’est un peu court : écrivez au moins {min} caractères pour décrire votre métropole idéale.", min=10
    ) in (reply.text or ""), "only invisible or broken characters: too short"
    await resident.send(
        "Une métropole\x00 sans\x07 bruit \ud800 et <b>verte</b>\tpour tous\n\u202edemain\u202c"
    )
    summary = await resident.send("٣ ١ ⑤ ² ４")  # Arabic-Indic, circled, superscript, full-width
    wish = "Une métropole sans bruit \N{REPLACEMENT CHARACTER} et <b>verte</b>\tpour tous\n\u202edemain"
    assert "&lt;b&gt;" not in (summary.text or "") and wish in (summary.text or ""), "shown as stored"
    await resident.tap(w._("✅ Je confirme"))
    (answer,) = await answers(bot)
    assert (answer.persona_id, answer.wish) == ("laurence", wish)
    assert answer.ranking == "fraternite,innovation,authenticite,ouverture,responsabilite"
    sorry = w._(
        "Oups, un problème technique m’a empêché de répondre. Vos réponses enregistrées "
        "sont en sécurité : réessayez dans un instant."
    )
    assert all(sorry not in (message.text or "") for message in resident.messages)

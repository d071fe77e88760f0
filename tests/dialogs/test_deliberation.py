"""Residents weigh each other's wishes: shared with consent, read by staff first, voted on in the
chat; never one's own, never twice; what /forget does to it all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.application import Fabrique
from bot.config import Settings
from bot.sandbox import BotApiSandbox
from bot.storage import Answer
from bot.storage.models import SharedWish, Vote
from tests.conftest import FixedClock, running
from tests.dialogs.test_resident_dialog import accept
from tests.journey import KEEP_IT, answer, describe
from tests.phone import Phone
from tests.services.test_privacy import mydata
from tests.words import words

t = words("fr")
STAFF, OTHER_STAFF = 4242, 4343
SHARE = "Oui, le partager"


@pytest.fixture
async def fabrique(settings: Settings, clock: FixedClock) -> AsyncIterator[Fabrique]:
    async with running(
        settings.model_copy(update={"staff_ids": frozenset({STAFF, OTHER_STAFF})}), clock
    ) as bot:
        yield bot


async def resident_who_shares(
    sandbox: BotApiSandbox, user_id: int, wish: str, *, share: bool = True
) -> Phone:
    resident = Phone(sandbox, user_id, "fr")
    await accept(resident, t)
    await answer(resident, t, {"wish": wish})
    await resident.tap(t._(SHARE) if share else t._(KEEP_IT))
    await resident.tap(t._("Non merci"))
    await describe(resident, t)
    return resident


async def shared(fabrique: Fabrique) -> list[SharedWish]:
    async with fabrique.database.session() as session:
        return list((await session.scalars(select(SharedWish).order_by(SharedWish.id))).all())


async def votes(fabrique: Fabrique) -> list[tuple[int | None, int, int]]:
    async with fabrique.database.session() as session:
        rows = (await session.scalars(select(Vote).order_by(Vote.id))).all()
    return [(vote.resident_id, vote.wish_id, vote.value) for vote in rows]


async def test_a_wish_shared_moderated_shown_voted_and_the_vote_changed(
    sandbox: BotApiSandbox, fabrique: Fabrique
) -> None:
    wish = "Une métropole où les calanques restent ouvertes à tous, même l’été."
    author = await resident_who_shares(sandbox, 5001, wish)
    other = await resident_who_shares(sandbox, 5002, "Des bus toute la nuit entre Aix et Marseille, enfin.")
    (first, second) = await shared(fabrique)
    assert (first.text, first.state) == (wish, "pending")

    await other.send("/avis")
    assert (
        t._(
            "Vous avez donné votre avis sur tous les souhaits partagés pour l’instant, merci ! D’autres arriveront : revenez avec /avis."
        )
        in other.text
    ), "nothing is shown before staff read it"

    staff = Phone(sandbox, STAFF, "fr")
    card = await staff.send("/moderate")
    assert wish in (card.text or "") and "2 souhaits en attente de relecture" in (card.text or "")
    await staff.tap(t._("✅ Publier"))
    assert staff.messages[-2].text == t._("✓ Publié.")
    await staff.tap_in_place(t._("✖ Refuser"))
    done = await staff.tap(t._("hors sujet"))
    assert done.text == t._("Aucun souhait à relire pour l’instant.")

    (first, second) = await shared(fabrique)
    assert (first.state, second.state, second.reason) == ("approved", "rejected", "offtopic")

    card = await other.send("/avis")
    assert wish in (card.text or "")
    await other.tap_in_place(t._("👍 D’accord"))
    assert "✓ " + t._("👍 D’accord") in other.buttons()
    await other.tap_in_place(t._("👎 Pas d’accord"))
    assert "✓ " + t._("👎 Pas d’accord") in other.buttons(), "changed on the same card"
    assert [(wish_id, value) for _, wish_id, value in await votes(fabrique)] == [(first.id, -1)]
    await other.tap(t._("Suivant ▶"))
    assert "tous les souhaits partagés" in other.text, "the rejected wish is never shown"

    mine = await author.send("/avis")
    assert wish not in (mine.text or ""), "never one's own wish"
    assert "tous les souhaits partagés" in (mine.text or "")


async def test_two_moderators_never_read_the_same_wish(sandbox: BotApiSandbox, fabrique: Fabrique) -> None:
    for n in range(2):
        await resident_who_shares(sandbox, 5100 + n, f"Souhait numéro {n} pour une métropole plus verte.")
    one, two = Phone(sandbox, STAFF, "fr"), Phone(sandbox, OTHER_STAFF, "fr")
    first, second = await asyncio.gather(one.send("/moderate"), two.send("/moderate"))
    assert "numéro" in (first.text or "") and "numéro" in (second.text or "")
    assert first.text != second.text
    third = await one.send("/moderate")
    assert third.text == first.text, "a moderator keeps the wish they hold"


async def test_residents_cannot_moderate_nor_forge_its_buttons(
    sandbox: BotApiSandbox, fabrique: Fabrique
) -> None:
    resident = await resident_who_shares(
        sandbox, 5201, "Une métropole où l’on respire du Vieux-Port à l’Étoile."
    )
    reply = await resident.send("/moderate")
    assert t._("Je ne connais pas cette commande.") in (reply.text or "")
    (wish,) = await shared(fabrique)
    query = await resident.press_data(resident.last, f"g:mod:a.{wish.id}")
    await sandbox.wait_for(lambda: sandbox.callback_answer(query) is not None, timeout=10)
    await asyncio.wait_for(fabrique.lines.idle(), timeout=10)
    assert (await shared(fabrique))[0].state == "pending"


async def test_forget_deletes_votes_and_withdraws_shared_wishes(
    sandbox: BotApiSandbox, fabrique: Fabrique
) -> None:
    author = await resident_who_shares(
        sandbox, 5301, "Une métropole avec des pistes cyclables jusqu’à Aubagne."
    )
    voter = await resident_who_shares(sandbox, 5302, "Une métropole où les loyers restent abordables.")
    staff = Phone(sandbox, STAFF, "fr")
    await staff.send("/moderate")
    await staff.tap(t._("✅ Publier"))
    await staff.tap(t._("✅ Publier"))
    await author.send("/avis")
    await author.tap_in_place(t._("👍 D’accord"))
    await voter.send("/avis")
    await voter.tap_in_place(t._("🤷 Je ne sais pas"))
    _, data = await mydata(voter, sandbox)
    assert [vote["vote"] for vote in data["votes"]] == ["pass"]
    assert [w["state"] for w in data["shared_wishes"]] == ["approved"]

    await author.send("/forget")
    await author.tap_in_place(t._("Oui, tout effacer"))
    states = {w.text[:20]: w.state for w in await shared(fabrique)}
    assert states == {"Une métropole avec d": "withdrawn", "Une métropole où les": "approved"}
    remaining = await votes(fabrique)
    assert len(remaining) == 1 and remaining[0][2] == 0, (
        "the author's vote is gone, the vote on their wish stays"
    )
    async with fabrique.database.session() as session:
        assert (await session.scalars(select(Answer).where(Answer.resident_id.is_(None)))).all()


async def test_sharing_can_be_changed_later(sandbox: BotApiSandbox, fabrique: Fabrique) -> None:
    resident = await resident_who_shares(
        sandbox, 5401, "Une métropole où chaque quartier a son jardin.", share=False
    )
    assert await shared(fabrique) == []
    listing = await resident.send("/partage")
    assert t._("non partagé") in (listing.text or "")
    await resident.tap_in_place(t._("Partager n° {number}", number=1))
    assert t._("partagé, en attente de relecture") in resident.text
    (wish,) = await shared(fabrique)
    assert wish.state == "pending"
    await resident.tap_in_place(t._("Ne plus partager n° {number}", number=1))
    assert [w.state for w in await shared(fabrique)] == ["withdrawn"]
    query = await resident.press_data(resident.last, "g:sharing:999999.y")
    await sandbox.wait_for(lambda: sandbox.callback_answer(query) is not None, timeout=10)
    assert len(await shared(fabrique)) == 1, "someone else's answer cannot be shared"


async def test_the_retention_purge_keeps_votes_anonymous_with_the_answers(
    sandbox: BotApiSandbox, fabrique: Fabrique
) -> None:
    await resident_who_shares(sandbox, 5501, "Une métropole où la mer est propre partout.")
    voter = await resident_who_shares(
        sandbox, 5502, "Une métropole où les trains arrivent à l’heure.", share=False
    )
    staff = Phone(sandbox, STAFF, "fr")
    await staff.send("/moderate")
    await staff.tap(t._("✅ Publier"))
    await voter.send("/avis")
    await voter.tap_in_place(t._("👍 D’accord"))
    async with fabrique.database.transaction() as repos:
        voter_id = (await repos.residents.by_telegram_id(5502)).id  # type: ignore[union-attr]
        await repos.answers.unlink_all()
    async with fabrique.database.session() as session:
        (vote,) = (await session.scalars(select(Vote))).all()
        answers = (await session.scalars(select(Answer))).all()
    assert vote.resident_id is None and vote.respondent is not None
    assert vote.respondent in {a.respondent for a in answers}, "the voter stays one respondent"
    assert voter_id not in {a.resident_id for a in answers}


async def test_voting_in_the_middle_of_an_answer_resumes_it(
    sandbox: BotApiSandbox, fabrique: Fabrique
) -> None:
    await resident_who_shares(sandbox, 5601, "Une métropole où l’on vit bien à tout âge.")
    staff = Phone(sandbox, STAFF, "fr")
    await staff.send("/moderate")
    await staff.tap(t._("✅ Publier"))
    resident = await resident_who_shares(sandbox, 5602, "Une métropole sans bouchons le matin.", share=False)
    card = await resident.tap(t._("🗳 Donner mon avis sur d’autres souhaits"))
    assert "tout âge" in (card.text or "")
    first = card.find_button(t._("👍 D’accord"))
    assert first is not None
    await resident.tap(t._("Arrêter"))
    await resident.tap(t._("Paradoxe suivant ▶"))
    await resident.tap(t._("Répondre ▶"))
    asked = resident.text
    card = await resident.send("/avis")
    assert "tout âge" in (card.text or ""), "the same card: no vote given yet"
    query = await resident.press_data(resident.messages[-3], first["callback_data"])
    await sandbox.wait_for(lambda: sandbox.callback_answer(query) is not None, timeout=10)
    assert resident.toast(query) == t._("Ce bouton n’est plus d’actualité : utilisez le dernier message.")
    await resident.tap_in_place(t._("👍 D’accord"))
    back = await resident.tap(t._("Arrêter"))
    assert (back.text or "") in asked, "the answer in progress resumes where it was"


async def test_anything_typed_on_a_card_is_answered_and_loses_nothing(
    sandbox: BotApiSandbox, fabrique: Fabrique
) -> None:
    await resident_who_shares(sandbox, 5701, "Une métropole où les écoles ont des cours ombragées.")
    staff = Phone(sandbox, STAFF, "fr")
    await staff.send("/moderate")
    await staff.tap(t._("✅ Publier"))
    voter = await resident_who_shares(sandbox, 5702, "Une métropole où le port respire.", share=False)
    await voter.send("/avis")
    for typed in ("👍", "\u202e\u0000 d’accord ‮", "1"):
        reply = await voter.send(typed)
        assert t._("Touchez un bouton pour donner votre avis, ou « Arrêter ».") in (reply.text or "")
        assert "ombragées" in (reply.text or ""), "the same card, shown again"
    sticker = await voter.send_other(
        sticker={
            "file_id": "x",
            "file_unique_id": "x",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        }
    )
    assert t._("Touchez un bouton pour donner votre avis, ou « Arrêter ».") in (sticker.text or "")
    assert await votes(fabrique) == []
    await voter.tap_in_place(t._("👍 D’accord"))
    assert [value for _, _, value in await votes(fabrique)] == [1]

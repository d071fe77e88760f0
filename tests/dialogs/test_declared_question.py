"""A question added by declaration alone: a test-only flow with a toy question, asked only for
the first paradox, goes through the dialog, the summary, the storage and /mydata."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.application import Fabrique, build
from bot.config import Settings
from bot.dialogs.question import Question
from bot.dialogs.questions import AGE, COMMUNE, PERSONA, VALUES, WISH
from bot.dialogs.widgets import Choice, ChoiceTexts, Item
from bot.i18n import I18n
from bot.runtime import polling
from bot.sandbox import BotApiSandbox
from bot.storage import Answer
from bot.typography import french
from tests.conftest import FixedClock
from tests.journey import KEEP_IT, Tap, answer, describe
from tests.phone import Phone
from tests.services.test_privacy import mydata

TRANSPORT = Question(
    id="transport",
    prompt="Comment vous déplacez-vous le plus souvent ?",
    widget=Choice(
        lambda _: [Item("bus", "En bus"), Item("velo", "À vélo"), Item("pied", "À pied")],
        ChoiceTexts(
            hint="Touchez votre réponse.",
            typed_hint="Tapez un numéro de 1 à {count}.",
            chosen="Déplacements : {name}",
            gone="Cette réponse n’existe plus.",
        ),
    ),
    summary="<b>Déplacements :</b> {value}",
    edit="✏️ Déplacements",
    skippable=True,
    when=lambda ctx: ctx.state.paradox_id == "p1",
)
FLOW = (PERSONA, WISH, TRANSPORT, VALUES, COMMUNE, AGE)
t = I18n("fr")("fr")


@pytest.fixture
async def toy_bot(settings: Settings, clock: FixedClock) -> AsyncIterator[Fabrique]:
    async with polling(build(settings, clock, questions=FLOW), poll_timeout=5) as fabrique:
        yield fabrique


async def test_a_declared_question_is_asked_summarised_stored_and_listed(
    sandbox: BotApiSandbox, toy_bot: Fabrique
) -> None:
    resident = Phone(sandbox, 4242, "fr")
    await resident.send("/start")
    await resident.tap(t._("J’accepte"))
    await answer(resident, t, {"transport": Tap("À vélo")}, questions=FLOW, confirm=False)
    summary = resident.text
    assert french("Déplacements : À vélo") in summary
    assert "✏️ Déplacements" in resident.buttons()
    await resident.tap("✏️ Déplacements")
    assert "Question 3 sur 4." in resident.text
    await resident.send("3")
    assert french("Déplacements : À pied") in resident.text, "back to the summary"
    await resident.tap(t._("✅ Je confirme"))
    await resident.tap(t._(KEEP_IT))
    await resident.tap(t._("Non merci"))
    await describe(resident, t, questions=FLOW)

    await resident.tap(t._("Paradoxe suivant ▶"))
    await resident.tap(t._("Répondre ▶"))
    await resident.tap(t._("Comme la dernière fois : {name}", name="Malika"))
    assert "Question 2 sur 3." in resident.text, "the toy question is asked for the first paradox only"
    await answer_rest(resident)

    async with toy_bot.database.session() as session:
        first, second = (await session.scalars(select(Answer).order_by(Answer.id))).all()
    assert json.loads(first.details or "") == {"transport": "pied"}
    assert second.details is None
    _, data = await mydata(resident, sandbox)
    assert [a["transport"] for a in data["answers"]] == [None, "pied"]


async def answer_rest(resident: Phone) -> None:
    await resident.send("Une métropole où l’on respire, du Vieux-Port à la Sainte-Victoire.")
    await resident.tap(t._("Même classement que la dernière fois"))
    await resident.tap(t._("✅ Je confirme"))

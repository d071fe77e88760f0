"""A resident's way through the declared questions, read from the declarations, not spelt out.

Each question on the resident's screen is answered the way its widget takes answers: a tap or a
number for a choice, a message for a text, digits for a ranking, a name for a commune. A test
names only the answers it cares about, by question id; the others get a default. Questions
added later are answered by the same code, so no test walks the flow by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.dialogs.question import Question
from bot.dialogs.questions import QUESTIONS
from bot.dialogs.widgets import Choice, FreeText, PlaceSearch, Ranking
from bot.i18n import Translator
from tests.phone import Phone

WISH = "Une métropole où l’on circule en transports en commun de Martigues à Aubagne sans voiture."
NOT_SAID = "Je préfère ne pas le dire"
KEEP_IT = "Non, le garder pour moi"
"""The answer to « may your wish be shown to other residents? » that keeps it private."""


@dataclass(frozen=True)
class Tap:
    """Answer by tapping the button with this label."""

    label: str


Given = str | Tap | None
"""A message to type, a button to tap, or None to skip the question."""


def _default(question: Question) -> Given:
    widget = question.widget
    if isinstance(widget, Choice):
        return "1"
    if isinstance(widget, FreeText):
        return WISH
    if isinstance(widget, Ranking):
        return " ".join(str(n) for n in range(1, 6))
    assert isinstance(widget, PlaceSearch), f"no default answer for {type(widget).__name__}"
    return None


def on_screen(phone: Phone, t: Translator, question: Question) -> bool:
    """Whether the resident's latest message asks this question."""
    return t._(question.prompt, count=5) in phone.text


async def give(phone: Phone, t: Translator, question: Question, answer: Given) -> None:
    """Answer the question on the screen."""
    if answer is None:
        await phone.tap(t._(NOT_SAID))
    elif isinstance(answer, Tap):
        await phone.tap(answer.label)
    else:
        await phone.send(answer)


async def answer(
    phone: Phone,
    t: Translator,
    given: Mapping[str, Given] | None = None,
    *,
    questions: Sequence[Question] = QUESTIONS,
    confirm: bool = True,
) -> None:
    """From « Répondre ▶ » to the confirmed answer: each question asked with the answer that is on
    the screen gets the ``given`` answer or a default."""
    given = given or {}
    await phone.tap(t._("Répondre ▶"))
    for question in questions:
        if not question.once and on_screen(phone, t, question):
            await give(phone, t, question, given.get(question.id, _default(question)))
    assert t._("✅ Je confirme") in phone.buttons(), phone.text
    if confirm:
        await phone.tap(t._("✅ Je confirme"))


async def describe(
    phone: Phone,
    t: Translator,
    given: Mapping[str, Given] | None = None,
    *,
    questions: Sequence[Question] = QUESTIONS,
) -> None:
    """The questions asked once per resident, after their first answer: each is answered as
    ``given`` or, by default, declined with « Je préfère ne pas le dire »."""
    given = given or {}
    for question in questions:
        if question.once and on_screen(phone, t, question):
            await give(phone, t, question, given.get(question.id))

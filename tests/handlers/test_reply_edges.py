"""Replies at the edges: a refused Bot API call loses nothing else, and one live keyboard at a time."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.application import Fabrique
from bot.config import Settings
from bot.sandbox import BotApiSandbox
from bot.sandbox.errors import ApiError
from bot.sandbox.models import Message
from bot.storage import DialogState
from tests.dialogs.test_resident_dialog import accept
from tests.journey import KEEP_IT, WISH, describe
from tests.phone import TIMEOUT, Phone
from tests.words import words

t = words("fr")
TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
SORRY = "Oups, un problème technique"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """These residents tap faster than flood control allows."""
    return settings.model_copy(update={"flood_limit": 1000})


def live_keyboards(sandbox: BotApiSandbox, chat_id: int) -> list[Message]:
    """The bot's messages in the chat that still show buttons."""
    return [m for m in sandbox.bot_messages(chat_id) if m.inline_keyboard]


async def one_live_keyboard(resident: Phone, *, holding: str | None = None) -> Message:
    """Wait until exactly one message shows buttons (holding ``holding``), and return it."""

    def single() -> bool:
        live = live_keyboards(resident.sandbox, resident.user_id)
        return len(live) == 1 and (holding is None or live[0].find_button(holding) is not None)

    await resident.sandbox.wait_for(single, timeout=TIMEOUT, what="exactly one live keyboard")
    return live_keyboards(resident.sandbox, resident.user_id)[0]


def callback_data(message: Message) -> list[str]:
    return [str(button["callback_data"]) for row in message.inline_keyboard for button in row]


async def press_for_toast(resident: Phone, message: Message, data: str) -> str | None:
    """Press ``data`` on a message (its buttons may be gone from the screen); the toast."""
    query = await resident.press_data(message, data)
    await resident.sandbox.wait_for(
        lambda: resident.sandbox.callback_answer(query) is not None, timeout=TIMEOUT
    )
    return resident.toast(query)


async def step_of(bot: Fabrique) -> str:
    async with bot.database.session() as session:
        (state,) = (await session.scalars(select(DialogState))).all()
    return state.step


@pytest.mark.parametrize(
    "refusal",
    [ApiError(400, TOO_OLD), ApiError(400, "Bad Request: QUERY_ID_INVALID"), ApiError(502, "Bad Gateway")],
)
async def test_a_refused_answer_to_a_press_loses_nothing_else(
    phone: Callable[..., Phone], sandbox: BotApiSandbox, bot: Fabrique, refusal: ApiError
) -> None:
    resident = phone()
    await accept(resident, t)
    paradox = resident.last
    sandbox.faults.fail("answerCallbackQuery", refusal)
    before = len(resident.messages)
    await resident.press_data(paradox, paradox.inline_keyboard[0][0]["callback_data"])
    await sandbox.wait_for(lambda: len(resident.messages) > before, timeout=TIMEOUT)
    assert t._("Aucun d’entre eux") in resident.buttons(), "the next screen was sent"
    assert paradox.inline_keyboard == [], "the pressed message was updated"
    assert await step_of(bot) == "persona", "the step was saved"
    assert not any(SORRY in (m.text or "") for m in resident.messages)


async def test_a_refused_message_is_replaced_by_an_apology_even_when_the_press_cannot_be_answered(
    phone: Callable[..., Phone], sandbox: BotApiSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    resident = phone()
    await accept(resident, t)
    paradox = resident.last
    sandbox.faults.fail("answerCallbackQuery", ApiError(400, TOO_OLD), times=2)
    sandbox.faults.fail("sendMessage", ApiError(400, "Bad Request: SECRET-DETAIL of the failure"))
    before = len(resident.messages)
    await resident.press_data(paradox, paradox.inline_keyboard[0][0]["callback_data"])
    await sandbox.wait_for(lambda: len(resident.messages) > before, timeout=TIMEOUT)
    assert SORRY in resident.text, "the apology went out although the press could not be answered"
    failure = next(r for r in caplog.records if r.getMessage().startswith("sendMessage refused"))
    assert "BadRequest" in failure.getMessage()
    assert failure.exc_info is None
    assert not any("SECRET-DETAIL" in r.getMessage() for r in caplog.records)


async def test_a_resident_who_blocked_the_bot_ends_the_reply_quietly(
    phone: Callable[..., Phone], sandbox: BotApiSandbox, bot: Fabrique
) -> None:
    resident = phone()
    await accept(resident, t)
    sandbox.faults.fail("sendMessage", ApiError(403, "Forbidden: bot was blocked by the user"))
    calls = len(sandbox.api_calls)
    await sandbox.send_text(resident.user_id, "/help")
    await sandbox.wait_for(
        lambda: any(c.method == "sendMessage" for c in sandbox.api_calls[calls:]), timeout=TIMEOUT
    )
    reply = await resident.send("/help")
    assert SORRY not in (reply.text or "")
    assert bot.metrics.registry.get_sample_value("fabrique_update_errors_total") == 0


async def test_one_live_keyboard_at_a_time(phone: Callable[..., Phone], sandbox: BotApiSandbox) -> None:
    resident = phone()
    await accept(resident, t)
    await one_live_keyboard(resident, holding=t._("Répondre ▶"))
    await resident.tap(t._("Répondre ▶"))
    await one_live_keyboard(resident, holding="Malika")
    await resident.tap("Malika")
    await resident.send(WISH)
    copies = [await one_live_keyboard(resident, holding=t.content("Ouverture"))]
    buttons = {copies[0].message_id: callback_data(copies[0])}
    for typed in ("1 1 1 1 1", "9 8 7", "l'ouverture d'abord"):
        await resident.send(typed)
        copy = await one_live_keyboard(resident, holding=t.content("Ouverture"))
        copies.append(copy)
        buttons[copy.message_id] = callback_data(copy)
    assert len(buttons) == 4, "each wrong ranking showed the values again, and only the last kept buttons"

    # An earlier copy's buttons are still the current step's: pressed, it becomes the live one.
    await resident.press_data(copies[1], buttons[copies[1].message_id][0])
    await sandbox.wait_for(
        lambda: [m.message_id for m in live_keyboards(sandbox, resident.user_id)] == [copies[1].message_id],
        timeout=TIMEOUT,
    )

    summary = await resident.send("1 2 3 4 5")
    assert t._("✅ Je confirme") in resident.buttons(summary)
    await one_live_keyboard(resident, holding=t._("✅ Je confirme"))
    messages = len(resident.messages)
    for copy in copies:
        for data in buttons[copy.message_id][:2]:
            toast = await press_for_toast(resident, copy, data)
            assert toast == t._("Ce bouton n’est plus d’actualité : utilisez le dernier message.")
            await one_live_keyboard(resident, holding=t._("✅ Je confirme"))
    assert len(resident.messages) == messages, "no second summary card"

    await resident.tap(t._("✅ Je confirme"))
    await resident.tap(t._(KEEP_IT))
    await resident.tap(t._("Oui, volontiers"))
    await one_live_keyboard(resident, holding=t._("Je préfère ne pas le dire"))
    await describe(resident, t)
    idle = await one_live_keyboard(resident, holding=t._("Paradoxe suivant ▶"))
    await resident.tap(t._("Paradoxe suivant ▶"))
    await one_live_keyboard(resident, holding=t._("Répondre ▶"))
    assert idle.inline_keyboard == [], "« Paradoxe suivant ▶ » is gone once used"

    await resident.send("/paradoxes")
    await one_live_keyboard(resident, holding="3")
    await resident.send("/start")
    await one_live_keyboard(resident, holding=t._("Répondre ▶"))

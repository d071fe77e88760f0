"""Statistics for staff in the chat, and the figures and report from the command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.application import Fabrique
from bot.sandbox import BotApiSandbox
from bot.sandbox.models import Message
from bot.synthesis.summary import WIDTH, width, wrap
from bot.typography import french
from tests.conftest import Cli
from tests.phone import Phone
from tests.services.test_broadcasts import STAFF
from tests.synthesis.test_export import answer
from tests.words import words

WISH = "Une métropole qui ose et qui partage."
CHARTS = 3


async def five_answers(phone: Callable[..., Phone]) -> None:
    for index, ranking in enumerate(("12345", "21345", "12354", "31245", "12345")):
        await answer(phone(8200 + index, "fr"), "Sarah", WISH, ranking)


def is_document(message: Message) -> bool:
    return "document" in message.content


async def stats_in_the_chat(staff: Phone, sandbox: BotApiSandbox) -> list[Message]:
    """``/stats``, and every message it brings, up to the report (the last one)."""
    before = len(staff.messages)
    await staff.sandbox.send_text(STAFF, "/stats")
    await sandbox.wait_for(lambda: any(is_document(m) for m in staff.messages[before:]), timeout=60)
    return staff.messages[before:]


async def test_staff_get_a_short_summary_the_charts_and_the_report_in_the_chat(
    phone: Callable[..., Phone], bot: Fabrique, sandbox: BotApiSandbox
) -> None:
    await five_answers(phone)
    t = words("fr")
    staff = phone(STAFF, "fr")
    assert bot.wishes is not None, "the tests install the themes extra: the bot reads the wishes"
    await bot.wishes.read_now()

    messages = await stats_in_the_chat(staff, sandbox)

    summary, *photos, report = messages
    assert summary.content == {} and summary.text, "a message of text first"
    # One message of text, short lines that fit a phone: nothing to scroll or cut off.
    lines = (summary.text or "").splitlines()
    assert max(width(line) for line in lines) <= WIDTH, [line for line in lines if width(line) > WIDTH]
    assert len(lines) <= 40
    assert t._("Participation") in lines
    assert t.ngettext("{n} répondant", "{n} répondants", 5) in lines
    assert t._("Gagnant de Condorcet :") in lines
    assert "Innovation & audace" in lines
    assert "1. Innovation & audace" in lines, "first by Borda"
    # The charts, each with a caption saying what to read in it, in portrait for a phone.
    assert len(photos) == CHARTS
    for photo in photos:
        (size,) = photo.content["photo"]
        assert size["height"] >= size["width"] >= 1000
        assert photo.caption and len(photo.caption) > 60
    assert "Borda" in (photos[0].caption or "")
    assert french("« < 5 »") in (photos[1].caption or ""), (
        "the personas chosen by fewer than five are said to be"
    )
    # The report, as a file to open, print or share.
    document = report.content["document"]
    assert document["file_name"].startswith("fabrique-report-") and document["file_name"].endswith(".html")
    assert report.caption == t._("Le rapport complet, à ouvrir dans un navigateur, à imprimer ou à partager.")
    page = sandbox.file(document["file_id"]).content.decode("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert WISH in page
    assert page.count("data:image/png;base64,") == CHARTS
    # The bot read the wishes as they came: the report has their themes, with no command run.
    assert t._("Les thèmes des souhaits") in page and "fabrique-bot themes" not in page


async def test_the_summary_in_english_and_before_anyone_answered(
    phone: Callable[..., Phone], bot: Fabrique, sandbox: BotApiSandbox
) -> None:
    staff = phone(STAFF, "en")

    summary, report = await stats_in_the_chat(staff, sandbox)

    lines = (summary.text or "").splitlines()
    assert max(width(line) for line in lines) <= WIDTH
    english = words("en")
    assert english.ngettext("{n} répondant", "{n} répondants", 0) in lines
    assert "\n".join(
        wrap(english._("Moins de {n} répondants : pas encore de classement.", n=5))
    ) in "\n".join(lines)
    assert is_document(report), "no chart to draw, but the report still comes"


async def test_stats_and_report_from_the_command_line(
    phone: Callable[..., Phone], bot: Fabrique, sandbox: BotApiSandbox, tmp_path: Path, fabrique_bot: Cli
) -> None:
    await five_answers(phone)
    result = await fabrique_bot("stats", "--charts", str(tmp_path / "charts"), "--language", "en")
    assert result.returncode == 0, result.stderr
    assert "Innovation & boldness" in result.stdout
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == [
        "participation.png",
        "personas.png",
        "values.png",
    ]
    result = await fabrique_bot("report", str(tmp_path / "report.html"))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert WISH in page
    assert page.count("data:image/png;base64,") == CHARTS
    assert '<table class="themes">' not in page, "themes only when asked for"

    # With the themes: the model reads the wishes, and keeps their vectors in DATA_DIR…
    result = await fabrique_bot("report", str(tmp_path / "themed.html"), "--themes")
    assert result.returncode == 0, result.stderr
    assert '<table class="themes">' in (tmp_path / "themed.html").read_text(encoding="utf-8")
    # … where /stats in the chat finds them.
    *_, report = await stats_in_the_chat(phone(STAFF, "fr"), sandbox)
    assert '<table class="themes">' in sandbox.file(report.content["document"]["file_id"]).content.decode()

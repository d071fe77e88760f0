"""Statistics for staff in the chat, and the figures and report from the command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.application import Fabrique
from bot.sandbox import BotApiSandbox
from tests.conftest import Cli
from tests.phone import Phone
from tests.services.test_broadcasts import STAFF
from tests.synthesis.test_export import answer


async def five_answers(phone: Callable[..., Phone]) -> None:
    for index, ranking in enumerate(("12345", "21345", "12354", "31245", "12345")):
        await answer(phone(8200 + index, "fr"), "Sarah", "Une métropole qui ose et qui partage.", ranking)


async def test_staff_get_the_figures_and_charts_in_the_chat(
    phone: Callable[..., Phone], bot: Fabrique, sandbox: BotApiSandbox
) -> None:
    await five_answers(phone)
    staff = phone(STAFF, "fr")
    before = len(staff.messages)
    await staff.sandbox.send_text(STAFF, "/stats")
    await sandbox.wait_for(
        lambda: len([m for m in staff.messages[before:] if "photo" in m.content]) == 3, timeout=60
    )
    texts = "\n".join(m.text or "" for m in staff.messages[before:])
    assert "Résidents ayant répondu" in texts
    assert "Gagnant de Condorcet : Innovation & audace." in texts
    assert "Sarah" in texts


async def test_stats_and_report_from_the_command_line(
    phone: Callable[..., Phone], bot: Fabrique, tmp_path: Path, fabrique_bot: Cli
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
    assert "Une métropole qui ose et qui partage." in page
    assert page.count("data:image/png;base64,") == 3

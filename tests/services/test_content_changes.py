"""Staff edit the content between two runs of the bot: residents in the middle are not stuck."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.config import Settings
from bot.content import CONTENT_DIR
from bot.personas import CATALOGUE
from bot.sandbox import BotApiSandbox
from tests.conftest import FixedClock, running
from tests.dialogs.test_resident_dialog import accept, first_answer
from tests.journey import KEEP_IT, describe
from tests.phone import Phone
from tests.words import words

t = words("fr")


def edited_content(tmp_path: Path) -> Path:
    """The shipped content without paradox p2 and without persona Malika."""
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    paradoxes = folder / "paradoxes.yaml"
    text = paradoxes.read_text(encoding="utf-8")
    start, end = text.index("  - id: p2"), text.index("  - id: p3")
    paradoxes.write_text(text[:start] + text[end:], encoding="utf-8")
    personas = CATALOGUE.read_text(encoding="utf-8")
    start, end = personas.index("  - id: malika"), personas.index("  - id: laurence")
    (folder / "personas.yaml").write_text(personas[:start] + personas[end:], encoding="utf-8")
    return folder


async def test_a_draft_on_a_removed_paradox_starts_afresh(
    sandbox: BotApiSandbox, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    resident = Phone(sandbox, 6001, "fr")
    async with running(settings, clock):
        await accept(resident, t)
        await first_answer(resident, t)
        await resident.tap(t._(KEEP_IT))
        await resident.tap(t._("Non merci"))
        await describe(resident, t)
        await resident.tap(t._("Paradoxe suivant ▶"))
        await resident.tap(t._("Répondre ▶"))
        assert t._("Comme la dernière fois : {name}", name="Malika") in resident.buttons()

    edited = settings.model_copy(update={"content_dir": edited_content(tmp_path)})
    async with running(edited, clock):
        reply = await resident.send("Une métropole verte")
        assert "Aucune réponse n’est en cours." in (reply.text or "")
        await resident.tap(t._("Paradoxe suivant ▶"))
        assert t.content("Un cadre de vie envié, mais une attractivité en berne") in resident.text
        await resident.tap(t._("Répondre ▶"))
        assert not any(label.startswith("Comme la dernière fois") for label in resident.buttons())
        assert "Malika" not in resident.buttons()

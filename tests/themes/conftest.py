"""A real model for every theme test (loaded once), and answers written to a real database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.storage import Answer, Database, Resident
from bot.themes import Codebook, E5Embedder, load_codebook


@pytest.fixture(scope="session")
def embedder() -> E5Embedder:
    """The shipped model: the tests exercise the real one (the ``themes`` extra is in ``test``)."""
    return E5Embedder()


@pytest.fixture(scope="session")
def codebook() -> Codebook:
    return load_codebook()


@dataclass(frozen=True)
class Wish:
    """An answer to write, by a resident of its own."""

    wish: str
    paradox: str = "p1"
    persona: str = "malika"
    territory: str | None = None


async def write(database: Database, *wishes: Wish, start: int = 0) -> None:
    """Each wish by a resident of its own, a minute apart; ``start`` numbers them after those of
    earlier calls."""
    async with database.transaction() as repos:
        session = repos.session
        for index, given in enumerate(wishes, start=start):
            moment = datetime(2017, 5, 9, 10, tzinfo=UTC) + timedelta(minutes=index)
            resident = Resident(telegram_id=900_000 + index, language="fr", consent_version="v",
                                consented_at=moment, subscribed=False, created_at=moment)  # fmt: skip
            session.add(resident)
            await session.flush()
            session.add(
                Answer(resident_id=resident.id, paradox_id=given.paradox, persona_id=given.persona,
                       wish=given.wish, ranking="fraternite,innovation,authenticite,ouverture,responsabilite",
                       territory=given.territory, language="fr", consent_version="v", submitted_at=moment)
            )  # fmt: skip

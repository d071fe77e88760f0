"""Answers written straight to a real SQLite file, for the figures computed from them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.storage import Answer, Database, Resident

ORDER = "fraternite,innovation,authenticite,ouverture,responsabilite"
_telegram_ids = itertools.count(700_000)


@dataclass(frozen=True)
class Given:
    """An answer to write, by a resident of its own unless ``anonymous`` (a forgotten one).

    Answers given in one call are a minute apart, in order, on ``day`` of May 2017 from 10:00 UTC.
    """

    persona: str = "malika"
    paradox: str = "p1"
    ranking: str = ORDER
    wish: str = "Un souhait."
    source: str | None = None
    day: int = 9
    anonymous: bool = False


async def write(database: Database, *answers: Given) -> None:
    async with database.transaction() as repos:
        session = repos.session
        for index, given in enumerate(answers):
            moment = datetime(2017, 5, given.day, 10, tzinfo=UTC) + timedelta(minutes=index)
            resident = None
            if not given.anonymous:
                resident = Resident(telegram_id=next(_telegram_ids), language="fr", consent_version="v",
                                    consented_at=moment, subscribed=False, created_at=moment)  # fmt: skip
                session.add(resident)
                await session.flush()
            session.add(
                Answer(resident_id=resident.id if resident else None, paradox_id=given.paradox,
                       persona_id=given.persona, wish=given.wish, ranking=given.ranking, language="fr",
                       source=given.source, consent_version="v", submitted_at=moment)
            )  # fmt: skip

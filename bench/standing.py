"""Where a resident stands, at scale: what each confirmed answer costs once it also says how the
resident's ranking compares with everyone's, their persona's and their territory's.

For each number of answers (``--answers``) and each database (a SQLite file; PostgreSQL with
``--postgres URL``, an admin URL, or ``TEST_POSTGRES_URL``), fills a fresh database (three answers
per resident, rankings drawn from the 120 orders of the values, the 13 persona choices, six
territories, outside or not said, wishes of about 90 characters), then confirms answers of new
residents as the bot does, one write transaction each (BEGIN IMMEDIATE on SQLite), timed from
its start to its commit: :meth:`Standings.changing`, the answer stored, :meth:`Standings.of` and
the words of the thank-you. Five cases, in the same run:

- ``answer only``: the same transaction without the standing (the floor);
- ``before``: what the first version counted at each confirmation, without migration 0010's
  indexes: its two scans of the answers (:func:`first_version`, copied here), the Borda orders and
  words left out (about 2 ms);
- ``census, no index`` and ``census``: a census taken at each confirmation
  (``RESULTS_RECOUNT_SECONDS=0``), without and with the indexes: what the confirmation that takes
  it costs, once a ``RESULTS_RECOUNT_SECONDS``;
- ``shared``: the other confirmations, sharing the census (``RESULTS_RECOUNT_SECONDS=60``).

Each case confirms ``--confirmations`` answers, or fewer once it has run 20 s (at least three).
One JSON object per case, then a Markdown table.

    python bench/standing.py --answers 10000 100000 1000000 [--postgres postgresql+asyncpg://u:p@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import asyncpg
from sqlalchemy import Connection, case, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from throughput import fresh_postgres

from bot.clock import SystemClock
from bot.content import load_content
from bot.i18n import I18n
from bot.places import OUTSIDE, load_places
from bot.services.standing import RECOUNT, Standings
from bot.storage import Answer, Database, Resident
from bot.storage.models import Base
from bot.storage.tallies import respondent

CONTENT = load_content()
VALUES = [value.id for value in CONTENT.values]
ORDERS = [",".join(order) for order in itertools.permutations(VALUES)]
PERSONAS = [persona.id for persona in CONTENT.personas] + ["none"]
PLACES = load_places()
COMMUNES = ["13201", "13001", "13005", "13056", "13103", "13047", "hors", None]
"""Marseille 1er, Aix, Aubagne, Martigues, Salon, Istres, outside, not said."""
WISH = "Une métropole où l’on circule facilement entre les communes, à pied, à vélo et en bus."
MOMENT = datetime(2017, 5, 9, 10, tzinfo=UTC)
WORDS = I18n("fr")("fr")
CENSUS = {
    "ix_answers_ranking_persona_territory",
    "ix_answers_persona_resident",
    "ix_answers_territory_resident",
}
"""Migration 0010's indexes."""
SECONDS = 20.0
"""How long a case confirms answers at most (it confirms at least three)."""


def rows(answers: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Residents (id, telegram id) and answers, three per resident, rankings unevenly spread."""
    draw = random.Random(2017)
    weights = [draw.random() ** 3 for _ in ORDERS]
    residents = max(1, answers // 3)
    table = []
    for i in range(answers):
        resident = i % residents + 1
        commune = COMMUNES[resident % len(COMMUNES)]
        territory = PLACES.territory_of(commune) if commune else None
        ranking = draw.choices(ORDERS, weights)[0]
        persona = PERSONAS[draw.randrange(len(PERSONAS))]
        table.append((resident, f"p{i // residents + 1}", persona, WISH, ranking, commune, territory, MOMENT))
    return [(i, 10_000_000 + i) for i in range(1, residents + 1)], table


async def fill(url: str, answers: int) -> None:
    database = Database(url)
    await database.upgrade()
    await database.close()
    residents, table = rows(answers)
    parsed = make_url(url)
    columns = [
        "resident_id",
        "paradox_id",
        "persona_id",
        "wish",
        "ranking",
        "commune",
        "territory",
        "submitted_at",
    ]
    if parsed.get_backend_name() == "sqlite":
        connection = sqlite3.connect(str(parsed.database))
        connection.executemany(
            "INSERT INTO residents (id, telegram_id, language, consent_version, consented_at, subscribed,"
            " created_at) VALUES (?, ?, 'fr', 'bench', '2017-05-01 10:00:00.000000', 0,"
            " '2017-05-01 10:00:00.000000')",
            residents,
        )
        connection.executemany(
            f"INSERT INTO answers ({', '.join(columns)}, language, consent_version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, '2017-05-09 10:00:00.000000', 'fr', 'bench')",
            [answer[:-1] for answer in table],
        )
        connection.execute("ANALYZE")
        connection.commit()
        connection.close()
        return
    admin = await asyncpg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        await admin.copy_records_to_table(
            "residents",
            records=[(i, telegram, "fr", "bench", MOMENT, False, MOMENT) for i, telegram in residents],
            columns=[
                "id",
                "telegram_id",
                "language",
                "consent_version",
                "consented_at",
                "subscribed",
                "created_at",
            ],
        )
        await admin.execute(
            "SELECT setval(pg_get_serial_sequence('residents', 'id'), (SELECT max(id) FROM residents))"
        )
        await admin.copy_records_to_table(
            "answers",
            records=[(*answer, "fr", "bench") for answer in table],
            columns=[*columns, "language", "consent_version"],
        )
        await admin.execute("VACUUM ANALYZE")
    finally:
        await admin.close()


async def indexes(database: Database, present: bool) -> None:
    """Migration 0010's indexes, created or dropped."""

    def change(connection: Connection) -> None:
        for index in Base.metadata.tables["answers"].indexes:
            if index.name not in CENSUS:
                continue
            if present:
                index.create(connection, checkfirst=True)
            else:
                index.drop(connection, checkfirst=True)

    async with database.engine.begin() as connection:
        await connection.run_sync(change)
    if not database.is_sqlite:
        async with database.engine.connect() as connection:
            await (await connection.execution_options(isolation_level="AUTOCOMMIT")).exec_driver_sql(
                "ANALYZE answers"
            )


async def first_version(session: AsyncSession, persona: str, territory: str | None) -> None:
    """The first version's counts for one standing: the rankings, overall and in the resident's
    groups, in one scan; then their respondents, in another."""
    groups = [Answer.persona_id == persona]
    if territory is not None:
        groups.append(Answer.territory == territory)
    counted = select(
        Answer.ranking, func.count(), *(func.sum(case((where, 1), else_=0)) for where in groups)
    ).group_by(Answer.ranking)
    valid = [
        ranking
        for ranking, *_ in await session.execute(counted)
        if sorted(ranking.split(",")) == sorted(VALUES)
    ]
    who = respondent()
    people = select(
        func.count(func.distinct(who)), *(func.count(func.distinct(case((where, who)))) for where in groups)
    ).where(Answer.ranking.in_(valid))
    (await session.execute(people)).one()


async def confirm(
    database: Database, counting: Standings | Literal["first version"] | None, number: int
) -> float:
    """Seconds to confirm a new resident's answer and say where it stands by ``counting`` (or not)."""
    async with database.transaction() as repos:
        resident = await repos.residents.add(20_000_000 + number, "fr", "bench", MOMENT)
    commune = COMMUNES[number % len(COMMUNES)]
    ranking = ORDERS[number % len(ORDERS)]
    persona = PERSONAS[number % len(PERSONAS)]
    started = time.perf_counter()
    async with database.transaction() as repos:
        if isinstance(counting, Standings):
            await counting.changing(repos, resident)
        stored = await repos.answers.save(answer(resident, ranking, persona, commune))
        if isinstance(counting, Standings):
            standing = await counting.of(repos, resident, counting.comparable(ranking), persona, commune)
            counting.after_answer(WORDS, standing)
        elif counting == "first version":
            await first_version(
                repos.session, persona, stored.territory if stored.territory != OUTSIDE else None
            )
    return time.perf_counter() - started


def answer(resident: Resident, ranking: str, persona: str, commune: str | None) -> Answer:
    territory = PLACES.territory_of(commune) if commune else None
    return Answer(resident_id=resident.id, paradox_id="p1", persona_id=persona, wish=WISH, ranking=ranking,
                  commune=commune, territory=territory, language="fr", source=None, consent_version="bench",
                  submitted_at=MOMENT)  # fmt: skip


async def timed(
    name: str, count: int, run: Callable[[int], Awaitable[float]], numbers: itertools.count[int]
) -> dict[str, Any]:
    times: list[float] = []
    started = time.monotonic()
    while len(times) < count and (len(times) < 3 or time.monotonic() - started < SECONDS):
        times.append(await run(next(numbers)))
    return {
        "case": name,
        "confirmations": len(times),
        "median_ms": round(statistics.median(times) * 1000, 2),
        "max_ms": round(max(times) * 1000, 2),
    }


async def measure(url: str, kind: str, answers: int, count: int) -> list[dict[str, Any]]:
    started = time.monotonic()
    await fill(url, answers)
    filled = round(time.monotonic() - started, 1)
    database = Database(url)
    numbers = itertools.count()
    results = []
    try:
        results.append(await timed("answer only", count, lambda n: confirm(database, None, n), numbers))
        every = Standings(CONTENT, PLACES, SystemClock(), recount=timedelta(0))
        await indexes(database, present=False)
        results.append(await timed("before", count, lambda n: confirm(database, "first version", n), numbers))
        results.append(await timed("census, no index", count, lambda n: confirm(database, every, n), numbers))
        await indexes(database, present=True)
        results.append(await timed("census", count, lambda n: confirm(database, every, n), numbers))
        shared = Standings(CONTENT, PLACES, SystemClock(), recount=RECOUNT)
        await confirm(database, shared, next(numbers))  # takes the census the next ones share
        results.append(await timed("shared", count, lambda n: confirm(database, shared, n), numbers))
    finally:
        await database.close()
    for result in results:
        result |= {"database": kind, "answers": answers, "fill_s": filled, "load": os.getloadavg()[0]}
        print(json.dumps(result), flush=True)
    return results


async def main_async(sizes: list[int], count: int, postgres: str | None) -> None:
    results = []
    for answers in sizes:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'fabrique.sqlite3'}"
            results += await measure(url, "SQLite", answers, count)
        if postgres:
            async with fresh_postgres(postgres) as url:
                results += await measure(url, "PostgreSQL", answers, count)
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"\n{platform.platform()}, {os.cpu_count()} CPUs, {python}\n")
    cases = ["answer only", "before", "census, no index", "census", "shared"]
    print("| database | answers | " + " | ".join(cases) + " | load |")
    print("|---|---|" + "---|" * (len(cases) + 1))
    for (kind, answers), group in itertools.groupby(results, key=lambda r: (r["database"], r["answers"])):
        by_case = {r["case"]: r for r in group}
        cells = [f"{by_case[c]['median_ms']:,} ms" for c in cases]
        print(f"| {kind} | {answers:,} | " + " | ".join(cells) + f" | {by_case['shared']['load']:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--answers", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--confirmations", type=int, default=50)
    parser.add_argument(
        "--postgres", default=os.environ.get("TEST_POSTGRES_URL"), help="admin URL of a PostgreSQL server"
    )
    args = parser.parse_args()
    asyncio.run(main_async(args.answers, args.confirmations, args.postgres))


if __name__ == "__main__":
    main()

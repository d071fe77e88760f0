"""An export written by several processes (``--jobs``) is the file one process writes, byte for
byte: the slices follow each other in the export's order, answers confirmed at the same moment stay
in one slice, and the small-group rule is the whole export's, not each slice's."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.places import load_places
from bot.storage import Answer, Database, Resident
from tests.test_cli import cli, one_line

AIX, LA_BARBEN = "13001", "13009"
START = datetime(2017, 5, 9, 10, tzinfo=UTC)
PLACES = load_places()


async def write(database: Database) -> None:
    """Twelve residents a minute apart, except the sixth and seventh, at the same moment (where
    two slices would meet); seven live in Aix (shown: seven share it), spread over every slice,
    and one in La Barben (left out: alone there)."""
    async with database.transaction() as repos:
        session = repos.session
        for index in range(12):
            moment = START + timedelta(minutes=5 if index == 6 else index)
            commune = AIX if index % 2 == 0 or index == 11 else LA_BARBEN if index == 5 else None
            resident = Resident(telegram_id=900_000 + index, language="fr", consent_version="v",
                                consented_at=moment, subscribed=False, created_at=moment)  # fmt: skip
            session.add(resident)
            await session.flush()
            territory = PLACES.territory_of(commune) if commune else None
            session.add(
                Answer(resident_id=resident.id, paradox_id="p1", persona_id="malika",
                       wish=f'Souhait {index} : « un tram », "guillemets"\n=1+1', commune=commune,
                       territory=territory, ranking="fraternite,innovation,authenticite,ouverture,responsabilite",
                       language="fr", consent_version="v", submitted_at=moment)
            )  # fmt: skip


@pytest.mark.parametrize(("name", "options"), [("answers.csv", ("--language", "fr", "--delimiter", ";")),
                                           ("answers.jsonl", ())])  # fmt: skip
async def test_several_processes_write_what_one_writes(
    database: Database, database_url: str, tmp_path: Path, name: str, options: tuple[str, ...]
) -> None:
    await write(database)
    stale = tmp_path / f".3-{name}.1.part"  # left by an export stopped before its end
    await asyncio.to_thread(stale.write_text, "stale rows")
    written = {}
    for jobs in (1, 3, 12):
        out = tmp_path / f"{jobs}-{name}"
        result = await cli(
            tmp_path, "export", str(out), *options, "--jobs", str(jobs), DATABASE_URL=database_url
        )
        assert result.stdout == f"ok: 12 answers written to {out}\n", result.stderr
        written[jobs] = out.read_bytes()
    assert written[3] == written[1] and written[12] == written[1]
    assert not [left for left in os.listdir(tmp_path) if left.endswith(".part")], "no slice left behind"
    if name.endswith(".jsonl"):
        rows = [json.loads(line) for line in written[1].decode().splitlines()]
        assert [row["wish"].split(" :")[0] for row in rows] == [f"Souhait {i}" for i in range(12)]
        assert [row["commune"] for row in rows].count(AIX) == 7, "the whole export's rule: seven share Aix"
        assert LA_BARBEN not in {row["commune"] for row in rows}, "alone in La Barben: left out"


async def test_a_slice_that_cannot_be_written_is_one_line(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    await write(database)
    (tmp_path / ".answers.csv.1.part").mkdir()  # where the second slice goes
    result = await cli(tmp_path, "export", "answers.csv", "--jobs", "2", DATABASE_URL=database_url)
    assert one_line(result) == (
        f"cannot write {tmp_path}/.answers.csv.1.part: File exists (or run the export with --jobs 1)"
    )


@pytest.mark.parametrize(
    ("options", "line"),
    [
        (("answers.xlsx",), "--jobs: only the CSV and JSON lines are written by several processes"),
        (
            ("votes.csv", "--table", "votes"),
            "--jobs: the votes are written by one process (only the answers are sliced)",
        ),
    ],
)
async def test_jobs_where_one_process_writes_is_one_line(
    database: Database, database_url: str, tmp_path: Path, options: tuple[str, ...], line: str
) -> None:
    result = await cli(tmp_path, "export", *options, "--jobs", "2", DATABASE_URL=database_url)
    assert one_line(result) == line
    assert not os.listdir(tmp_path) or os.listdir(tmp_path) == ["data"], "nothing written"

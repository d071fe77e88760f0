"""Export of 1,000,000 answers: time and peak memory, next to ``sqlite3 -csv`` on the same rows.

Fills a SQLite database with ``--answers`` confirmed answers (five per resident), then runs
``fabrique-bot export`` and ``sqlite3 -csv`` (Debian package ``sqlite3``) dumping the same table,
each in a fresh process whose peak resident memory is measured. Target: peak RSS of the export
under 150 MB.

    python bench/export.py --answers 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.storage import Database

MEASURE = (
    "import resource, subprocess, sys;"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode;"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)"
)
PARADOXES = [f"p{i}" for i in range(1, 8)]
PERSONAS = ["malika", "laurence", "carlos", "sarah", "alain", "vartan", "none"]
RANKINGS = [
    "fraternite,innovation,authenticite,ouverture,responsabilite",
    "ouverture,responsabilite,innovation,fraternite,authenticite",
    "responsabilite,authenticite,fraternite,innovation,ouverture",
]


def fill(path: Path, answers: int) -> None:
    asyncio.run(_upgrade(path))
    connection = sqlite3.connect(path)
    residents = answers // 5
    connection.executemany(
        "INSERT INTO residents (id, telegram_id, language, consent_version, consented_at, subscribed,"
        " created_at) VALUES (?, ?, 'fr', 'bench', '2017-05-01 10:00:00.000000', 0,"
        " '2017-05-01 10:00:00.000000')",
        ((i, 10_000_000 + i) for i in range(1, residents + 1)),
    )
    wish = (
        "Une métropole où l’on circule sans voiture, avec des parcs, des « guillemets » ; et\nune 2e ligne."
    )
    connection.executemany(
        "INSERT INTO answers (resident_id, paradox_id, persona_id, wish, ranking, language, source,"
        " consent_version, submitted_at) VALUES (?, ?, ?, ?, ?, 'fr', 'affiche', 'bench', ?)",
        (
            (i // 5 + 1, PARADOXES[i % 5], PERSONAS[i % 7], f"{wish} n°{i}", RANKINGS[i % 3],
             f"2017-05-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00.000000")
            for i in range(answers)
        ),
    )  # fmt: skip
    connection.commit()
    connection.close()


async def _upgrade(path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{path}")
    await database.upgrade()
    await database.close()


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of ``command`` run in a fresh process."""
    started = time.monotonic()
    output = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    elapsed = time.monotonic() - started
    if output[1] != "0":
        raise SystemExit(f"{command[0]} failed")
    return elapsed, int(output[0]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--answers", type=int, default=1_000_000)
    args = parser.parse_args()
    if shutil.which("sqlite3") is None:
        raise SystemExit("bench/export.py needs the sqlite3 command: apt-get install sqlite3")
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        database = data / "fabrique.sqlite3"
        fill(database, args.answers)
        env = {**os.environ, "DATA_DIR": folder}
        bot = shutil.which("fabrique-bot", path=str(Path(sys.executable).parent)) or "fabrique-bot"
        export_time, export_rss = measure([bot, "export", str(data / "answers.csv")], env)
        dump = "SELECT * FROM answers ORDER BY submitted_at, id;"
        sqlite_time, sqlite_rss = measure(["sqlite3", "-csv", "-header", str(database), dump], env)
        size = (data / "answers.csv").stat().st_size
    result = {
        "answers": args.answers,
        "export_seconds": round(export_time, 1),
        "export_peak_rss_mb": round(export_rss, 1),
        "export_file_mb": round(size / 1e6, 1),
        "sqlite3_csv_seconds": round(sqlite_time, 1),
        "sqlite3_csv_peak_rss_mb": round(sqlite_rss, 1),
        "time_ratio_export_over_sqlite3": round(export_time / sqlite_time, 1),
    }
    print(json.dumps(result, indent=2))
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print("target met" if export_rss < 150 else "target MISSED (peak RSS >= 150 MB)")


if __name__ == "__main__":
    main()

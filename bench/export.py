"""Export of 1,000,000 answers: the CSV's time next to ``sqlite3 -csv`` on the same rows, and the
workbook's peak memory.

Fills a SQLite database with ``--answers`` confirmed answers (five per resident, a commune and an
age band for most), then, each in a fresh process whose time and peak resident memory are
measured: ``sqlite3 -csv`` (Debian package ``sqlite3``) dumping the answers in the export's order,
``fabrique-bot export answers.csv`` (with the English column names, as scripts read it) and
``fabrique-bot export answers.xlsx``. The CSV and the dump alternate ``--repeat`` times; the
ratio is the median's. ``--before DIR`` also runs the CSV export of an earlier version: a
folder holding its ``bot`` package and ``locales`` (``git worktree add DIR COMMIT``).

Targets: the CSV in at most 3 times the dump's time; the workbook's peak RSS under 200 MB.
One JSON object per line: one per run, then the summary.

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
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.storage import Database

MEASURE = (
    "import resource, subprocess, sys;"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode;"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)"
)
CSV_RATIO = 3.0
WORKBOOK_RSS_MB = 200.0
PARADOXES = [f"p{i}" for i in range(1, 8)]
PERSONAS = ["malika", "laurence", "carlos", "sarah", "alain", "vartan", "none"]
RANKINGS = [
    "fraternite,innovation,authenticite,ouverture,responsabilite",
    "ouverture,responsabilite,innovation,fraternite,authenticite",
    "responsabilite,authenticite,fraternite,innovation,ouverture",
]
# Marseille 1er, Aix, Aubagne, Cassis, Martigues, outside, not said; and one commune of a single
# resident (La Barben), whose name the export leaves out.
COMMUNES = [
    ("13201", "marseille-provence"), ("13001", "pays-d-aix"), ("13005", "pays-d-aubagne-et-de-l-etoile"),
    ("13022", "marseille-provence"), ("13056", "pays-de-martigues"), ("hors", "hors"), (None, None),
]  # fmt: skip
AGES = ["15-29", "30-44", "45-59", "60-74", "75-plus", None]
DUMP = "SELECT * FROM answers ORDER BY submitted_at, id;"


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

    def place(resident: int) -> tuple[str | None, str | None]:
        return ("13009", "pays-salonais") if resident == 1 else COMMUNES[resident % len(COMMUNES)]

    connection.executemany(
        "INSERT INTO answers (resident_id, paradox_id, persona_id, wish, ranking, language, source,"
        " consent_version, submitted_at, commune, territory, age_band)"
        " VALUES (?, ?, ?, ?, ?, 'fr', 'affiche', 'bench', ?, ?, ?, ?)",
        (
            (i // 5 + 1, PARADOXES[i % 5], PERSONAS[i % 7], f"{wish} n°{i}", RANKINGS[i % 3],
             f"2017-05-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00.000000", *place(i // 5 + 1),
             AGES[(i // 5) % len(AGES)])
            for i in range(answers)
        ),
    )  # fmt: skip
    connection.commit()
    connection.close()


async def _upgrade(path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{path}")
    await database.upgrade()
    await database.close()


def measure(name: str, command: list[str], env: dict[str, str], output: Path) -> dict[str, Any]:
    """Seconds and peak RSS (MB) of ``command`` run in a fresh process in ``output``'s folder
    (so that ``python -m bot`` is the installed bot, or the one on ``PYTHONPATH``), as one JSON
    line with the size of ``output`` if the command wrote it."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        env=env, cwd=output.parent, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    elapsed = time.monotonic() - started
    if result[1] != "0":
        raise SystemExit(f"{name} failed: {' '.join(command)}")
    run = {"run": name, "seconds": round(elapsed, 2), "peak_rss_mb": round(int(result[0]) / 1024, 1)}
    if output.suffix != ".sqlite3":
        run["file_mb"] = round(output.stat().st_size / 1e6, 1)
    print(json.dumps(run), flush=True)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the CSV and the dump, alternated")
    parser.add_argument("--before", metavar="DIR", help="also run the CSV export of the version in DIR")
    parser.add_argument("--no-workbook", action="store_true", help="skip the workbook")
    args = parser.parse_args()
    if shutil.which("sqlite3") is None:
        raise SystemExit("bench/export.py needs the sqlite3 command: apt-get install sqlite3")
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        database = data / "fabrique.sqlite3"
        started = time.monotonic()
        fill(database, args.answers)
        print(
            json.dumps({"filled": args.answers, "seconds": round(time.monotonic() - started, 1)}), flush=True
        )
        env = {**os.environ, "DATA_DIR": folder}
        bot = [sys.executable, "-m", "bot", "export"]
        csv, dump, before = [], [], []
        for _ in range(args.repeat):
            dump.append(
                measure("sqlite3 -csv", ["sqlite3", "-csv", "-header", str(database), DUMP], env, database)
            )
            out = data / "answers.csv"
            csv.append(measure("export csv", [*bot, str(out), "--language", "en"], env, out))
            if args.before:
                earlier = {**env, "PYTHONPATH": str(Path(args.before).absolute())}
                before.append(measure("export csv (before)", [*bot, str(out)], earlier, out))
        workbook = None
        if not args.no_workbook:
            out = data / "answers.xlsx"
            workbook = measure("export xlsx", [*bot, str(out)], {**env, "TMPDIR": folder}, out)

    def median(runs: list[dict[str, Any]]) -> float:
        return float(statistics.median(run["seconds"] for run in runs))

    ratio = median(csv) / median(dump)
    summary: dict[str, Any] = {
        "answers": args.answers,
        "csv_seconds": median(csv),
        "sqlite3_csv_seconds": median(dump),
        "csv_over_sqlite3": round(ratio, 2),
        "csv_peak_rss_mb": max(run["peak_rss_mb"] for run in csv),
        "csv_target_met": ratio <= CSV_RATIO,
    }
    if before:
        summary["before_csv_seconds"] = median(before)
        summary["before_over_sqlite3"] = round(median(before) / median(dump), 2)
    if workbook is not None:
        summary |= {
            "xlsx_seconds": workbook["seconds"],
            "xlsx_peak_rss_mb": workbook["peak_rss_mb"],
            "xlsx_file_mb": workbook["file_mb"],
            "xlsx_target_met": workbook["peak_rss_mb"] < WORKBOOK_RSS_MB,
        }
    python = f"{platform.python_implementation()} {platform.python_version()}"
    summary["machine"] = f"{platform.platform()}, {os.cpu_count()} CPUs, {python}"
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()

"""The wheel (what the Dockerfile installs) carries the content, catalogs and migrations."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_the_wheel_ships_everything_the_bot_reads_at_run_time(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("fabrique_bot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "bot/content/paradoxes.yaml",
        "bot/content/values.yaml",
        "bot/content/stages.yaml",
        "bot/content/consultation.yaml",
        "bot/personas/catalogue.yaml",
        "bot/locales/en/LC_MESSAGES/messages.mo",
        "bot/locales/en/LC_MESSAGES/content.mo",
        "bot/storage/migrations/env.py",
        "bot/storage/migrations/script.py.mako",
        "bot/storage/migrations/versions/0001_initial.py",
    }
    assert expected <= names
    assert not any(name.startswith("tests/") for name in names)

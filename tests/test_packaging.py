"""The wheel (what the Dockerfile installs) carries the content, catalogs and migrations."""

import re
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
        "bot/places/communes.csv",
        "bot/places/territories.csv",
        "bot/places/outside_postal_codes.csv",
        "bot/places/age_bands.yaml",
        "bot/locales/en/LC_MESSAGES/messages.mo",
        "bot/locales/en/LC_MESSAGES/content.mo",
        "bot/storage/migrations/env.py",
        "bot/storage/migrations/script.py.mako",
        "bot/storage/migrations/versions/0001_initial.py",
    }
    assert expected <= names
    assert not any(name.startswith("tests/") for name in names)


def _readme_commands() -> list[str]:
    """The README's set-up commands: the one-line ``sh`` blocks a newcomer copies."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+)\n```", readme)


def test_the_readme_has_two_commands_that_do_not_share_an_environment() -> None:
    """Installing the tests' extras into the bot's environment would replace the installed bot
    under a running preview (its page then answers 404): each command has its own."""
    run, tests = _readme_commands()
    assert run.endswith("fabrique-bot run") and tests.endswith("pytest")
    environments = [re.findall(r"^python3 -m venv (\S+) &&", command) for command in (run, tests)]
    assert environments[0] and environments[1]
    assert environments[0] != environments[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    tests = _readme_commands()[1]
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in lines

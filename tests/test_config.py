"""Settings: read from the environment, and a mistake is one line naming the variable."""

import pytest

from bot.config import load_settings
from bot.errors import ConfigError

TOKEN = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ-abc_def"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "DATABASE_URL", "STAFF_IDS", "DEFAULT_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(str(tmp_path))


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/")
    monkeypatch.setenv("STAFF_IDS", "12, 34")
    settings = load_settings()
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert settings.staff_ids == {12, 34}
    assert settings.default_language == "fr"
    assert settings.database.startswith("sqlite+aiosqlite:///data/")


def test_settings_come_from_a_dot_env_file(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    with open(".env", "w") as env:
        env.write(f"TELEGRAM_BOT_TOKEN={TOKEN}\nDEFAULT_LANGUAGE=en\n")
    assert load_settings().default_language == "en"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN is malformed"),
        ({"TELEGRAM_API_URL": "api.telegram.org"}, "TELEGRAM_API_URL is malformed"),
        ({"STAFF_IDS": "12,alice"}, "STAFF_IDS: Value error, expected comma-separated Telegram user ids"),
        ({"DEFAULT_LANGUAGE": "de"}, "DEFAULT_LANGUAGE: Value error, expected one of fr, en"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    if not variables:
        monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value).startswith(message)
    assert "not-a-token" not in str(error.value)

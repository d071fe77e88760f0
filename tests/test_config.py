"""Settings: read from the environment, and a mistake is one line naming the variable."""

import pytest

from bot.config import load_settings
from bot.errors import ConfigError

TOKEN = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ-abc_def"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in (
        *("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "DATABASE_URL", "STAFF_IDS", "DEFAULT_LANGUAGE"),
        *("WEB_PORT", "RETENTION_UNTIL", "SEND_RATE", "PAID_BROADCASTS", "LOG_FORMAT", "WEBHOOK_URL"),
    ):
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
        (
            {"STAFF_IDS": "12,alice"},
            "STAFF_IDS: expected comma-separated Telegram user ids, e.g. 12345,67890",
        ),
        ({"STAFF_IDS": "x"}, "STAFF_IDS: expected comma-separated Telegram user ids, e.g. 12345,67890"),
        ({"DEFAULT_LANGUAGE": "de"}, "DEFAULT_LANGUAGE: expected one of fr, en"),
        ({"WEB_PORT": "abc"}, "WEB_PORT: expected a whole number"),
        ({"WEB_PORT": "70000"}, "WEB_PORT: Input should be less than or equal to 65535"),
        ({"RETENTION_UNTIL": "tomorrow"}, "RETENTION_UNTIL: expected a date, YYYY-MM-DD"),
        ({"SEND_RATE": "fast"}, "SEND_RATE: expected a number"),
        ({"PAID_BROADCASTS": "maybe"}, "PAID_BROADCASTS: expected true or false"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT: Input should be 'text' or 'json'"),
        ({"WEBHOOK_URL": "https://bot.example.org"}, "WEBHOOK_URL needs WEBHOOK_SECRET"),
        (
            {"DATABASE_URL": "postgresql+psycopg2://u:not-a-token@db/x"},
            "DATABASE_URL: the psycopg2 driver is not supported: write postgresql+asyncpg://…",
        ),
        ({"DATABASE_URL": "oracle://u:not-a-token@db/x"}, "DATABASE_URL: oracle is not supported"),
        ({"DATABASE_URL": "not-a-token"}, "DATABASE_URL: not a database URL"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    """The value is never repeated: it may be a secret (a token, a password in a URL)."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value).startswith(message)
    assert "not-a-token" not in str(error.value)


def test_empty_variables_are_unset_as_in_the_shipped_env_example(monkeypatch: pytest.MonkeyPatch) -> None:
    with open(".env", "w") as env:
        env.write("TELEGRAM_BOT_TOKEN=\nSTAFF_IDS=\nWEBHOOK_URL=https://bot.example.org\nWEBHOOK_SECRET=\n")
    monkeypatch.setenv("RETENTION_UNTIL", "")
    settings = load_settings()
    assert (settings.telegram_bot_token, settings.staff_ids, settings.retention_until) == (
        None,
        frozenset(),
        None,
    )


@pytest.mark.parametrize(("given", "token"), [(f" {TOKEN}\t", TOKEN), ("   ", None)])
def test_spaces_around_the_token_are_not_part_of_it(
    monkeypatch: pytest.MonkeyPatch, given: str, token: str | None
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", given)
    assert load_settings().telegram_bot_token == token


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ("sqlite:///data/x.sqlite3", "sqlite+aiosqlite:///data/x.sqlite3"),
        ("postgresql://u:p@db/x", "postgresql+asyncpg://u:p@db/x"),
        ("postgres://u:p@db:5433/x", "postgresql+asyncpg://u:p@db:5433/x"),
        ("postgresql+asyncpg://u:p@db/x", "postgresql+asyncpg://u:p@db/x"),
    ],
)
def test_a_database_url_gets_the_bots_async_driver(
    monkeypatch: pytest.MonkeyPatch, given: str, url: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    assert load_settings().database == url

"""Settings from the environment and an optional ``.env`` file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.errors import ConfigError

LANGUAGES = ("fr", "en")
TELEGRAM_API_URL = "https://api.telegram.org"
FREE_RATE_LIMIT = 30.0
SEE_README = "see the configuration table in README.md"
ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}
"""The one driver the bot uses for each database it supports, by the URL schemes that name it."""
DATABASE_EXAMPLES = (
    "postgresql+asyncpg://user:password@host/name or sqlite+aiosqlite:////path/to/fabrique.sqlite3"
)
PLAIN_MESSAGES = {
    "date": "expected a date, YYYY-MM-DD",
    "bool": "expected true or false",
    "int": "expected a whole number",
    "float": "expected a number",
}
"""Clearer messages for pydantic's errors by the type they start with (``date_parsing``…)."""


def async_database_url(value: str) -> str:
    """``DATABASE_URL`` with the bot's async driver: ``sqlite://`` and ``postgresql://`` (or
    ``postgres://``, as hosting platforms give it) name it implicitly; any other driver or
    database is refused. The messages never repeat the URL, which may hold a password."""
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError(f"not a database URL (expected {DATABASE_EXAMPLES})") from None
    backend, _, driver = url.drivername.partition("+")
    wanted = ASYNC_DRIVERS.get(backend)
    if wanted is None:
        raise ValueError(f"{backend} is not supported (use {DATABASE_EXAMPLES})")
    if driver and url.drivername != wanted:
        raise ValueError(f"the {driver} driver is not supported: write {wanted}://…")
    if backend == "sqlite" and url.database in (None, "", ":memory:"):
        raise ValueError("a SQLite database in memory would lose every answer: give a file path")
    return url.set(drivername=wanted).render_as_string(hide_password=False)


class Settings(BaseSettings):
    """Every setting of the bot; see the configuration table in the README."""

    # env_ignore_empty: ``NAME=`` (as .env.example ships them) means unset, not an empty value.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True)

    telegram_bot_token: str | None = Field(default=None, pattern=r"^\d+:[A-Za-z0-9_-]{20,}$")
    telegram_api_url: str = Field(default=TELEGRAM_API_URL, pattern=r"^https?://\S+$")
    data_dir: Path = Path("data")
    database_url: str = ""
    staff_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_language: str = "fr"
    content_dir: Path | None = None
    send_rate: float = Field(default=25.0, gt=0, le=1000)
    paid_broadcasts: bool = False
    per_chat_rate: float = Field(default=1.0, gt=0)
    broadcast_lease_seconds: float = Field(default=15.0, gt=0)
    broadcast_window: int = Field(default=1, ge=1, le=100)
    max_concurrent_updates: int = Field(default=256, ge=1, le=10_000)
    retention_until: date | None = None
    flood_limit: int = Field(default=20, ge=1)
    flood_window_seconds: float = Field(default=10.0, gt=0)
    flood_pause_seconds: float = Field(default=60.0, ge=0)
    reminder_after_hours: float = Field(default=48.0, ge=0)
    reminder_from_hour: int = Field(default=10, ge=0, le=23)
    reminder_until_hour: int = Field(default=20, ge=1, le=24)
    results_recount_seconds: float = Field(default=60.0, ge=0)
    themes_read_ahead: bool = True
    webhook_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(:\d+)?(/[^\s]*)?$")
    webhook_secret: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{16,256}$")
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    log_format: Literal["text", "json"] = "text"

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _strip_token(cls, value: object) -> object:
        """Spaces around a pasted token are not part of it; a blank token is no token."""
        return (value.strip() or None) if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return async_database_url(value) if value else value

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("staff_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(part.isdigit() for part in parts):
                raise ValueError("expected comma-separated Telegram user ids, e.g. 12345,67890")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"expected one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _webhook_has_a_secret(self) -> Settings:
        """Checked only with a token: without one there is no webhook to set (export, preview)."""
        if self.telegram_bot_token and self.webhook_url and not self.webhook_secret:
            raise ValueError("WEBHOOK_URL needs WEBHOOK_SECRET (16 or more letters, digits, _ or -)")
        return self

    @model_validator(mode="after")
    def _rate_within_telegram_limits(self) -> Settings:
        if self.send_rate > FREE_RATE_LIMIT and not self.paid_broadcasts:
            raise ValueError(
                f"SEND_RATE above {FREE_RATE_LIMIT:g}/s needs PAID_BROADCASTS=true (Telegram's free limit)"
            )
        return self

    @model_validator(mode="after")
    def _reminder_hours_in_order(self) -> Settings:
        if self.reminder_from_hour >= self.reminder_until_hour:
            raise ValueError("REMINDER_FROM_HOUR must be before REMINDER_UNTIL_HOUR (hours in Paris, 0–24)")
        return self

    @property
    def token(self) -> str:
        """The bot token, which running the bot requires (exports and stats do not)."""
        if self.telegram_bot_token is None:
            raise ConfigError(f"TELEGRAM_BOT_TOKEN is not set ({SEE_README})")
        return self.telegram_bot_token

    @property
    def database(self) -> str:
        """The SQLAlchemy URL: ``DATABASE_URL``, or a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'fabrique.sqlite3'}"


def load_settings() -> Settings:
    """Read the settings, turning validation errors into one line naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        message = error["msg"].removeprefix("Value error, ")
        if not error["loc"]:  # a rule across settings: its message names them
            raise ConfigError(message) from None
        name = str(error["loc"][0]).upper()
        if error["type"] == "missing":
            raise ConfigError(f"{name} is not set ({SEE_README})") from None
        if error["type"] == "string_pattern_mismatch":
            raise ConfigError(f"{name} is malformed ({SEE_README})") from None
        message = PLAIN_MESSAGES.get(error["type"].partition("_")[0], message)
        raise ConfigError(f"{name}: {message}") from None

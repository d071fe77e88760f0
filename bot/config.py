"""Settings from the environment and an optional ``.env`` file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError

LANGUAGES = ("fr", "en")
TELEGRAM_API_URL = "https://api.telegram.org"
FREE_RATE_LIMIT = 30.0
SEE_README = "see the configuration table in README.md"


class Settings(BaseSettings):
    """Every setting of the bot; see the configuration table in the README."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

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
    webhook_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(:\d+)?(/[^\s]*)?$")
    webhook_secret: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{16,256}$")
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    log_format: Literal["text", "json"] = "text"

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
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("WEBHOOK_URL needs WEBHOOK_SECRET (16 or more letters, digits, _ or -)")
        return self

    @model_validator(mode="after")
    def _rate_within_telegram_limits(self) -> Settings:
        if self.send_rate > FREE_RATE_LIMIT and not self.paid_broadcasts:
            raise ValueError(
                f"SEND_RATE above {FREE_RATE_LIMIT:g}/s needs PAID_BROADCASTS=true (Telegram's free limit)"
            )
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
        if not error["loc"]:  # a rule across settings: its message names them
            raise ConfigError(error["msg"].removeprefix("Value error, ")) from None
        name = str(error["loc"][0]).upper()
        if error["type"] == "missing":
            raise ConfigError(f"{name} is not set ({SEE_README})") from None
        if error["type"] == "string_pattern_mismatch":
            raise ConfigError(f"{name} is malformed ({SEE_README})") from None
        raise ConfigError(f"{name}: {error['msg']}") from None

"""Settings from environment variables and an optional `.env` (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cases.policy import known_timezone

DEFAULT_COMMUNITY = Path(__file__).resolve().parent.parent / "examples" / "community.yaml"


class SettingsError(SystemExit):
    """Raised at start with one clear line naming the variable at fault."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field("sqlite+aiosqlite:///./var/wuye.sqlite3", alias="DATABASE_URL")
    telegram_bot_token: SecretStr | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field("https://api.telegram.org", alias="TELEGRAM_API_BASE_URL")
    bot_framework: Literal["ptb", "aiogram"] = Field("ptb", alias="BOT_FRAMEWORK")
    community_file: Path = Field(DEFAULT_COMMUNITY, alias="COMMUNITY_FILE")
    timezone: str = Field("Asia/Shanghai", alias="TIMEZONE")
    default_locale: Literal["zh-CN", "en"] = Field("zh-CN", alias="DEFAULT_LOCALE")
    webhook_url: str | None = Field(None, alias="WEBHOOK_URL")
    webhook_listen: str = Field("127.0.0.1", alias="WEBHOOK_LISTEN")
    webhook_port: int = Field(8443, alias="WEBHOOK_PORT", ge=1, le=65535)
    webhook_secret: SecretStr | None = Field(None, alias="WEBHOOK_SECRET")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", alias="LOG_LEVEL")
    # Libraries whose own DEBUG output (requests, SQL rows) the operator wants, comma-separated;
    # they stay at WARNING otherwise (bot/logs.py).  Still redacted.
    log_libraries: str = Field("", alias="LOG_LIBRARIES")
    # Images the bot makes (report charts) wait here for the channels to upload them.
    media_dir: Path = Field(Path("var/media"), alias="MEDIA_DIR")
    # The office console (web/): `wuye web`, and `wuye run` too when WEB_PORT is set.  Bound to
    # this machine by default; put a reverse proxy with TLS in front for other machines.
    web_listen: str = Field("127.0.0.1", alias="WEB_LISTEN")
    web_port: int | None = Field(None, alias="WEB_PORT", ge=0, le=65535)
    # The address people type (https://desk.example.com behind the proxy); an http:// one
    # turns the cookies' Secure flag off (a trial without TLS; browsers treat 127.0.0.1 as secure).
    web_base_url: str = Field("", alias="WEB_BASE_URL")

    _zone = field_validator("timezone")(lambda cls, value: known_timezone(value))

    @field_validator("database_url")
    @classmethod
    def _db(cls, value: str) -> str:
        if not value.split(":", 1)[0].startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("use sqlite:///path or postgresql://user@host/db")
        return value

    @field_validator("media_dir")
    @classmethod
    def _media(cls, value: Path) -> Path:
        # Absolute from the start: what the report code writes and what the channel
        # uploads must be the same directory, whatever the working directory is later.
        return value.expanduser().resolve()

    @field_validator("telegram_api_base_url")
    @classmethod
    def _root(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org")
        return value.rstrip("/")


DEFAULT_WEB_PORT = 8080


def secure_cookies(settings: Settings) -> bool:
    """Cookies only over HTTPS, unless the console is explicitly served over plain HTTP."""
    return not settings.web_base_url.startswith("http://")


def load_settings(**overrides: object) -> Settings:
    """Settings for this process; a bad value stops the start with one line naming it."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else "settings"
        raise SettingsError(f"wuye: bad setting {name}: {err['msg']}") from None

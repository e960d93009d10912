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
    # Redis for what several bot processes share: the overall sending pace (bot.shared_pace).
    # Unset: each process paces itself, right for the one sending process of the default setup.
    redis_url: str | None = Field(None, alias="REDIS_URL")
    # A reply a process has taken to send is its own for this long, renewed while it lives; a
    # process that dies leaves its replies to the others (or to itself restarted) after this.
    # Shorter: quicker recovery after a crash; never shorter than a send can take under load.
    outbox_lease_seconds: int = Field(60, alias="OUTBOX_LEASE_SECONDS", ge=3, le=3600)
    # Images the bot makes (report charts) wait here for the channels to upload them.
    media_dir: Path = Field(Path("var/media"), alias="MEDIA_DIR")
    # WeChat Service Account (bot/wechat): configured when the app id is set.
    wechat_app_id: str | None = Field(None, alias="WECHAT_APP_ID")
    wechat_app_secret: SecretStr | None = Field(None, alias="WECHAT_APP_SECRET")
    wechat_token: SecretStr | None = Field(None, alias="WECHAT_TOKEN")
    # The 43-character EncodingAESKey: safe mode; without it, plain (signed only) mode.
    wechat_aes_key: SecretStr | None = Field(None, alias="WECHAT_AES_KEY")
    wechat_api_base_url: str = Field("https://api.weixin.qq.com", alias="WECHAT_API_BASE_URL")
    wechat_listen: str = Field("127.0.0.1", alias="WECHAT_LISTEN")
    wechat_port: int = Field(8081, alias="WECHAT_PORT", ge=0, le=65535)
    wechat_path: str = Field("/wechat", alias="WECHAT_PATH")
    # Template messages for owners outside the 48 h window: "kind=template_id,..." with kinds
    # progress (accepted, started, transferred), confirm (done: please confirm), survey, notice, urgent.
    wechat_templates: str = Field("", alias="WECHAT_TEMPLATES")
    # The template fields the short text and the time go into (category templates: thing1, time2 ...).
    wechat_template_text_field: str = Field("thing1", alias="WECHAT_TEMPLATE_TEXT_FIELD")
    wechat_template_time_field: str = Field("time2", alias="WECHAT_TEMPLATE_TIME_FIELD")

    # WeCom (企业微信) for staff: a self-built app (corp id, agent id, its secret; the callback's
    # token and EncodingAESKey) and its callback server.  All five set = WeCom starts.
    wecom_corp_id: str | None = Field(None, alias="WECOM_CORP_ID")
    wecom_agent_id: int | None = Field(None, alias="WECOM_AGENT_ID")
    wecom_secret: SecretStr | None = Field(None, alias="WECOM_SECRET")
    wecom_token: SecretStr | None = Field(None, alias="WECOM_TOKEN")
    wecom_aes_key: SecretStr | None = Field(None, alias="WECOM_AES_KEY")
    wecom_api_base_url: str = Field("https://qyapi.weixin.qq.com", alias="WECOM_API_BASE_URL")
    wecom_listen: str = Field("127.0.0.1", alias="WECOM_LISTEN")
    wecom_port: int = Field(8090, alias="WECOM_PORT", ge=1, le=65535)
    wecom_path: str = Field("/wecom", alias="WECOM_PATH", pattern=r"^/[A-Za-z0-9/_.-]*$")

    # The office console (web/): `wuye web`, and `wuye run` too when WEB_PORT is set.  Bound to
    # this machine by default; put a reverse proxy with TLS in front for other machines.
    web_listen: str = Field("127.0.0.1", alias="WEB_LISTEN")
    web_port: int | None = Field(None, alias="WEB_PORT", ge=0, le=65535)
    # The address people type (https://desk.example.com behind the proxy); an http:// one
    # turns the cookies' Secure flag off (a trial without TLS; browsers treat 127.0.0.1 as secure).
    web_base_url: str = Field("", alias="WEB_BASE_URL")
    # A console session ends after this long without a request (each request renews it), and
    # in any case this long after signing in.
    web_idle_minutes: int = Field(30, alias="WEB_IDLE_MINUTES", ge=1, le=24 * 60)
    web_session_hours: int = Field(12, alias="WEB_SESSION_HOURS", ge=1, le=7 * 24)
    # Behind a reverse proxy: the header it puts the client's address in (X-Forwarded-For,
    # X-Real-IP), believed only on connections from WEB_TRUSTED_PROXIES.  Empty (the default):
    # no header is believed, the address is the connection's.
    web_client_ip_header: str = Field("", alias="WEB_CLIENT_IP_HEADER", pattern=r"^[A-Za-z0-9-]*$")
    web_trusted_proxies: str = Field("127.0.0.1,::1", alias="WEB_TRUSTED_PROXIES")

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

    @field_validator("wechat_aes_key")
    @classmethod
    def _aes(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value() and len(value.get_secret_value()) != 43:
            raise ValueError("the EncodingAESKey has 43 characters (as shown by the platform)")
        return value if value is not None and value.get_secret_value() else None

    @field_validator("wechat_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with / (e.g. /wechat)")
        return value

    @field_validator("wechat_api_base_url")
    @classmethod
    def _wx_root(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://api.weixin.qq.com")
        return value.rstrip("/")

    @field_validator("wecom_aes_key")
    @classmethod
    def _wecom_aes(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) != 43:
            raise ValueError("the EncodingAESKey is 43 characters (WeCom app → 接收消息 → API接收)")
        return value

    @property
    def wecom_configured(self) -> bool:
        return None not in (self.wecom_corp_id, self.wecom_agent_id, self.wecom_secret, self.wecom_token,
                            self.wecom_aes_key)

    @field_validator("telegram_api_base_url", "wecom_api_base_url")
    @classmethod
    def _root(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org or https://qyapi.weixin.qq.com")
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

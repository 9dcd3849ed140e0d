"""One typed settings object, read once from the environment (and `.env`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _local_url(host: str | None, port: str | None) -> str:
    """Where `make run` serves when no public URL is configured, so mailed
    links and sandbox pages point at the port actually in use."""
    return f"http://{host or '127.0.0.1'}:{port or '8000'}"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str | None = None
    data_dir: Path = Path(".data")
    app_url: str = "http://127.0.0.1:8000"
    log_format: str = "console"
    log_level: str = "INFO"
    session_cookie_secure: bool | None = None
    csrf_secret: str = ""
    trusted_origins: tuple[str, ...] = ()
    vapi_webhook_secret: str | None = None
    cron_secret: str | None = None
    admin_api_key: str | None = None
    redis_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str = "Epoch Voice <no-reply@epoch.local>"
    smtp_security: str = "starttls"
    db_pool_size: int = 10
    stripe_secret_key: str | None = field(default=None, repr=False)
    stripe_webhook_secret: str | None = field(default=None, repr=False)
    stripe_api_base: str = "https://api.stripe.com"
    stripe_price_starter: str | None = None
    stripe_price_advanced: str | None = None
    stripe_price_pro: str | None = None
    # Sandbox only: organization ids whose overage charges are declined.
    stripe_sandbox_decline: tuple[str, ...] = ()
    # Voice access tokens for the web widget (all four, or the sandbox signs).
    twilio_account_sid: str | None = None
    twilio_api_key_sid: str | None = None
    twilio_api_key_secret: str | None = field(default=None, repr=False)
    twilio_twiml_app_sid: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Environment variables win over `.env`, which fills in the rest."""
        values: dict[str, str] = {}
        if env is None:
            dotenv = {k: v for k, v in dotenv_values(".env").items() if v is not None}
            values = {**dotenv, **os.environ}
        else:
            values = dict(env)

        def get(name: str) -> str | None:
            value = values.get(name)
            return value if value not in (None, "") else None

        origins = get("TRUSTED_ORIGINS") or ""
        return cls(
            database_url=get("DATABASE_URL"),
            data_dir=Path(get("EPOCH_DATA_DIR") or ".data"),
            app_url=get("APP_URL") or _local_url(get("HOST"), get("PORT")),
            log_format=(get("LOG_FORMAT") or "console").lower(),
            log_level=(get("LOG_LEVEL") or "INFO").upper(),
            session_cookie_secure=(
                _flag(get("SESSION_COOKIE_SECURE"))
                if get("SESSION_COOKIE_SECURE") is not None
                else None
            ),
            csrf_secret=get("CSRF_SECRET") or "",
            trusted_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            vapi_webhook_secret=get("VAPI_WEBHOOK_SECRET"),
            cron_secret=get("CRON_SECRET"),
            admin_api_key=get("ADMIN_API_KEY"),
            redis_url=get("REDIS_URL"),
            smtp_host=get("SMTP_HOST"),
            smtp_port=int(get("SMTP_PORT") or 587),
            smtp_username=get("SMTP_USERNAME"),
            smtp_password=get("SMTP_PASSWORD"),
            smtp_from=get("SMTP_FROM") or "Epoch Voice <no-reply@epoch.local>",
            smtp_security=(get("SMTP_SECURITY") or "starttls").lower(),
            db_pool_size=int(get("DB_POOL_SIZE") or 10),
            stripe_secret_key=get("STRIPE_SECRET_KEY"),
            stripe_webhook_secret=get("STRIPE_WEBHOOK_SECRET"),
            stripe_api_base=get("STRIPE_API_BASE") or "https://api.stripe.com",
            stripe_price_starter=get("STRIPE_PRICE_STARTER"),
            stripe_price_advanced=get("STRIPE_PRICE_ADVANCED"),
            stripe_price_pro=get("STRIPE_PRICE_PRO"),
            stripe_sandbox_decline=tuple(
                o.strip()
                for o in (get("STRIPE_SANDBOX_DECLINE") or "").split(",")
                if o.strip()
            ),
            twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
            twilio_api_key_sid=get("TWILIO_API_KEY_SID"),
            twilio_api_key_secret=get("TWILIO_API_KEY_SECRET"),
            twilio_twiml_app_sid=get("TWILIO_TWIML_APP_SID"),
        )

    @property
    def cookies_secure(self) -> bool:
        if self.session_cookie_secure is not None:
            return self.session_cookie_secure
        return self.app_url.startswith("https://")

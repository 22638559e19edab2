"""Settings of the whole hotline, built once in the composition root and passed in.

Every value can be set with an environment variable prefixed ``HOTLINE_`` (for example
``HOTLINE_DATABASE_URL``) or in an optional ``.env`` file. Secrets default to clearly
named development values; :func:`Settings.check_secrets` refuses them outside development.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEV_SECRET_PREFIX = "dev-insecure-"


def default_cache_dir() -> Path:
    """The user's cache folder for things built once and reused (the Asterisk root)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hotline"


class Settings(BaseSettings):
    """Effective configuration of one hotline installation."""

    model_config = SettingsConfigDict(
        env_prefix="HOTLINE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "development"
    var_dir: Path = Field(default=PROJECT_ROOT / "var")

    # data stores
    database_url: str = ""  # empty: a SQLite file under var_dir
    redis_url: str = "redis://127.0.0.1:6379/0"

    # the hotline itself
    hotline_number: str = "1545"
    general_queue: str = "common"  # "general" is reserved in queues.conf
    timezone: str = "Europe/Kyiv"

    # Asterisk sandbox (development and tests: a chrooted Debian sid root)
    asterisk_root: Path = Field(default_factory=lambda: default_cache_dir() / "asterisk-root")
    asterisk_instance: str = "main"
    asterisk_suite: str = "sid"
    asterisk_mirror: str = "http://deb.debian.org/debian"

    sip_host: str = "127.0.0.1"
    sip_port: int = 5060
    carrier_ip: str = "127.0.0.2"
    rtp_start: int = 10000
    rtp_end: int = 10999

    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_user: str = "hotline"
    ami_secret: SecretStr = SecretStr(DEV_SECRET_PREFIX + "ami")

    ari_host: str = "127.0.0.1"
    ari_port: int = 8088
    ari_user: str = "hotline"
    ari_password: SecretStr = SecretStr(DEV_SECRET_PREFIX + "ari")
    ari_app: str = "hotline"

    agi_host: str = "127.0.0.1"
    agi_port: int = 4573

    console_host: str = "127.0.0.1"
    console_port: int = 8000
    secret_key: SecretStr = SecretStr(DEV_SECRET_PREFIX + "console-secret-key")

    # IVR and call backs (agi_scripts/)
    calendar_file: Path | None = None  # empty: routing/data/calendar.yaml (working hours)
    # numbers served first (priority queue), one per line; personal data, kept out of the repo
    priority_numbers_file: Path | None = None
    callback_dial: str = "PJSIP/{number}@carrier"  # how a call back reaches the citizen
    # how a transfer reaches a state body's own hotline (a directory number only)
    outside_dial: str = "PJSIP/{number}@carrier"
    callback_max_attempts: int = Field(default=3, ge=1, le=10)
    callback_retry_seconds: int = Field(default=600, ge=1)

    # supervision and QA
    service_level_seconds: int = Field(default=20, ge=1, le=600)
    short_abandon_seconds: int = Field(default=6, ge=0, le=120)
    recording_retention_days: int = Field(default=365, ge=1)

    # media
    recordings_dir: Path | None = None  # empty: inside the Asterisk instance
    prompts_dir: Path | None = None  # empty: inside the Asterisk instance
    vosk_model_path: Path | None = None

    @field_validator("hotline_number")
    @classmethod
    def _digits_only(cls, value: str) -> str:
        if not value.isdigit() or not 2 <= len(value) <= 15:
            raise ValueError("hotline_number must be 2 to 15 digits")
        return value

    @field_validator("asterisk_instance")
    @classmethod
    def _safe_instance(cls, value: str) -> str:
        if not value.replace("-", "").replace("_", "").isalnum():
            raise ValueError("asterisk_instance may hold letters, digits, '-' and '_' only")
        return value

    @model_validator(mode="after")
    def _check_secrets(self) -> Settings:
        if self.environment == "production":
            for name in ("ami_secret", "ari_password", "secret_key"):
                if getattr(self, name).get_secret_value().startswith(DEV_SECRET_PREFIX):
                    raise ValueError(f"{name} still has its development default in production")
        return self

    # derived values -----------------------------------------------------------------
    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'hotline.db'}"

    @property
    def instance_dir(self) -> Path:
        """Host path of this Asterisk instance's folder inside the chroot."""
        return self.asterisk_root / "hotline" / self.asterisk_instance

    @property
    def instance_dir_in_chroot(self) -> str:
        """The same folder as the chrooted Asterisk sees it."""
        return f"/hotline/{self.asterisk_instance}"

    @property
    def effective_recordings_dir(self) -> Path:
        return self.recordings_dir or self.instance_dir / "recordings"

    @property
    def effective_prompts_dir(self) -> Path:
        return self.prompts_dir or self.instance_dir / "sounds"

    def masked(self) -> dict[str, object]:
        """Settings as a flat dict with secrets masked, for `hotline config show`."""
        out: dict[str, object] = {}
        for name, value in self.model_dump().items():
            if isinstance(getattr(self, name), SecretStr):
                out[name] = "********"
            else:
                out[name] = str(value) if isinstance(value, Path) else value
        out["effective_database_url"] = _mask_url(self.effective_database_url)
        out["redis_url"] = _mask_url(self.redis_url)
        out["database_url"] = _mask_url(self.database_url)
        out["effective_recordings_dir"] = str(self.effective_recordings_dir)
        out["effective_prompts_dir"] = str(self.effective_prompts_dir)
        return out


def _mask_url(url: str) -> str:
    """Hide a password inside a URL (scheme://user:password@host)."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    if ":" in creds:
        creds = creds.split(":", 1)[0] + ":********"
    return f"{scheme}://{creds}@{host}"


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment, with explicit overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]

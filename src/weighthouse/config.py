"""Settings: one object, built once in ``main`` or ``asgi`` by :func:`load_settings` and passed
in. Nothing reads the environment at import time.

Every field can be set from the environment as ``WEIGHTHOUSE_<SECTION>__<KEY>``, for example
``WEIGHTHOUSE_DATABASE__URL=postgresql://db/weighthouse`` or ``WEIGHTHOUSE_BLOBS__DRIVER=local``,
and in a TOML file (``--config FILE`` or ``WEIGHTHOUSE_CONFIG``) with one table per section.
Command-line flags beat the environment, which beats the file, which beats the defaults.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict

CONFIG_FILE_ENV = "WEIGHTHOUSE_CONFIG"


class DatabaseSettings(BaseModel):
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite at <data_dir>/weighthouse.db",
    )


class BlobSettings(BaseModel):
    driver: str = "local"
    root: Path | None = Field(default=None, description="local driver; default <data_dir>/blobs")


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    threads: int = Field(
        default=4,
        ge=1,
        description="worker threads for catalog calls; few beat many under the GIL",
    )
    max_transfers: int = Field(
        default=64, ge=1, description="uploads streaming at once, each holding a thread"
    )


class AdminSettings(BaseModel):
    name: str = "admin"
    token: SecretStr | None = Field(
        default=None,
        description="a wh_<id>_<secret> token to register for the first admin",
    )


class AuthSettings(BaseModel):
    signup: bool = Field(default=True, description="anyone may create an account")
    session_ttl_seconds: int = Field(default=12 * 3600, gt=0)
    session_key_file: Path | None = Field(
        default=None, description="the session signing key ring; default <data_dir>/secrets/"
    )
    signin_per_account: int = Field(default=10, gt=0, description="attempts per window")
    signin_per_client: int = Field(default=10, gt=0, description="attempts per window")
    signup_per_client: int = Field(default=10, gt=0, description="sign-ups per window")
    signin_window_seconds: int = Field(default=300, gt=0)
    rate_limit_redis_url: str | None = Field(
        default=None,
        description="share sign-in limits between processes through Redis (weighthouse[redis])",
    )
    trust_forwarded_for: bool = Field(
        default=False, description="take the client address from X-Forwarded-For (behind a proxy)"
    )
    argon2_memory_kib: int = Field(default=19456, ge=8192)
    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_parallelism: int = Field(default=1, ge=1)
    max_concurrent_hashes: int = Field(default=2, ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WEIGHTHOUSE_", env_nested_delimiter="__", extra="ignore"
    )

    data_dir: Path = Path("data")
    database: DatabaseSettings = DatabaseSettings()
    blobs: BlobSettings = BlobSettings()
    server: ServerSettings = ServerSettings()
    admin: AdminSettings = AdminSettings()
    auth: AuthSettings = AuthSettings()
    gc_grace_seconds: int = Field(default=6 * 3600, ge=0)
    max_upload_bytes: int = Field(default=64 * 2**30, gt=0)
    max_json_bytes: int = Field(default=16 * 2**20, gt=0)

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_dir / 'weighthouse.db').resolve()}"

    @property
    def session_key_file(self) -> Path:
        return (
            self.auth.session_key_file or self.data_dir / "secrets" / "session-keys.json"
        ).resolve()

    @property
    def blob_root(self) -> Path:
        return (self.blobs.root or self.data_dir / "blobs").resolve()


class ConfigError(ValueError):
    """The settings cannot be built: a missing or malformed config file, a key the settings do
    not have, or a value of the wrong type. The message is one line, fit for an operator."""


def load_settings(
    config_file: Path | None = None, flags: Mapping[str, Any] | None = None
) -> Settings:
    """The settings every server-side entry point uses: ``flags`` (nested like the settings,
    ``None`` values left out) over the environment over the TOML file ``config_file`` (default:
    the file named by ``WEIGHTHOUSE_CONFIG``, if any) over the defaults.

    Raises :class:`ConfigError`.
    """
    if config_file is None and os.environ.get(CONFIG_FILE_ENV):
        config_file = Path(os.environ[CONFIG_FILE_ENV])
    layers: list[Mapping[str, Any]] = []
    if config_file is not None:
        layers.append(read_config_file(config_file))
    layers.append(EnvSettingsSource(Settings)())
    layers.append(_without_none(flags or {}))
    merged: dict[str, Any] = {}
    for layer in layers:
        merged = _merge(merged, layer)
    try:
        return Settings(**merged)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None


def read_config_file(path: Path) -> dict[str, Any]:
    """The values of a TOML config file. Unknown keys are errors, not ignored: a misspelt
    ``[databse]`` must not quietly leave the catalog on its default. Raises ``ConfigError``."""
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    unknown = _unknown_keys(Settings, values)
    if unknown:
        raise ConfigError(f"config file {path}: unknown setting {', '.join(unknown)}")
    return values


def _unknown_keys(model: type[BaseModel], values: Mapping[str, Any], prefix: str = "") -> list[str]:
    unknown = []
    for key, value in values.items():
        field = model.model_fields.get(key)
        if field is None:
            unknown.append(prefix + key)
            continue
        section = field.annotation
        if isinstance(section, type) and issubclass(section, BaseModel) and isinstance(value, dict):
            unknown += _unknown_keys(section, value, f"{prefix}{key}.")
    return unknown


def _merge(low: Mapping[str, Any], high: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(low)
    for key, value in high.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: _without_none(value) if isinstance(value, Mapping) else value
        for key, value in values.items()
        if value is not None
    }

"""Where the settings come from, in one function every server-side entry point calls:
command-line flags, then the ``WEIGHTHOUSE_*`` environment, then a TOML config file
(``--config FILE`` or ``WEIGHTHOUSE_CONFIG``), then the defaults of :class:`Settings`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_settings import EnvSettingsSource

from weighthouse.config import Settings

CONFIG_FILE_ENV = "WEIGHTHOUSE_CONFIG"


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

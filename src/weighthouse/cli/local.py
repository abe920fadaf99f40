"""What the commands that run on the server's own machine share (serve, db, gc, fsck, keys,
admin recover-token): the settings, read exactly as ``serve`` reads them, and the check that
the catalog and the blob store are one deployment before anything is touched.

Settings come from ``--config FILE`` (or ``WEIGHTHOUSE_CONFIG``), the ``WEIGHTHOUSE_*``
environment and the command's flags; flags win, then the environment, then the file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from weighthouse.cli.failures import CommandError
from weighthouse.config import Settings
from weighthouse.config_sources import ConfigError, load_settings

if TYPE_CHECKING:
    from weighthouse.bootstrap import Container

F = TypeVar("F", bound=Callable[..., Any])


def settings_options(func: F) -> F:
    """Add ``--config`` and ``--data-dir``; the command passes both to :func:`server_settings`."""
    decorated: F = click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Where SQLite and local blobs live (default: ./data, or WEIGHTHOUSE_DATA_DIR).",
    )(func)
    with_config: F = click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="A TOML settings file, as for 'serve' (default: WEIGHTHOUSE_CONFIG, if set).",
    )(decorated)
    return with_config


def server_settings(config_file: Path | None, data_dir: Path | None, **flags: Any) -> Settings:
    """The server's settings: ``flags`` (``None`` means not given) over the environment over
    the config file. A bad file or value is one line and exit 1."""
    try:
        return load_settings(config_file, {"data_dir": data_dir, **flags})
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


def open_server(settings: Settings, *, adopt: bool = False) -> Container:
    """The container, once the catalog and the blob store are known to be one deployment.

    Only ``serve`` and ``db upgrade`` ``adopt`` (migrate and record the identity); the other
    commands change nothing until the check passes. Refusals are ``DeploymentMismatchError``
    (one line, exit 1).
    """
    # Imported here so that the client commands start without the server's modules.
    from weighthouse.opening import open_deployment

    return open_deployment(settings, adopt=adopt)


def check_deployment(settings: Settings, *, adopt: bool = False) -> str | None:
    """The check of :func:`open_server` alone, for commands that need no container."""
    from weighthouse.opening import identify_deployment

    return identify_deployment(settings, adopt=adopt)

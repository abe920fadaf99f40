"""Settings for the commands that run on the server's own machine (serve, db, gc, fsck).

They read the same ``WEIGHTHOUSE_*`` environment as the server; ``--data-dir`` overrides it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from weighthouse.config import Settings

F = TypeVar("F", bound=Callable[..., Any])


def data_dir_option(func: F) -> F:
    decorated: F = click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Where SQLite and local blobs live (default: ./data, or WEIGHTHOUSE_DATA_DIR).",
    )(func)
    return decorated


def local_settings(data_dir: Path | None, **overrides: Any) -> Settings:
    settings = Settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    if overrides:
        settings = settings.model_copy(update=overrides)
    return settings

"""``weighthouse db upgrade``: apply catalog migrations (``serve`` also does this on start)."""

from __future__ import annotations

from pathlib import Path

import click

from weighthouse.bootstrap import migrate_catalog
from weighthouse.cli.local import data_dir_option, local_settings


@click.command("upgrade")
@data_dir_option
def command(data_dir: Path | None) -> None:
    """Bring the catalog schema to the newest version."""
    settings = local_settings(data_dir)
    migrate_catalog(settings)
    click.echo("catalog is up to date")

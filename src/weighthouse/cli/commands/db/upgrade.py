"""``weighthouse db upgrade``: apply catalog migrations and record the deployment's identity
(``serve`` also does both on start)."""

from __future__ import annotations

from pathlib import Path

import click

from weighthouse.cli.local import check_deployment, server_settings, settings_options


@click.command("upgrade")
@settings_options
def command(config_file: Path | None, data_dir: Path | None) -> None:
    """Bring the catalog schema to the newest version.

    Refuses, changing nothing, when the catalog and the blob store are not one deployment.
    """
    deployment_id = check_deployment(server_settings(config_file, data_dir), adopt=True)
    click.echo(f"catalog is up to date; deployment {deployment_id}")

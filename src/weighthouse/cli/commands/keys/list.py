"""``weighthouse keys list``."""

from __future__ import annotations

from pathlib import Path

import click

from weighthouse.cli.commands.keys import open_ring, ring_failure
from weighthouse.cli.local import settings_options
from weighthouse.cli.output import echo_json, json_option
from weighthouse.cli.remote import table


@click.command("list")
@json_option
@settings_options
def command(config_file: Path | None, data_dir: Path | None, as_json: bool) -> None:
    """List the session signing keys, oldest first: id, creation time and which one signs.

    Secrets are never shown.
    """
    ring, path = open_ring(config_file, data_dir)
    try:
        keys = ring.keys()
    except RuntimeError as exc:
        raise ring_failure(exc) from exc
    if as_json:
        echo_json(
            [
                {"kid": k.id, "created_at": k.created_at.isoformat(), "signing": k.signing}
                for k in keys
            ]
        )
        return
    rows = [
        (key.id, f"{key.created_at:%Y-%m-%d %H:%M:%S}", "signing" if key.signing else "verifying")
        for key in keys
    ]
    for line in table(("KID", "CREATED (UTC)", "USE"), rows):
        click.echo(line)
    click.echo(f"{len(rows)} key{'s' if len(rows) != 1 else ''} in {path}", err=True)

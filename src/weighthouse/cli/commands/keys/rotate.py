"""``weighthouse keys rotate``."""

from __future__ import annotations

from pathlib import Path

import click

from weighthouse.cli.commands.keys import open_ring, ring_failure
from weighthouse.cli.local import settings_options


@click.command("rotate")
@settings_options
def command(config_file: Path | None, data_dir: Path | None) -> None:
    """Add a new key that signs new sessions from now on.

    Sessions signed by older keys stay valid until they expire or their key is retired.
    Without a ring yet, one is made with its first key. Prints the new key's id alone on
    stdout.
    """
    ring, path = open_ring(config_file, data_dir, must_exist=False)
    existed = path.exists()
    try:
        kid = ring.rotate() if existed else ring.keys()[-1].id
    except RuntimeError as exc:
        raise ring_failure(exc) from exc
    made = "" if existed else ", in a new ring"
    click.echo(f"Key {kid} signs new sessions now{made} ({path}).", err=True)
    click.echo(kid)

"""``weighthouse keys retire``."""

from __future__ import annotations

from pathlib import Path

import click

from weighthouse.cli.commands.keys import open_ring, ring_failure
from weighthouse.cli.failures import CommandError
from weighthouse.cli.local import settings_options


@click.command("retire")
@click.argument("kid", metavar="KID")
@settings_options
def command(kid: str, config_file: Path | None, data_dir: Path | None) -> None:
    """Remove the key KID from the ring: every session it signed is signed out.

    The last key cannot go; rotate first. Retiring the signing key makes the newest
    remaining key sign.
    """
    ring, _ = open_ring(config_file, data_dir)
    try:
        ring.retire(kid)
    except KeyError:
        raise CommandError(f"no key {kid!r} in the ring; see 'weighthouse keys list'") from None
    except ValueError as exc:
        raise CommandError(f"cannot retire {kid}: {exc}") from exc
    except RuntimeError as exc:
        raise ring_failure(exc) from exc
    click.echo(f"Retired key {kid}: the sessions it signed are signed out.")

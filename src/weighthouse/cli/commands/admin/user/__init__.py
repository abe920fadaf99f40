"""Create, list, disable and enable users (site admins only)."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote


def set_disabled(remote: Remote, name: str, disabled: bool) -> None:
    """What 'admin user disable' and 'admin user enable' share."""
    remote.require_token("disabling or enabling a user")
    user = remote.client.set_user_disabled(name, disabled)
    if user.disabled:
        click.echo(f"Disabled {user.name}: their tokens and sessions stop working now.")
    else:
        click.echo(f"Enabled {user.name}: their unexpired tokens and sessions work again.")

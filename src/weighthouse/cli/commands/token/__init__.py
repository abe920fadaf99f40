"""Create, list and revoke your own API tokens.

This package's modules are the commands; the shared implementation below also serves
'weighthouse admin token', where site admins act for other users.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import click

from weighthouse.cli.output import echo_json, record
from weighthouse.cli.remote import Remote
from weighthouse.client import TokenInfo
from weighthouse.domain.names import is_valid_name

F = TypeVar("F", bound=Callable[..., Any])

SCOPES = click.Choice(["read", "write", "admin"])


def check_restriction(text: str) -> str:
    """``ns`` or ``ns/name`` with valid names; ``ValueError`` with a message otherwise."""
    parts = text.split("/")
    if len(parts) > 2 or not all(is_valid_name(part) for part in parts):
        raise ValueError(f"{text!r} is not a namespace 'ns' or a repo 'ns/name'")
    return text


def _restrictions(
    ctx: click.Context, param: click.Parameter, values: Iterable[str]
) -> tuple[str, ...]:
    """Each ``--restrict-to`` may also hold several entries separated by commas."""
    entries = [e.strip() for value in values for e in value.split(",") if e.strip()]
    try:
        return tuple(dict.fromkeys(check_restriction(e) for e in entries))
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def expiry(days: int | None, now: datetime | None = None) -> datetime | None:
    """When a token made ``now`` for ``days`` days expires; ``None`` for never."""
    if days is None:
        return None
    return (now or datetime.now(UTC)) + timedelta(days=days)


def create_options(func: F) -> F:
    """The options of 'token create' and 'admin token create'."""
    for option in reversed(
        (
            click.option("--name", required=True, help="What the token is for, e.g. 'ci'."),
            click.option(
                "--scope",
                type=SCOPES,
                default="read",
                show_default=True,
                help="What the token may do; each scope includes the ones before it.",
            ),
            click.option(
                "--expires-in-days",
                type=click.IntRange(min=1),
                default=None,
                help="Expire after this many days (default: never).",
            ),
            click.option(
                "--restrict-to",
                multiple=True,
                callback=_restrictions,
                metavar="NS|NS/NAME",
                help="Only reach this namespace or repo; repeat for more (default: all that "
                "you can reach).",
            ),
        )
    ):
        func = option(func)
    return func


def create_token(
    remote: Remote,
    *,
    name: str,
    scope: str,
    expires_in_days: int | None,
    restrict_to: tuple[str, ...],
    user: str | None = None,
) -> None:
    """Make the token; its secret goes alone to stdout, everything else to stderr."""
    remote.require_token("creating a token")
    token = remote.client.create_token(
        name,
        scope=scope,
        user=user,
        expires_at=expiry(expires_in_days),
        restrict_to=restrict_to,
    )
    facts = [token.scope]
    if token.expires_at:
        facts.append(f"expires {token.expires_at:%Y-%m-%d}")
    if token.restrict_to:
        facts.append(f"only {', '.join(token.restrict_to)}")
    click.echo(f"Created token {token.id} ({'; '.join(facts)}). Its secret:", err=True)
    # The secret alone on stdout, so scripts can capture it with $(...). It is never shown again.
    click.echo(token.secret)


def _day(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d}" if moment else "-"


def token_line(token: TokenInfo, now: datetime) -> str:
    """One tab-separated line: id, name, scope, state, expiry, last use and any
    restrictions. Never the secret."""
    line = (
        f"{token.id}\t{token.name}\t{token.scope}\t{token.state(now)}\t"
        f"expires {_day(token.expires_at)}\tused {_day(token.last_used_at)}"
    )
    return f"{line}\tonly {','.join(token.restrict_to)}" if token.restrict_to else line


def show_tokens(remote: Remote, *, user: str | None = None, as_json: bool = False) -> None:
    """Lines of :func:`token_line`, or with ``as_json`` every field and the state."""
    remote.require_token("listing tokens")
    now = datetime.now(UTC)
    tokens = remote.client.list_tokens(user)
    if as_json:
        echo_json([record(t, state=t.state(now)) for t in tokens])
        return
    for token in tokens:
        click.echo(token_line(token, now))


def revoke_token(remote: Remote, token_id: str) -> None:
    remote.require_token("revoking a token")
    remote.client.revoke_token(token_id)
    click.echo(f"Revoked token {token_id}.")

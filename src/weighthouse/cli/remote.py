"""What every command that talks to a server shares: ``--url``/``--token`` (or
``WEIGHTHOUSE_URL``/``WEIGHTHOUSE_TOKEN``, or what ``login`` stored), one client per command,
client errors as one line, the ``REPO[@REV]`` argument type, roles, passwords from a prompt or
stdin, tables and progress bars."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from weighthouse.cli import credentials
from weighthouse.cli.failures import CommandError
from weighthouse.client import (
    ApiError,
    ClientError,
    ProgressBar,
    ProgressFactory,
    RepoAddress,
    WeighthouseClient,
    no_progress,
    parse_repo_address,
)

F = TypeVar("F", bound=Callable[..., Any])

PROGRESS_ENV = "WEIGHTHOUSE_PROGRESS"


@dataclass
class Remote:
    """The server a command talks to. ``client`` is made on first use and closed by
    ``remote_command`` when the command ends."""

    url: str
    token: str | None
    _client: WeighthouseClient | None = field(default=None, repr=False)

    @property
    def client(self) -> WeighthouseClient:
        if self._client is None:
            self._client = WeighthouseClient(self.url, self.token)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def require_token(self, doing: str) -> None:
        """Fail before any work when ``doing`` needs a token and there is none."""
        if not self.token:
            raise CommandError(
                f"unauthenticated: {doing} needs a token; run 'weighthouse login' "
                "or pass --token / set WEIGHTHOUSE_TOKEN"
            )

    def namespace_of(self, address: RepoAddress) -> RepoAddress:
        """``address`` with its namespace filled in from the caller's user name if missing."""
        if address.namespace is not None:
            return address
        me = self.client.whoami().user
        if me is None:
            raise CommandError(f"write {address.name!r} as namespace/name when not logged in")
        return address.with_namespace(me.name)


def resolve(url: str | None, token: str | None) -> Remote:
    """Flags and environment win over the stored login. The stored token is only sent to
    the stored URL: pointing ``--url`` elsewhere must not leak it to another server."""
    stored = credentials.load()
    if url is None:
        if stored is None:
            raise CommandError(
                "no server: run 'weighthouse login --url URL --user NAME' (or --token TOKEN), "
                "or pass --url / set WEIGHTHOUSE_URL"
            )
        url = stored.url
    url = url.rstrip("/")
    if token is None and stored is not None and stored.url.rstrip("/") == url:
        token = stored.token
    return Remote(url, token or None)


def server_url(url: str | None) -> str:
    """The server for commands that need no token (``signup``, ``login``): ``--url`` or
    ``WEIGHTHOUSE_URL``, else the stored login's."""
    if url is None:
        stored = credentials.load()
        if stored is None:
            raise click.UsageError("no server: pass --url or set WEIGHTHOUSE_URL")
        url = stored.url
    return url.rstrip("/")


def describe(exc: ClientError) -> str:
    """One line for an error: ``code: message`` for the server's errors."""
    if isinstance(exc, ApiError):
        return f"{exc.code}: {exc.message}"
    return str(exc)


def remote_command(func: F) -> F:
    """Add ``--url`` and ``--token`` to a command and pass it ``remote``; client errors
    become one-line ``CommandError``s (exit 1)."""

    @click.option("--token", envvar="WEIGHTHOUSE_TOKEN", default=None, help="API token.")
    @click.option("--url", envvar="WEIGHTHOUSE_URL", default=None, help="Server URL.")
    @functools.wraps(func)
    def wrapper(*args: Any, url: str | None, token: str | None, **kwargs: Any) -> Any:
        remote = resolve(url, token)
        try:
            return func(*args, remote=remote, **kwargs)
        except ClientError as exc:
            raise CommandError(describe(exc)) from exc
        finally:
            remote.close()

    return wrapper  # type: ignore[return-value]


# Not subscripted: click before 8.2 has no generic ParamType at runtime.
class RepoAddressType(click.ParamType):  # type: ignore[type-arg]
    """``namespace/name[@revision]`` on the command line; a bad one is a usage error."""

    name = "namespace/name"

    def __init__(self, *, allow_revision: bool = True, require_namespace: bool = False) -> None:
        self.allow_revision = allow_revision
        self.require_namespace = require_namespace
        if allow_revision:
            self.name = "namespace/name[@revision]"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> RepoAddress:
        if isinstance(value, RepoAddress):
            return value
        try:
            return parse_repo_address(
                str(value),
                allow_revision=self.allow_revision,
                require_namespace=self.require_namespace,
            )
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


REPO_TYPES = click.Choice(["model", "dataset"])
ANY_REPO_TYPES = click.Choice(["model", "dataset", "bucket"])

ROLES = click.Choice(["read", "write", "admin"])
"""Roles in an organisation or on a repo; each includes the ones before it."""

password_stdin_option = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input (one line) instead of a prompt.",
)


def stdin_lines(count: int, what: str) -> list[str]:
    """``count`` lines from standard input without their line ends, for ``--password-stdin``;
    a missing line is a usage error naming ``what`` it should have held."""
    lines = []
    for index in range(count):
        line = sys.stdin.readline()
        if not line:
            raise click.UsageError(f"--password-stdin: line {index + 1} ({what}) is missing")
        lines.append(line.removesuffix("\n").removesuffix("\r"))
    return lines


def read_password(from_stdin: bool, *, prompt: str = "Password", confirm: bool = False) -> str:
    """A password from one line of stdin, or a hidden prompt (asked twice with ``confirm``).
    An empty password is a usage error; the server judges the rest."""
    if from_stdin:
        password = stdin_lines(1, "the password")[0]
    else:
        password = click.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
    if not password:
        raise click.UsageError("the password is empty")
    return password


repo_type_option = click.option(
    "--type",
    "repo_type",
    type=REPO_TYPES,
    default="model",
    show_default=True,
    help="What the repo holds.",
)

any_repo_type_option = click.option(
    "--type",
    "repo_type",
    type=ANY_REPO_TYPES,
    default="model",
    show_default=True,
    help="What the repo holds.",
)

progress_option = click.option(
    "--progress/--no-progress",
    default=None,
    help=f"Show progress bars (default: when stderr is a terminal, or {PROGRESS_ENV}=1).",
)


def progress_bars(enabled: bool | None, *, unit: str = "B") -> ProgressFactory:
    """tqdm bars on stderr, in bytes, or counting ``unit`` (e.g. ``"obj"``) when it is not
    ``"B"``. ``None`` means: only on a terminal, unless the environment forces them on or
    off. Byte counts are scaled by 1000: tqdm's prefixes are the SI ones (k, M, G), so with
    1024 a bar said ``MB/s`` for what were MiB per second."""
    if enabled is None:
        forced = os.environ.get(PROGRESS_ENV, "").strip().lower()
        enabled = forced in ("1", "true", "yes") or (
            forced not in ("0", "false", "no") and sys.stderr.isatty()
        )
    if not enabled:
        # Scripts and pipes draw nothing, and need not pay for importing tqdm.
        return no_progress
    from tqdm import tqdm

    def bar(description: str, total: int) -> ProgressBar:
        bar: ProgressBar = tqdm(
            total=total,
            desc=description,
            unit=unit,
            unit_scale=unit == "B",
            unit_divisor=1000,
            file=sys.stderr,
            dynamic_ncols=True,
        )
        return bar

    return bar


def echo_beside_bars(message: str) -> None:
    """A line on stderr that leaves a progress bar being drawn there whole: tqdm clears the
    bar, prints the line and draws the bar again below it, where a plain print would cut
    into the bar's line."""
    bars = sys.modules.get("tqdm")
    if bars is None:  # no bar was made: progress_bars imports tqdm only to draw one
        click.echo(message, err=True)
        return
    bars.tqdm.write(message, file=sys.stderr)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """Rows as lines of left-aligned columns two spaces apart; the last column is not
    padded, so no line ends in blanks."""
    body = [[str(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in body:
        for i, cell in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for row in [list(headers), *body]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + row[-1:]
        lines.append("  ".join(cells).rstrip())
    return lines


def human_size(size: int) -> str:
    """``1.5 MiB`` style, for summaries."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")

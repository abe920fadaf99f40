"""Entry point: builds the command tree from the modules under ``cli/commands``.

Errors are printed as one line and exit 1 (usage errors exit 2); ``-v`` shows tracebacks.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from types import ModuleType

import click

from weighthouse import __version__
from weighthouse.cli import commands
from weighthouse.cli.failures import run_guarded


def _load(package: ModuleType, group: click.Group) -> None:
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue  # shared helpers of a group, not commands
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if info.ispkg:
            sub = click.Group(
                name=info.name.replace("_", "-"),
                help=(module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else None,
            )
            _load(module, sub)
            group.add_command(sub)
        else:
            group.add_command(module.command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="weighthouse")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Weighthouse: model weights, datasets and buckets on one content-addressed store."""
    ctx.obj = {"verbose": verbose}


_load(commands, cli)


def main(argv: list[str] | None = None) -> None:
    sys.exit(run_guarded(cli, argv))

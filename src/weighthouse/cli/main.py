"""Entry point: the command tree is the modules under ``cli/commands``.

A command's module is imported only when that command runs (or for ``--help``): starting
``weighthouse pull`` does not import the server, the catalog or every other command.
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

# Importing httpx also imports its own command-line tool, which loads click's terminal help,
# rich and pygments; nothing here uses that tool, and httpx guards its import, so marking it
# absent skips it. It was a quarter of the CPU of starting 'weighthouse pull' (200 ms to 150 ms
# with 'perf stat -r 10'), which on a busy machine is most of what a short download waits for.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


class CommandPackage(click.Group):
    """A group whose commands are the modules of ``package`` (``repo_grant.py`` is
    ``repo-grant``; a sub-package is a group of its own), each imported on first use.
    Modules named ``_...`` hold a group's shared helpers and are not commands."""

    def __init__(self, package: ModuleType, **attrs: object) -> None:
        super().__init__(**attrs)  # type: ignore[arg-type]
        self.package = package
        self.modules = {
            info.name.replace("_", "-"): info.name
            for info in pkgutil.iter_modules(package.__path__)
            if not info.name.startswith("_")
        }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.modules)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = self.modules.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(f"{self.package.__name__}.{module_name}")
        if hasattr(module, "__path__"):
            doc = (module.__doc__ or "").strip()
            return CommandPackage(module, name=cmd_name, help=doc.splitlines()[0] if doc else None)
        command: click.Command = module.command
        return command


@click.group(
    cls=CommandPackage,
    package=commands,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="weighthouse")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Weighthouse: model weights, datasets and buckets on one content-addressed store."""
    ctx.obj = {"verbose": verbose}


def main(argv: list[str] | None = None) -> None:
    sys.exit(run_guarded(cli, argv))

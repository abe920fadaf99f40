"""How the CLI reports failures: one line on stderr, exit 1; usage errors exit 2."""

from __future__ import annotations

import sys
import traceback

import click

from weighthouse.config import ConfigError
from weighthouse.domain.errors import DomainError


class CommandError(click.ClickException):
    """A failure worth one clear line, e.g. an error the server returned."""

    exit_code = 1


def run_guarded(cli: click.Group, argv: list[str] | None) -> int:
    verbose = "-v" in (argv if argv is not None else sys.argv[1:]) or "--verbose" in (
        argv if argv is not None else sys.argv[1:]
    )
    try:
        result = cli.main(args=argv, prog_name="weighthouse", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.UsageError as exc:
        exc.show()
        return 2
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        return exc.exit_code
    except DomainError as exc:
        if verbose:
            traceback.print_exc()
        click.echo(f"error: [{type(exc).__name__}] {exc.message}", err=True)
        return 1
    except ConfigError as exc:
        if verbose:
            traceback.print_exc()
        click.echo(f"error: configuration: {exc}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except OSError as exc:
        if verbose:
            traceback.print_exc()
        click.echo(f"error: {exc}", err=True)
        return 1
    return result if isinstance(result, int) else 0

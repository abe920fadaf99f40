"""How the CLI reports failures: one line on stderr, exit 1; usage errors exit 2."""

from __future__ import annotations

import sys
import traceback

import click

from weighthouse.domain.errors import DomainError


class CommandError(click.ClickException):
    """A failure worth one clear line, e.g. an error the server returned."""

    exit_code = 1


def is_config_error(exc: BaseException) -> bool:
    """``exc`` is a ``weighthouse.config.ConfigError``. Asked of the loaded module rather
    than imported: the settings (and pydantic) load only with the commands that read them,
    which keeps a client command's start short, and no ConfigError exists before they do."""
    config = sys.modules.get("weighthouse.config")
    return config is not None and isinstance(exc, config.ConfigError)


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
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except OSError as exc:
        if verbose:
            traceback.print_exc()
        click.echo(f"error: {exc}", err=True)
        return 1
    except ValueError as exc:
        if not is_config_error(exc):
            raise
        if verbose:
            traceback.print_exc()
        click.echo(f"error: configuration: {exc}", err=True)
        return 1
    return result if isinstance(result, int) else 0

"""The `coach` command line. Commands live in the modules of this package, each a thin shell over the Python API."""

from __future__ import annotations

import sys

import click
import typer

from coach.cli import evals, history, index, interview, loop, practice, progress, score, stories  # noqa: F401  (registers commands)
from coach.cli._app import app
from coach.errors import CoachError

# Newer typer releases carry their own copy of click, whose usage errors are not click's classes.
_VENDORED = getattr(getattr(typer, "_click", None), "exceptions", None)
USAGE_ERRORS = (click.exceptions.ClickException, *((_VENDORED.ClickException,) if _VENDORED else ()))


def main() -> None:
    try:
        app(standalone_mode=False)
    except CoachError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)
    except typer.Abort:
        sys.exit(130)
    except USAGE_ERRORS as err:  # usage errors: unknown option, bad value
        err.show()
        sys.exit(err.exit_code)

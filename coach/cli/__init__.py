"""The `coach` command line. Commands live in the modules of this package, each a thin shell over the Python API."""

from __future__ import annotations

import sys

import click
import typer

from coach.cli import evals, history, index, interview, loop, practice, progress, score, stories  # noqa: F401  (registers commands)
from coach.cli._app import app
from coach.errors import CoachError


def main() -> None:
    try:
        app(standalone_mode=False)
    except CoachError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)
    except typer.Abort:
        sys.exit(130)
    except click.exceptions.ClickException as err:  # usage errors: unknown option, bad value
        err.show()
        sys.exit(err.exit_code)

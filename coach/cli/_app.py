"""The Typer app and the helpers every command module shares."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from coach.root import Coach
from coach.errors import CoachError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Offline interview coach for Staff and Principal engineers.")

ChromaOpt = typer.Option(None, "--chroma-url", help="Talk to a Chroma server (http://host:port) instead of the local store.")


def make_coach(**overrides: object) -> Coach:
    """The one Coach a command works with: COACH_* settings, with the command's flags on top."""
    return Coach.from_env(**overrides)


def _echo_json(obj: object) -> None:
    typer.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))

"""The Typer app and the helpers every command module shares."""

from __future__ import annotations

import json
import os
import sys
from typing import Optional

import typer

from .config import Settings, get_settings
from .errors import CoachError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Offline interview coach for Staff and Principal engineers.")

ChromaOpt = typer.Option(None, "--chroma-url", help="Talk to a Chroma server (http://host:port) instead of the local store.")


def _settings(chroma_url: str | None = None) -> Settings:
    if chroma_url:
        os.environ["COACH_CHROMA_URL"] = chroma_url
        get_settings.cache_clear()
    return get_settings()


def _echo_json(obj: object) -> None:
    typer.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))

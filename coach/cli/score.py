"""`coach score`: score one answer against a panel's evaluation signals."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from coach.cli._app import _echo_json, app, make_coach
from coach.errors import UserInputError
from coach.render.scorecard import to_text
from coach.scoring.text import MAX_ANSWER_CHARS, decode_answer_bytes


def read_answer(answer_file: str) -> str:
    if answer_file == "-":
        raw = sys.stdin.buffer.read(MAX_ANSWER_CHARS * 4 + 1)
        return decode_answer_bytes(raw, "Standard input")
    path = Path(answer_file)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as err:
        raise UserInputError(f"Answer file {path} does not exist.", "Pass a path to a text file, or - to read standard input.") from err
    except OSError as err:
        raise UserInputError(f"Answer file {path} cannot be read: {err}.", "Check the path and its permissions.") from err
    return decode_answer_bytes(raw, f"Answer file {path}")


@app.command()
def score(
    panel: str = typer.Option(..., "--panel", "-p", help="Panel slug, e.g. system-design."),
    question: str = typer.Option("", "--question", "-q", help="The question the answer responds to."),
    answer_file: str = typer.Option(..., "--answer-file", "-f", help="Text file with the answer, or - for stdin."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON scorecard."),
    scorer: Optional[str] = typer.Option(
        None, "--scorer", help="evidence (offline), judge or combined (need COACH_BACKEND=openai or ollama); default COACH_SCORER."
    ),
) -> None:
    """Score an answer against the panel's evaluation signals, quoting the evidence."""
    coach = make_coach()
    card = coach.score(panel, read_answer(answer_file), question, scorer=scorer)
    if as_json:
        _echo_json(card.contract())
    else:
        typer.echo(to_text(card))

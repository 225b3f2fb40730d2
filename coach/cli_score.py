"""`coach score`: score one answer against a panel's evaluation signals."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from .cli_app import _echo_json, app
from .errors import UserInputError
from .scoring.scorecard import Scorecard
from .scoring.text import MAX_ANSWER_CHARS, decode_answer_bytes

LEVEL_BAR = {None: "  n/a", 0: "·····", 1: "█····", 2: "██···", 3: "███··", 4: "████·"}


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


def render_scorecard(card: Scorecard) -> str:
    lines = [f"Panel: {card.panel}"]
    if card.question:
        lines.append(f"Question: {card.question}")
    if card.abstained:
        lines.append(f"Overall: not scored — {card.abstain_reason}.")
        if all(s.scored_by == "evidence" for s in card.signals):  # the answer itself gave too little
            lines.append("Every signal: insufficient evidence. Answer the question in full sentences and score again.")
    else:
        lines.append(f"Overall: {card.overall}/100  ({card.band})")
    lines.append("")
    for s in card.signals:
        by = f"  (by {s.scored_by})" if card.scorer.name != "evidence" else ""
        lines.append(f"{LEVEL_BAR.get(s.level, '  ?  ')} {s.name}  [{s.status}]{by}")
        if s.scored_by == "judge" and s.reason:
            lines.append(f"        why: {s.reason}")
        for q in s.evidence:
            lines.append(f"        “{q if len(q) < 220 else q[:217] + '...'}”")
        if not card.abstained and (s.level or 0) < 3:
            lines.append(f"        A strong answer: {s.strong_answer_includes}")
    if card.failure_modes:
        lines.append("")
        lines.append("Failure modes spotted:")
        for f in card.failure_modes:
            lines.append(f"  - {f.name}: “{f.cues[0][:160]}”")
    for note in card.notes:
        lines.append(f"note: {note}")
    lines.append(f"\nscorer: {card.scorer.name} {card.scorer.version}")
    return "\n".join(lines)


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
    from .scoring import score_answer

    card = score_answer(panel, read_answer(answer_file), question, scorer=scorer)
    if as_json:
        _echo_json(card.contract())
    else:
        typer.echo(render_scorecard(card))

"""Weak-signal practice: `coach due` (what the review schedule says is due) and `coach drill`."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Optional

import typer

from coach.cli._app import _echo_json, app, make_coach


@app.command()
def due(as_json: bool = typer.Option(False, "--json", help="Print a JSON object: the due items and the next one.")) -> None:
    """List the weak signals due for review now, most overdue first: panel, signal, last level, due
    date and interval. A signal goes on the schedule when an answer scores it at level 1 or lower."""
    from coach.practice.drill import due_list, next_due
    from coach.render.practice import due_text

    coach = make_coach()
    entries = due_list(coach)
    upcoming = None if entries else next_due(coach)
    if as_json:
        _echo_json({"due": [e.model_dump() for e in entries], "next": upcoming.model_dump() if upcoming else None})
    else:
        typer.echo(due_text(entries, upcoming), nl=False)


@app.command()
def drill(
    n: int = typer.Option(3, "-n", "--questions", help="Questions in the drill: one per due signal, the most overdue first."),
    level: str = typer.Option("staff", "--level", "-l", help="senior, staff or principal."),
    script: Optional[Path] = typer.Option(None, "--script", "-s", help="YAML/JSON list of answers, instead of the terminal."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Also write each session's transcript and record here."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Reproducible questions; default COACH_SEED."),
) -> None:
    """Practise the signals due for review: one question aimed at each, no follow-ups, scored as in
    a mock interview, and the schedule updated from the scores. Answers come from the terminal (end
    each with a line holding only '.'; end of input stops, and each session stays resumable) or
    from --script."""
    from coach.cli.history import read_block
    from coach.cli.interview import load_script
    from coach.interviewer.questions import check_level
    from coach.practice.drill import Drill, due_list, next_due
    from coach.render.practice import due_text, nothing_due
    from coach.render.scorecard import to_text
    from coach.render.transcript import render

    check_level(level)
    answers = load_script(script) if script is not None else None
    coach = make_coach()
    entries = due_list(coach)
    if not [e for e in entries if e.drillable]:
        typer.echo(nothing_due(next_due(coach)))
        return
    run = Drill.start(coach, n, level, seed)
    typer.echo(f"Drill: {run.questions} question(s) on the signals most overdue.")
    if answers is None and sys.stdin.isatty():
        typer.echo("End each answer with a line holding only '.'; Ctrl-D stops (the sessions stay saved).")
    used = 0
    while not run.finished:
        turn = run.current_prompt
        typer.echo(f"\n[{run.current.panel_name} · {turn.follow_up.signal_name if turn.follow_up else _target(run, turn)}]"
                   f"\n{turn.text}")
        shown_at, elapsed = time.monotonic(), None
        if answers is not None:
            if used == len(answers):
                break
            text, used = answers[used], used + 1
        else:
            text = read_block(sys.stdin)
            if text is None:
                break
            if not text.strip():
                typer.echo("(an empty answer is not saved; type your answer)")
                continue
            elapsed = time.monotonic() - shown_at  # a typed answer is timed; a scripted one is not
        typer.echo("")
        typer.echo(to_text(run.answer(text, elapsed_s=elapsed).scorecard))
    ids = ", ".join(s.id for s in run.sessions)
    if run.finished:
        typer.echo(f"\nDrill finished (session(s) {ids}). Still due now:")
        typer.echo(due_text(due_list(coach), next_due(coach)), nl=False)
    else:
        typer.echo(f"\nDrill stopped before its end (session(s) {ids}); finish this panel's questions with "
                   f"`coach resume {run.current.id}`, or run `coach drill` again.")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for s in run.sessions:
            (out / f"{s.id}.md").write_text(render(s), encoding="utf-8")
            (out / f"{s.id}.json").write_text(json.dumps(s.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        typer.echo(f"wrote the transcript and record of {len(run.sessions)} session(s) to {out}")


def _target(drill, turn) -> str:
    signal = turn.question.provenance.signals[0] if turn.question and turn.question.provenance.signals else None
    return drill.current.panel.signal(signal).name if signal else "question"

"""History commands: history, show, resume, export, import, forget."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Optional, TextIO

import typer

from coach.cli._app import _echo_json, app, make_coach
from coach.errors import UserInputError
from coach.stories.store import STORY_PANELS

STORY_REQUEST = "?story"  # typed as a whole answer in `coach resume` or `coach loop`: suggest a story instead

SessionArg = typer.Argument(..., metavar="SESSION", help="A session id, as `coach history` lists them.")


@app.command("history")
def history_cmd(as_json: bool = typer.Option(False, "--json", help="Print one JSON object per session, in a list.")) -> None:
    """List saved sessions, newest first: date, panel, level, score, band and status."""
    from coach.history.listing import history
    from coach.render.history import history_text

    rows = history(make_coach())
    if as_json:
        _echo_json([r.model_dump(mode="json") | {"resumable": r.resumable} for r in rows])
    else:
        typer.echo(history_text(rows), nl=False)


@app.command()
def show(
    session_id: str = SessionArg,
    as_json: bool = typer.Option(False, "--json", help="The session as its export record, with the summary."),
    as_md: bool = typer.Option(False, "--md", help="The transcript as Markdown (as `coach mock` writes it)."),
) -> None:
    """Print a saved session: every prompt, answer and scorecard, and the summary."""
    from coach.history.records import session_document
    from coach.render.transcript import render, render_text

    if as_json and as_md:
        raise UserInputError("--json and --md are two different outputs.", "Pick one of them (or neither, for text).")
    coach = make_coach()
    if as_json:
        _echo_json(session_document(coach, session_id))
    else:
        session = coach.load_session(session_id)
        typer.echo(render(session) if as_md else render_text(session), nl=False)


def read_block(stream: TextIO) -> str | None:
    """One answer: the lines up to a line holding only '.', or up to the end of input. None at the
    end of input with nothing typed."""
    lines: list[str] = []
    while True:
        line = stream.readline()
        if not line:
            return "\n".join(lines) if any(part.strip() for part in lines) else None
        if line.strip() == ".":
            return "\n".join(lines)
        lines.append(line.rstrip("\n"))


def story_for(session, turn) -> str:
    """Which of the user's stories fits `turn`'s question, as text (asked with STORY_REQUEST)."""
    from coach.render.stories import suggestions_text
    from coach.stories.suggest import suggest

    if session.panel.slug not in STORY_PANELS:
        return f"(stories are suggested on the {', '.join(STORY_PANELS)} panels)"
    return suggestions_text(suggest(session.coach, session.panel.slug, turn.text, signals=turn.signals))


def heading(turn) -> str:
    """The line that shows a prompt in the terminal."""
    kind = f"Question {turn.question_number}" if turn.kind == "question" else f"Follow-up to question {turn.question_number}"
    return f"{kind}: {turn.text}"


@app.command()
def resume(
    session_id: str = SessionArg,
    script: Optional[Path] = typer.Option(None, "--script", "-s", help="YAML/JSON list of answers to continue with, instead of the terminal."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Also write transcript.md and session.json here."),
) -> None:
    """Continue an unfinished session. Answers come from the terminal (end each with a line holding
    only '.'; end of input stops, and the session stays resumable), or from --script."""
    from coach.cli.interview import load_script
    from coach.render.scorecard import to_text
    from coach.render.transcript import render

    answers = load_script(script) if script is not None else None
    session = make_coach().load_session(session_id)
    if session.finished:
        raise UserInputError(f"Session {session_id} is finished; there is nothing to resume.",
                             f"Read it with `coach show {session_id}`, or start a new one with `coach mock`.")
    answered = sum(1 for t in session.turns if t.answer is not None)
    typer.echo(f"Resuming session {session.id}: {session.panel_name} ({session.level}), {answered} answer(s) so far.")
    if answers is None and sys.stdin.isatty():
        typer.echo("End each answer with a line holding only '.'; Ctrl-D stops (the session stays saved)."
                   + (f" Send {STORY_REQUEST} to ask which of your stories fits the question." if session.panel.slug in STORY_PANELS else ""))
    used = 0
    while not session.finished:
        turn = session.current_prompt  # generates the next prompt if the process stopped before it
        typer.echo(f"\n{heading(turn)}")
        shown_at, elapsed = time.monotonic(), None
        if answers is not None:
            if used == len(answers):
                break
            text = answers[used]
            used += 1
        else:
            text = read_block(sys.stdin)
            if text is None:
                break
            if not text.strip():
                typer.echo("(an empty answer is not saved; type your answer)")
                continue
            if text.strip() == STORY_REQUEST:
                typer.echo(story_for(session, turn))
                continue
            elapsed = time.monotonic() - shown_at  # a typed answer is timed; a scripted one is not
        typer.echo("")
        typer.echo(to_text(session.answer(text, elapsed_s=elapsed).scorecard))
    s = session.summary()
    overall = s.overall if s.overall is not None else "not scored"
    if session.finished:
        typer.echo(f"\nsession {session.id} finished: overall {overall}")
    else:
        typer.echo(f"\nsession {session.id} stopped before its end (overall so far {overall}); "
                   f"continue with `coach resume {session.id}`.")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "transcript.md").write_text(render(session), encoding="utf-8")
        (out / "session.json").write_text(json.dumps(session.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        typer.echo(f"wrote {out / 'transcript.md'} and {out / 'session.json'}")


@app.command("export")
def export_cmd(out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the JSON here instead of to standard output.")) -> None:
    """Export every saved session, story and loop as one versioned JSON file (format staff-coach-history)."""
    from coach.history.exchange import export_history

    doc = export_history(make_coach().store)
    if out is None:
        _echo_json(doc)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    typer.echo(f"exported {len(doc['sessions'])} session(s), {len(doc['stories'])} story(ies) and {len(doc['loops'])} loop(s) to {out}")


@app.command("import")
def import_cmd(file: Path = typer.Argument(..., metavar="FILE", help="A file written by `coach export`.")) -> None:
    """Import sessions, stories and loops from an export file: all of them or, if any field is
    invalid, none. Those already saved are skipped."""
    from coach.history.exchange import import_history

    report = import_history(make_coach().store, file)
    typer.echo(f"imported {len(report.imported)} session(s)" + (f": {', '.join(report.imported)}" if report.imported else ""))
    if report.skipped:
        typer.echo(f"skipped {len(report.skipped)} already saved: {', '.join(report.skipped)}")
    if report.stories_imported or report.stories_skipped:
        typer.echo(f"imported {len(report.stories_imported)} story(ies)"
                   + (f", skipped {len(report.stories_skipped)} already saved" if report.stories_skipped else ""))
    if report.loops_imported or report.loops_skipped:
        typer.echo(f"imported {len(report.loops_imported)} loop(s)"
                   + (f", skipped {len(report.loops_skipped)} already saved" if report.loops_skipped else ""))


@app.command()
def forget(
    session_id: Optional[str] = typer.Argument(None, metavar="[SESSION]", help="The session to forget."),
    every: bool = typer.Option(False, "--all", help="Forget every saved session."),
) -> None:
    """Delete a session (or all) with every trace of its answers: turns, cached vectors and
    cached LLM calls; the files are rewritten so nothing of them stays on disk. --all also
    removes every story of the story bank (`coach stories rm --all` removes only those)."""
    from coach.history.forget import forget as forget_sessions, stores as session_stores
    from coach.stories.bank import remove as remove_stories

    if (session_id is None) == (not every):
        raise UserInputError("Name one session, or pass --all.", "See the saved sessions with `coach history`.")
    coach = make_coach()
    report = forget_sessions(coach, None if every else [session_id])
    typer.echo(f"forgot {len(report.sessions)} session(s)" + (f": {', '.join(report.sessions)}" if report.sessions else "")
               + f"; deleted {report.vectors} cached vector(s) and {report.llm_calls} cached LLM call(s).")
    if every:  # every login's story bank too
        gone = [remove_stories(coach.with_parts(store=store)) for store in session_stores(coach)]
        typer.echo(f"removed {sum(len(g.stories) for g in gone)} story(ies); deleted {sum(g.vectors for g in gone)} "
                   f"cached vector(s) and {sum(g.llm_calls for g in gone)} cached LLM call(s).")
    typer.echo("Transcripts written with --out are files of yours; delete them yourself if you want them gone.")

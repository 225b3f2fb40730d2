"""`coach loop`: a full onsite loop, one interview per panel, and its debrief packet."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Optional

import typer

from coach.cli._app import app, make_coach
from coach.errors import UserInputError


def _panels(value: str | None) -> list[str] | None:
    return [p.strip() for p in value.split(",") if p.strip()] if value else None


@app.command("loop")
def loop_cmd(
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Directory for debrief.md, debrief.html, debrief.json and each panel's transcript."),
    level: Optional[str] = typer.Option(None, "--level", "-l", help="senior, staff or principal (default: the script's, else staff)."),
    panels: Optional[str] = typer.Option(None, "--panels", "-p", help="Comma-separated panel slugs; default: all seven (or the script's), in onsite order."),
    script: Optional[Path] = typer.Option(None, "--script", "-s", help="YAML answers per panel (format in the README) instead of the terminal."),
    questions: int = typer.Option(1, "--questions", "-n", help="Main questions per panel."),
    followups: int = typer.Option(1, "--followups", "-f", help="Follow-ups at most per question."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Reproducible loop; default COACH_SEED."),
    resume: Optional[str] = typer.Option(None, "--resume", metavar="LOOP", help="Carry on with a saved loop where it stopped."),
    list_loops: bool = typer.Option(False, "--list", help="List saved loops and exit."),
) -> None:
    """Run a full onsite loop: one mock interview per panel, in order, then a debrief packet as a
    hiring committee reads it. Answers come from the terminal (end each with a line holding only
    '.'; end of input stops, and `--resume LOOP` carries on) or from --script."""
    from coach.loop import Loop, check_panels, load_candidate
    from coach.loop.script import check_covers

    coach = make_coach()
    if list_loops:
        _list(coach)
        return
    if out is None:
        raise UserInputError("--out DIR is missing.", "Name the directory for the debrief and transcripts, e.g. --out runs/loop-1.")
    # Everything is checked before the loop is created or a file is written.
    candidate = load_candidate(script) if script is not None else None
    if resume is not None:
        if panels or level:
            raise UserInputError("--panels and --level are fixed when the loop starts.", f"Resume with `coach loop --resume {resume} --out DIR`.")
        loop = Loop.load(coach, resume)
        if candidate is not None:
            check_covers(candidate, loop.panels)
    else:
        chosen = check_panels(_panels(panels) or (list(candidate.panels) if candidate else None))
        if candidate is not None:
            check_covers(candidate, chosen)
        given = {slug: p.ask for slug, p in candidate.panels.items()} if candidate else None
        loop = Loop.start(coach, level or (candidate.level if candidate else None) or "staff", chosen,
                          questions=questions, followups=followups, seed=seed, given=given)
    typer.echo(f"loop {loop.id}: {len(loop.panels)} panel(s), {loop.level} level: {', '.join(loop.panels)}")
    if candidate is not None:
        from coach.loop import play

        notes = play(loop, candidate)
    else:
        notes = _interactive(loop)
    for note in notes:
        typer.echo(f"note: {note}")
    _write(loop, out)


def _interactive(loop) -> list[str]:
    from coach.cli.history import STORY_REQUEST, heading, read_block, story_for
    from coach.render.scorecard import markdown_headline
    from coach.stories.store import STORY_PANELS

    if sys.stdin.isatty():
        typer.echo("End each answer with a line holding only '.'; Ctrl-D stops (the loop stays saved)."
                   + (f" Send {STORY_REQUEST} to ask which of your stories fits the question."
                      if set(loop.panels) & set(STORY_PANELS) else ""))
    shown = None
    while not loop.finished:
        session = loop.current
        if session.id != shown:
            shown = session.id
            typer.echo(f"\n=== Panel {loop.position + 1} of {len(loop.panels)}: {session.panel_name} ===")
        turn = session.current_prompt
        typer.echo(f"\n{heading(turn)}")
        shown_at = time.monotonic()
        text = read_block(sys.stdin)
        if text is None:
            return [f"stopped at {session.panel.slug}; continue with `coach loop --resume {loop.id} --out DIR`."]
        if not text.strip():
            typer.echo("(an empty answer is not saved; type your answer)")
            continue
        if text.strip() == STORY_REQUEST:  # a request, not an answer: the same question is asked again
            typer.echo(story_for(session, turn))
            continue
        card = loop.answer(text, elapsed_s=time.monotonic() - shown_at).scorecard
        typer.echo(markdown_headline(card).replace("**", ""))
    return []


def _write(loop, out: Path) -> None:
    from coach.render.debrief import to_html, to_markdown
    from coach.render.transcript import render

    debrief = loop.debrief()
    out.mkdir(parents=True, exist_ok=True)
    (out / "debrief.md").write_text(to_markdown(debrief), encoding="utf-8")
    (out / "debrief.html").write_text(to_html(debrief), encoding="utf-8")
    (out / "debrief.json").write_text(json.dumps(debrief.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    written = ["debrief.md", "debrief.html", "debrief.json"]
    for n, (slug, session) in enumerate(loop.started(), 1):
        name = f"transcript-{n}-{slug}.md"
        (out / name).write_text(render(session), encoding="utf-8")
        written.append(name)
    rec = debrief.recommendation
    if loop.finished:
        mean = f"mean panel score {rec.mean_score:g}" if rec.mean_score is not None else "no panel scored"
        typer.echo(f"\nloop {loop.id} finished: {rec.decision or 'no decision (' + '; '.join(rec.reasons) + ')'} ({mean})")
    else:
        typer.echo(f"\nloop {loop.id} stopped before its end; continue with `coach loop --resume {loop.id} --out {out}`.")
    for p in debrief.panels:
        score = p.overall if p.overall is not None else "—"
        state = p.decision or ("not scored" if p.status == "finished" else p.status)
        typer.echo(f"  {p.name:<30} {state:<12} {score}")
    typer.echo(f"wrote {', '.join(written)} to {out}")


def _list(coach) -> None:
    from coach.loop.store import LoopStore
    import datetime as dt

    rows = LoopStore(coach.store).list()
    if not rows:
        typer.echo("No saved loops yet. Start one with `coach loop --out DIR`.")
        return
    for r in rows:
        date = dt.datetime.fromtimestamp(r.created_at).strftime("%Y-%m-%d %H:%M")
        typer.echo(f"{date}  {r.id}  {r.level:<9} {len(r.sessions)}/{len(r.panels)} panel(s) started  {r.status}")

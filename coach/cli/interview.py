"""`coach ask` (one grounded question) and `coach mock` (a scripted mock interview)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
import yaml

from coach.cli._app import _echo_json, app, make_coach
from coach.errors import UserInputError, yaml_problem
from coach.loop.script import FAST_LOADER
from coach.scoring.text import check_answer, check_question
from coach.text_input import blank, join_surrogates


@app.command()
def ask(
    panel: str = typer.Option(..., "--panel", "-p", help="Panel slug, e.g. system-design."),
    level: str = typer.Option("staff", "--level", "-l", help="senior, staff or principal."),
    focus: Optional[str] = typer.Option(None, "--focus", help="What to practise: a topic, or a pasted job description (up to 20,000 characters)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Reproducible choice; default COACH_SEED."),
    signal: Optional[str] = typer.Option(None, "--signal", help="The signal id the question should probe (default: chosen by the seed)."),
    as_json: bool = typer.Option(False, "--json", help="Print the question with its provenance as JSON."),
) -> None:
    """Ask one grounded mock-interview question, with where it came from."""
    q = make_coach().ask(panel, level, focus, seed, target=signal)
    if as_json:
        _echo_json(q.model_dump(mode="json"))
        return
    pv = q.provenance
    typer.echo(q.text)
    typer.echo("")
    typer.echo(f"targets:   {', '.join(pv.signals)}")
    typer.echo(f"asks:      {'; '.join(q.asks) or 'none'}")
    typer.echo(f"item:      {pv.item} ({', '.join(f'{slot}={path}' for slot, path in pv.elements.items())})")
    typer.echo(f"grounding: {', '.join(pv.grounding) or 'none'}")
    if pv.reviewed is not None:
        typer.echo(f"reviewed:  {'accepted by item review' if pv.reviewed else 'not yet reviewed: the reviewed questions of this signal and level were used up'}")
    if q.composition == "rewrite":
        typer.echo(f"shown:     the rewrite by {pv.backend} / {pv.model} (prompt {pv.prompt_id}@{pv.prompt_hash}); draft: {q.draft}")
    else:
        typer.echo(f"shown:     the composed draft ({q.rewrite.reason if q.rewrite else 'no rewrite'}) · seed {pv.seed}")


def _parse(text: str) -> object:
    """JSON first when it looks like JSON (it joins escaped surrogate pairs, as `json.dump` writes
    emoji; libyaml refuses them), else YAML, which JSON also is."""
    if text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass  # YAML flow style, or broken JSON: the YAML parser names the line
    return yaml.load(text, Loader=FAST_LOADER)


def load_script(path: Path, key: str = "answers") -> list[str]:
    """A script is YAML or JSON: a list of answers, or a mapping with an `answers` list (and the
    questions file of `--questions` likewise a list, or a mapping with a `questions` list). Every
    entry is checked before anything starts, so a bad one never leaves a half-run session."""
    try:
        data = _parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise UserInputError(f"Script file {path} does not exist.", "Pass a YAML or JSON file with a list of answers.") from err
    except (OSError, UnicodeDecodeError) as err:
        raise UserInputError(f"Script file {path} cannot be read: {err}", "Save it as UTF-8 YAML or JSON.") from err
    except yaml.YAMLError as err:
        raise UserInputError(f"Script file {path} is not valid YAML: {yaml_problem(err)}.",
                             "Fix the YAML there; quote answers that contain ': ' or start with a symbol.") from err
    except RecursionError:
        raise UserInputError(f"Script file {path} nests lists or mappings too deeply to read.",
                             f"A script is a flat list of {key}.") from None
    if isinstance(data, dict):
        data = data.get(key)
    if not isinstance(data, list) or not data or not all(isinstance(a, str) and not blank(a) for a in data):
        raise UserInputError(f"File {path} must hold a non-empty list of {key} (strings).",
                             f'For example:\n{key}:\n  - "The first ..."\n  - "The second ..."')
    data = [join_surrogates(a) for a in data]
    check = check_answer if key == "answers" else check_question
    for n, text in enumerate(data, 1):
        try:
            check(text)
        except UserInputError as err:
            raise UserInputError(f"Script file {path}, {key}[{n}]: {err.message}", err.hint) from None
    return data


@app.command()
def mock(
    panel: str = typer.Option(..., "--panel", "-p", help="Panel slug, e.g. behavioral."),
    script: Path = typer.Option(..., "--script", "-s", help="YAML/JSON list of answers, used in order for each prompt."),
    out: Path = typer.Option(..., "--out", "-o", help="Directory for transcript.md and session.json."),
    level: str = typer.Option("staff", "--level", "-l", help="senior, staff or principal."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Reproducible session; default COACH_SEED."),
    questions: int = typer.Option(3, "--questions", "-n", help="Main questions in the session."),
    followups: int = typer.Option(1, "--followups", "-f", help="Follow-ups at most per question."),
    focus: Optional[str] = typer.Option(None, "--focus", help="What to practise: a topic, or a pasted job description."),
    questions_file: Optional[Path] = typer.Option(None, "--ask", help="YAML/JSON list of questions to ask as written, in order, instead of composed ones."),
) -> None:
    """Run a scripted mock interview and write its transcript and full record."""
    from coach.render.transcript import render

    answers = load_script(script)
    given = load_script(questions_file, "questions") if questions_file else None
    session = make_coach().start_session(panel, level, questions=questions, followups=followups, seed=seed, focus=focus,
                                         given_questions=given)
    used = 0
    while not session.finished and used < len(answers):
        session.current_prompt  # noqa: B018  (generates the next prompt if an earlier attempt failed)
        session.answer(answers[used])
        used += 1
    notes = []
    if not session.finished:
        notes.append(f"the script ran out after {used} answer(s); the session stopped before its end.")
    elif used < len(answers):
        notes.append(f"the session ended after {used} of the script's {len(answers)} answers.")
    out.mkdir(parents=True, exist_ok=True)
    (out / "transcript.md").write_text(render(session, notes), encoding="utf-8")
    record = session.to_dict() | {"script": str(script), "answers_used": used, "notes": notes}
    (out / "session.json").write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")
    s = session.summary()
    typer.echo(f"session {session.id}: {s.questions_asked} question(s), {s.follow_ups_asked} follow-up(s), "
               f"overall {s.overall if s.overall is not None else 'not scored'}")
    for sig in s.signals:
        typer.echo(f"  {sig.status:<14} {sig.name}")
    for note in notes:
        typer.echo(f"note: {note}")
    typer.echo(f"wrote {out / 'transcript.md'} and {out / 'session.json'}")

"""Bad input through every CLI command that takes text, property-based: hypothesis draws the text
and every input of the issue's list is an explicit example (see `bad_input_cases`).

Each command either refuses the text, naming the file or the field and (for oversized text) the
limit, with nothing written; or accepts it and stores exactly what it accepted. Fast tier: the
toy embedder, the real SQLite store and Chroma index.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from bad_input_cases import (QUESTION, RELAXED, SENTENCE, TEXT, cli_env, listed, run_cli,  # noqa: F401
                               script_file)
from history_helpers import run_session, settings_for
from hypothesis import given, settings

from coach.root import Coach
from coach.testing import FakeBackend, FakeScorer

FEW = settings(RELAXED, max_examples=4)  # each example runs several commands; the listed ones run besides


def _case(tmp_path_factory):
    return tmp_path_factory.mktemp("case")


@FEW
@given(TEXT)
@listed
def test_commands_that_take_text(cli_env, tmp_path_factory, text):
    where = _case(tmp_path_factory)
    answer = where / "answer.txt"
    answer.write_text(text, encoding="utf-8", errors="surrogatepass")
    for args in (["score", "-p", "system-design", "-q", QUESTION, "-f", str(answer), "--json"],
                 ["score", "-p", "system-design", "-q", text[:200_000], "-f", str(answer)],
                 ["ask", "-p", "coding", "--focus", text[:200_000], "--seed", "1"],
                 ["retrieve", text[:200_000], "-k", "3"]):
        result, err = run_cli(args, cli_env)
        if err is not None:
            assert re.search(r"the limit is|is empty|control character|broken character|not valid UTF-8", str(err)), (args[:2], str(err))
    # the same text as a script's answers, and as the questions to ask
    script = script_file(where / "script.yaml", [text, SENTENCE])
    for n, args in enumerate((["mock", "-p", "behavioral", "-s", script, "-n", "1", "-f", "1"],
                              ["mock", "-p", "behavioral", "-s", script_file(where / "ok.yaml", [SENTENCE]), "--ask",
                               script_file(where / "q.yaml", [text], "questions"), "-n", "1", "-f", "0"],
                              ["loop", "--panels", "coding", "-s", _loop_script(where, text), "-f", "0"])):
        out = where / f"out{n}"
        result, err = run_cli([*args, "-o", str(out)], cli_env)
        if err is not None:
            assert "Script file" in str(err) or "File " in str(err) or "question" in str(err), str(err)
            assert not out.exists() or args[0] != "mock"  # refused before anything was written


def _loop_script(where, text: str) -> str:
    import yaml

    path = where / "loop.yaml"
    path.write_text(yaml.safe_dump({"panels": {"coding": [text, SENTENCE]}}, allow_unicode=True), encoding="utf-8")
    return str(path)


# --- the story bank ------------------------------------------------------------------------------


def _stories(env: dict) -> list[tuple]:
    """Every stored story's row, read straight from the file (what `coach stories list` would show)."""
    with closing(sqlite3.connect(Path(env["COACH_DATA_DIR"]) / "sessions.sqlite3")) as db:
        return db.execute("SELECT id, title, text, tags, updated_at FROM stories ORDER BY id").fetchall()


def _story_refused(err, text: str, source: str) -> None:
    message = str(err)
    assert source in message and err.hint, message
    if len(text) > 20_000:
        assert "the limit is" in message, message


@settings(RELAXED, max_examples=4)
@given(TEXT)
@listed
def test_stories_add_and_edit_take_any_text_from_a_file_or_standard_input(cli_env, tmp_path_factory, text):
    where = _case(tmp_path_factory)
    good = where / "good.md"
    good.write_text(f"A story to edit\n\n{SENTENCE}", encoding="utf-8")
    result, err = run_cli(["stories", "add", str(good), "--json"], cli_env)
    assert err is None, result.output
    edited = json.loads(result.output)
    story = where / "story.md"
    story.write_text(f"Title {text[:40]}\n\n{text}", encoding="utf-8", errors="surrogatepass")
    bare = where / "bare.txt"  # the text alone: its first line is the title
    bare.write_text(text, encoding="utf-8", errors="surrogatepass")
    runs = [(["stories", "add", str(story)], None, f"Story file {story}"),
            (["stories", "add", str(bare)], None, f"Story file {bare}"),
            (["stories", "add", "-"], text, "Standard input"),
            (["stories", "add", "-"], f"title: {json.dumps(text[:200])}\ntext: {json.dumps(text)}\n", "Standard input"),
            (["stories", "edit", edited["id"], str(story)], None, f"Story file {story}"),
            (["stories", "add", str(good), "--tag", text[:500]], None, "")]
    for args, stdin, source in runs:
        before = _stories(cli_env)
        piped = None if stdin is None else stdin.encode("utf-8", "surrogatepass")  # bytes, as a pipe gives them
        result, err = run_cli(args, cli_env, stdin=piped)
        after = _stories(cli_env)
        if err is not None:
            _story_refused(err, text, source)
            assert after == before, args  # nothing written
            continue
        assert result.exit_code == 0, (args, result.output)
        if args[1] == "add":
            assert len(after) == len(before) + 1


# --- the drill -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def drill_env(fake_settings, tmp_path_factory):
    """A data dir with signals due for review: one session answered weakly (levels set by a scorer
    double, as the real scorer abstains on the toy embedder). The drills themselves run as the
    user runs them."""
    data = tmp_path_factory.mktemp("drill-data")
    shutil.copytree(fake_settings.index_dir, data / "index")
    env = {"COACH_DATA_DIR": str(data), "COACH_EMBEDDING_MODEL": fake_settings.embedding_model}
    weak = Coach(settings_for(data), backend=FakeBackend([])).with_parts(evidence_scorer=FakeScorer(lambda answer: 0))
    run_session(weak, [SENTENCE, SENTENCE], questions=2, followups=0)
    return env


@FEW
@given(TEXT)
@listed
def test_a_drill_script_takes_any_text_or_names_the_file_and_the_limit(drill_env, tmp_path_factory, text):
    where = _case(tmp_path_factory)
    # Each example on its own copy: a drill reschedules what it drilled, and after a few examples
    # nothing would be due any more.
    env = {**drill_env, "COACH_DATA_DIR": str(where / "data")}
    shutil.copytree(drill_env["COACH_DATA_DIR"], env["COACH_DATA_DIR"])
    coach = Coach.from_env(data_dir=env["COACH_DATA_DIR"], embedding_model=env["COACH_EMBEDDING_MODEL"])
    before = {s["id"] for s in coach.list_sessions()}
    script = script_file(where / "drill.yaml", [text, SENTENCE])
    result, err = run_cli(["drill", "-n", "1", "--script", script, "--out", str(where / "out")], env)
    new = [s["id"] for s in coach.list_sessions() if s["id"] not in before]
    if err is not None:
        # Half a surrogate pair cannot even be read back as YAML: the message names the line instead.
        named = "answers[1]" in str(err) or "list of answers" in str(err) or ("not valid YAML" in str(err) and "line " in str(err))
        assert script in str(err) and named and err.hint, str(err)
        if len(text) > 20_000:
            assert "the limit is 20,000" in str(err), str(err)
        assert new == [] and not (where / "out").exists()  # refused before a session started
        return
    assert result.exit_code == 0 and "Drill" in result.output, result.output
    (session_id,) = new
    assert coach.load_session(session_id).turns[0].answer == text  # saved as written

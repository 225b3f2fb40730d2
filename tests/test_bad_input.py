"""Bad input through every entry point: the scorer, the question writer, follow-ups, the session,
the CLI commands that take text or files, and the web handlers.

Property-based (hypothesis) on the fast tier: the fake embedder, a real Chroma index and SQLite
store. Each listed input is an explicit example: empty and whitespace-only text, 1 MB, 10,000
lines, control characters, right-to-left text and emoji, Markdown, HTML and script tags, a pasted
copy of the question, one sentence repeated 500 times (and invalid UTF-8 where a file is read).
The property everywhere: nothing crashes (only a CoachError, or gr.Error in the web app, may be
raised), a refusal names the limit or the reason, and what is accepted is rendered as text.
"""

from __future__ import annotations

import re
import shutil

import pytest
from bad_input_cases import (QUESTION, RELAXED, SENTENCE, TEXT, assert_inert_markdown, cli_env, listed,  # noqa: F401
                               refused_well, run_cli, script_file)
from hypothesis import given, settings

from coach.errors import UserInputError
from coach.render.markdown import escape, scorecard_markdown
from coach.render.scorecard import to_html, to_text
from coach.root import Coach
from coach.session.store import SessionStore


@pytest.fixture
def coach(fake_coach, tmp_path):
    return fake_coach.with_parts(store=SessionStore(tmp_path / "sessions.sqlite3"))


# --- the stages ----------------------------------------------------------------------------------


@RELAXED
@given(TEXT)
@listed
def test_the_scorer_takes_any_answer(coach, text):
    try:
        card = coach.score("system-design", text, QUESTION)
    except UserInputError as err:
        return refused_well(err, text)
    assert card.overall is None or 0 <= card.overall <= 100
    for signal in card.signals:
        assert all(q in text for q in signal.evidence)  # quotes are verbatim
    assert_inert_markdown(scorecard_markdown(card))
    assert "<script" not in to_html(card) and "<img" not in to_html(card)
    to_text(card)


@RELAXED
@given(TEXT)
@listed
def test_the_scorer_takes_any_question(coach, text):
    try:
        coach.score("coding", SENTENCE * 3, text)
    except UserInputError as err:
        refused_well(err, text)


@RELAXED
@given(TEXT)
@listed
def test_the_question_writer_takes_any_focus(coach, text):
    try:
        q = coach.ask("system-design", focus=text, seed=3)
    except UserInputError as err:
        return refused_well(err, text)
    assert q.text.endswith("?") and "<" not in q.text and "\x00" not in q.text


@RELAXED
@given(TEXT)
@listed
def test_follow_ups_take_any_answer(coach, text):
    try:
        fu = coach.follow_up("system-design", QUESTION, text)
    except UserInputError as err:
        return refused_well(err, text)
    assert fu.text.strip() and not re.search(r"[<>`\[\]{}\x00-\x1f]", fu.text), fu.text


@RELAXED
@given(TEXT)
@listed
def test_a_session_takes_any_answer_and_stores_exactly_what_it_accepted(coach, text):
    session = coach.start_session("behavioral", questions=1, followups=1, seed=5)
    try:
        turn = session.answer(text)
    except UserInputError as err:
        refused_well(err, text)
        assert coach.load_session(session.id).turns[0].answer is None  # nothing half-written
        return
    assert coach.load_session(session.id).turns[turn.index].answer == text


def test_escaped_text_stays_text_in_markdown():
    @settings(max_examples=200, deadline=None)
    @given(TEXT)
    @listed
    def check(text):
        assert_inert_markdown(escape(text))
        assert "<" not in escape(text) and ">" not in escape(text)

    check()


# --- the command line ----------------------------------------------------------------------------


def _bad_files(tmp_path) -> dict[str, str]:
    files = {}
    for name, body in {"invalid UTF-8": b"answers:\n  - We chose \xff\xfe Kafka \xc3(\n", "binary": bytes(range(256)) * 4,
                       "YAML syntax": b"answers:\n  - 'open\n  - x: [\n", "nested 5,000 deep": b"[" * 5000 + b"]" * 5000,
                       "JSON escapes of an emoji": b'{"answers": ["We shipped it \\ud83d\\ude80 on time, in two weeks."]}',
                       "a lone surrogate": b'{"answers": ["We shipped it \\ud83d on time."]}', "empty file": b""}.items():
        path = tmp_path / f"{re.sub(r'[^a-z0-9]+', '-', name)}.yaml"
        path.write_bytes(body)
        files[name] = str(path)
    return files


def test_cli_commands_that_read_files_name_the_file_and_the_reason(cli_env, tmp_path):
    files = _bad_files(tmp_path)
    coach = Coach.from_env(data_dir=cli_env["COACH_DATA_DIR"], embedding_model=cli_env["COACH_EMBEDDING_MODEL"])
    session = coach.start_session("behavioral", questions=1, followups=0, seed=2)
    for name, path in files.items():
        for args in (["score", "-p", "coding", "-f", path], ["mock", "-p", "behavioral", "-s", path, "-o", str(tmp_path / "o")],
                     ["mock", "-p", "coding", "-s", files["JSON escapes of an emoji"], "--ask", path, "-o", str(tmp_path / "o2")],
                     ["resume", session.id, "-s", path], ["loop", "--panels", "coding", "-s", path, "-o", str(tmp_path / "l")],
                     ["import", path]):
            result, err = run_cli(args, cli_env)
            if args[0] == "score" and name not in ("invalid UTF-8", "binary"):
                continue  # any UTF-8 text is an answer
            if name == "JSON escapes of an emoji" and args[0] in ("mock", "resume"):
                continue  # a good script: the emoji is one character again
            assert err is not None, (name, args, result.output)
            assert path in str(err), (name, args, str(err))
            if name == "YAML syntax" and args[0] in ("mock", "resume", "loop"):
                assert "line " in str(err), str(err)
    # the emoji survives a script and the store: one character, saved as written
    run_cli(["mock", "-p", "behavioral", "-s", files["JSON escapes of an emoji"], "-o", str(tmp_path / "emoji"), "-n", "1",
             "-f", "0"], cli_env)
    assert "🚀" in (tmp_path / "emoji" / "transcript.md").read_text(encoding="utf-8")


def test_a_bad_answer_in_a_script_is_named_before_the_session_starts(cli_env, tmp_path):
    script = script_file(tmp_path / "s.yaml", [SENTENCE, "x" * 20_001])
    before = len(Coach.from_env(data_dir=cli_env["COACH_DATA_DIR"]).store.list())
    _, err = run_cli(["mock", "-p", "coding", "-s", script, "-o", str(tmp_path / "o")], cli_env)
    assert "answers[2]" in str(err) and "the limit is 20,000" in str(err) and script in str(err)
    assert len(Coach.from_env(data_dir=cli_env["COACH_DATA_DIR"]).store.list()) == before  # no session was started


def test_a_lone_surrogate_in_an_import_is_named_and_nothing_is_imported(cli_env, tmp_path, fake_coach):
    import json

    from coach.history.exchange import export_history

    store = SessionStore(tmp_path / "src.sqlite3")
    session = fake_coach.with_parts(store=store).start_session("coding", questions=1, followups=0, seed=4)
    session.answer(SENTENCE)
    text = json.dumps(export_history(store), ensure_ascii=True).replace("sharded", "\\udc00sharded", 1)
    path = tmp_path / "history.json"
    path.write_text(text, encoding="utf-8")
    _, err = run_cli(["import", str(path)], cli_env)
    assert "sessions[0].turns[0].answer" in str(err) and "surrogate" in str(err) and "nothing was imported" in str(err)


# --- the web handlers ----------------------------------------------------------------------------


def _drain(gen):
    out = None
    for out in gen:
        pass
    return out


@pytest.fixture
def web(coach):
    pytest.importorskip("gradio")
    from coach.web import common

    common.use(coach)
    yield coach
    common.use(None)


@RELAXED
@given(TEXT)
@listed
def test_web_handlers_take_any_text(web, text):
    import gradio as gr

    from coach.web import interview, loop, score, search

    calls = [
        lambda: [score.score("system-design", QUESTION, text)],
        lambda: [score.score("system-design", text, SENTENCE)],
        lambda: [search.search(text, "any", 3)],
        lambda: list(_drain(interview.start("coding", "staff", 1, 1, 3, text))[:4]),
        lambda: list(_drain(interview.answer(_drain(interview.start("coding", "staff", 1, 1, 3, ""))[0], text, None))[:4]),
        lambda: list(loop.answer(loop.start("staff", ["coding"], 1, 0, 3)[0], text)[:2]),
    ]
    for call in calls:
        try:
            shown = call()
        except gr.Error as err:
            assert err.message.strip()
            if len(text) > 20_000:
                assert "the limit is" in err.message, err.message
            continue
        for part in shown:
            if isinstance(part, str):
                assert_inert_markdown(part)
            elif isinstance(part, list):  # chat messages
                for message in part:
                    assert_inert_markdown(message["content"])


# --- settings ------------------------------------------------------------------------------------


def test_a_bad_setting_names_the_variable_the_value_and_the_reason(monkeypatch, cli_env):
    monkeypatch.setenv("COACH_LLM_THREADS", "two")
    monkeypatch.setenv("COACH_SCORER", "vibes")
    with pytest.raises(UserInputError) as err:
        Coach.from_env()
    message = str(err.value)
    assert "COACH_LLM_THREADS='two'" in message and "integer" in message
    assert "COACH_SCORER='vibes'" in message and "'evidence', 'judge' or 'combined'" in message
    _, err = run_cli(["config"], cli_env | {"COACH_CHUNK_SIZE": "10"})
    assert "COACH_CHUNK_SIZE='10'" in str(err) and "greater than or equal to 200" in str(err)


# --- malformed files name the file, the line and the reason -------------------------------------


@pytest.mark.parametrize("name", ["panels/coding.yaml", "items/coding.yaml", "scoring.yaml", "topic_reference.yaml", "loop_themes.yaml"])
def test_a_yaml_syntax_error_in_the_corpus_names_the_file_and_the_line(corpus_copy, name):
    from coach.corpus.loader import load_corpus
    from coach.errors import CorpusError
    from coach.loop.themes import load_themes
    from coach.scoring.settings import load_scoring_settings

    path = corpus_copy / name
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))
    lines.insert(at + 1, "broken: [unclosed, list")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        if name in ("scoring.yaml", "topic_reference.yaml"):
            load_scoring_settings(corpus_copy)
        elif name == "loop_themes.yaml":
            load_themes(load_corpus(corpus_copy))
        else:
            load_corpus(corpus_copy)
    message = str(err.value)
    found = re.search(r"line (\d+), column \d+: ", message)
    assert name.split("/")[-1] in message and found and int(found.group(1)) >= at + 2, message


def test_a_yaml_syntax_error_in_a_prompt_names_the_file_and_its_line(tmp_path):
    from coach.config import REPO_ROOT
    from coach.errors import PromptError
    from coach.llm.prompts import load_prompt

    shutil.copytree(REPO_ROOT / "prompts", tmp_path / "prompts")
    path = tmp_path / "prompts" / "rewrite.chat.md"
    text = path.read_text(encoding="utf-8").replace("variables: [", "variables: [[", 1)
    path.write_text(text, encoding="utf-8")
    line = text[: text.index("variables: [[")].count("\n") + 1
    with pytest.raises(PromptError) as err:
        load_prompt("rewrite", "chat", tmp_path / "prompts")
    found = re.search(r"line (\d+), column \d+: ", str(err.value))
    assert "rewrite.chat.md" in str(err.value) and found and int(found.group(1)) >= line, str(err.value)


@pytest.mark.parametrize("line, wrong, field", [
    ("  min_words: 20", "  min_words: twenty", "abstain.min_words"),
    ("  sim_floor: 0.18", "  sim_floor: [0.18]", "evidence.sim_floor"),
    ("  level_thresholds: [0.25, 0.7, 1.3, 2.0]", "  level_thresholds: high", "evidence.level_thresholds"),
    ("  hire: 35", "  hire: {score: 35}", "bands.hire"),
], ids=["word for a number", "list for a number", "word for a list", "mapping for a number"])
def test_a_wrong_type_in_the_scorer_settings_names_the_file_and_the_field(corpus_copy, line, wrong, field):
    from coach.errors import CorpusError
    from coach.scoring.settings import load_scoring_settings

    path = corpus_copy / "scoring.yaml"
    text = path.read_text(encoding="utf-8")
    at = re.compile(f"^{re.escape(line)}(?=[ \\n])", re.MULTILINE)
    assert at.search(text), line
    path.write_text(at.sub(wrong, text, count=1), encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        load_scoring_settings(corpus_copy)
    message = str(err.value)
    assert str(path) in message and f"field '{field}'" in message, message

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
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from coach.errors import CoachError, UserInputError
from coach.render.markdown import escape, scorecard_markdown
from coach.render.scorecard import to_html, to_text
from coach.root import Coach
from coach.session.store import SessionStore

QUESTION = "Design a rate limiter for a public API that serves 50,000 requests per second. Where do you start?"
SENTENCE = "We sharded the orders table by customer id to cut p99 latency from 900 ms to 120 ms. "
LISTED = {
    "empty": "",
    "whitespace": " \n\t \u00a0\u200b ",
    "1 MB": "x" * 1_000_000,
    "10,000 lines": "we measured it\n" * 10_000,
    "control characters": "We chose Kafka\x00\x07 for ordering \x1b[31mred\x1b[0m.",
    "right-to-left and emoji": "\u202eWe chose Kafka \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 🚀👩\u200d💻 for ordering guarantees.",
    "markdown": "# Plan\n\n**We** chose _Kafka_ | a | b |\n|---|---|\n- [link](javascript:alert(1))\n```python\nprint(1)\n```\n$x^2$",
    "html": "<b>We</b> chose Kafka <script>alert(1)</script> <img src=x onerror=alert(1)> because ordering mattered.",
    "pasted question": QUESTION,
    "repeated sentence": SENTENCE * 500,
}
MB_ANSWER = LISTED["1 MB"]
RELAXED = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow, HealthCheck.data_too_large])
# Text hypothesis draws: any characters (surrogates and controls included), and mixtures of real
# sentences with markup, role tags and right-to-left runs.
PIECES = st.sampled_from(["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "**bold**", "[SYSTEM]", "\u202e",
                          "🚀", "\x00", "\ud83d", "```", "|", "\n\n", "&amp;", "$$", SENTENCE, QUESTION])
TEXT = st.one_of(st.text(max_size=300), st.lists(st.one_of(PIECES, st.text(max_size=40)), max_size=12).map("".join))


def listed(f):
    """Every input of the issue's list as an explicit example of the hypothesis test `f`."""
    for text in LISTED.values():
        f = example(text)(f)
    return f


def refused_well(err: CoachError, text: str) -> None:
    """A refusal says what to do and, for oversized text, names the limit."""
    message = str(err)
    assert err.hint and message.strip()
    if len(text) > 20_000:
        assert "the limit is" in message, message


# Elements the inputs above would create if they were rendered rather than shown: typed HTML, a
# Markdown link, image or heading.
TYPED = {"script", "img", "iframe", "a", "svg", "style", "object", "embed", "b", "input", "form", "link", "meta", "h1", "h2"}
_TAG = re.compile(r"<\s*/?\s*([a-zA-Z][\w-]*)([^>]*)>")


def assert_inert_markdown(md: str) -> None:
    """Rendered as CommonMark with raw HTML allowed (the worst case), `md` holds no element a user
    typed and no handler attribute: what was typed shows as text."""
    html = MarkdownIt("commonmark", {"html": True}).render(md)
    for tag, attrs in _TAG.findall(html):
        assert tag.lower() not in TYPED, (tag, html[:500])
        assert not re.search(r"\bon\w+\s*=|javascript:", attrs, re.IGNORECASE), html[:500]


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


@pytest.fixture(scope="module")
def cli_env(fake_settings, tmp_path_factory):
    """A private data dir holding a copy of the fake index, for CLI runs that write sessions."""
    data = tmp_path_factory.mktemp("cli-data")
    shutil.copytree(fake_settings.index_dir, data / "index")
    return {"COACH_DATA_DIR": str(data), "COACH_EMBEDDING_MODEL": fake_settings.embedding_model}


def run_cli(args: list[str], env: dict, stdin: str | None = None):
    """Run a command; a non-CoachError exception fails the test with its traceback."""
    from typer.testing import CliRunner

    from coach.cli._app import app

    result = CliRunner().invoke(app, args, input=stdin, env=env)
    err = result.exception
    if err is not None and not isinstance(err, (CoachError, SystemExit)):
        raise err
    return result, err if isinstance(err, CoachError) else None


def _script(path, answers: list[str], key: str = "answers") -> str:
    import yaml

    path.write_text(yaml.safe_dump({key: answers}, allow_unicode=True), encoding="utf-8")
    return str(path)


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


@pytest.mark.parametrize("name", list(LISTED))
def test_cli_commands_that_take_text(cli_env, tmp_path, name):
    text = LISTED[name]
    answer = tmp_path / "answer.txt"
    answer.write_text(text, encoding="utf-8", errors="surrogatepass")
    for args in (["score", "-p", "system-design", "-q", QUESTION, "-f", str(answer), "--json"],
                 ["score", "-p", "system-design", "-q", text[:200_000], "-f", str(answer)],
                 ["ask", "-p", "coding", "--focus", text[:200_000], "--seed", "1"],
                 ["retrieve", text[:200_000], "-k", "3"]):
        result, err = run_cli(args, cli_env)
        if err is not None:
            assert re.search(r"the limit is|is empty|control character", str(err)), (args[:2], str(err))
    # the same text as a script's answers, and as the questions to ask
    script = _script(tmp_path / "script.yaml", [text, SENTENCE])
    out = tmp_path / "out"
    for args in (["mock", "-p", "behavioral", "-s", script, "-o", str(out), "-n", "1", "-f", "1"],
                 ["mock", "-p", "behavioral", "-s", _script(tmp_path / "ok.yaml", [SENTENCE]), "--ask",
                  _script(tmp_path / "q.yaml", [text], "questions"), "-o", str(out), "-n", "1", "-f", "0"],
                 ["loop", "--panels", "coding", "-s", _loop_script(tmp_path, text), "-o", str(out), "-f", "0"]):
        result, err = run_cli(args, cli_env)
        if err is not None:
            assert "Script file" in str(err) or "File " in str(err) or "question" in str(err), str(err)
            assert not out.exists() or args[0] != "mock"  # refused before anything was written


def _loop_script(tmp_path, text: str) -> str:
    import yaml

    path = tmp_path / "loop.yaml"
    path.write_text(yaml.safe_dump({"panels": {"coding": [text, SENTENCE]}}, allow_unicode=True), encoding="utf-8")
    return str(path)


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
    script = _script(tmp_path / "s.yaml", [SENTENCE, "x" * 20_001])
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

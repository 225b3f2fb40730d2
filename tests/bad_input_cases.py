"""Shared by the bad-input tests: the inputs the issue lists, the text hypothesis draws, the check
that typed text renders as text, and the CLI run in-process with only CoachError allowed out."""

from __future__ import annotations

import re
import shutil

import pytest
from hypothesis import HealthCheck, example, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from coach.errors import CoachError

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


def assert_inert_markdown(md: str, headings: bool = False) -> None:
    """Rendered as CommonMark with raw HTML allowed (the worst case), `md` holds no element a user
    typed and no handler attribute: what was typed shows as text. `headings`: the page's own
    layout has headings (a story's view), so they are not counted."""
    html = MarkdownIt("commonmark", {"html": True}).render(md)
    typed = TYPED - {"h1", "h2"} if headings else TYPED
    for tag, attrs in _TAG.findall(html):
        assert tag.lower() not in typed, (tag, html[:500])
        assert not re.search(r"\bon\w+\s*=|javascript:", attrs, re.IGNORECASE), html[:500]


def run_cli(args: list[str], env: dict, stdin: str | bytes | None = None):
    """Run a command; a non-CoachError exception fails the test with its traceback."""
    from typer.testing import CliRunner

    from coach.cli._app import app

    result = CliRunner().invoke(app, args, input=stdin, env=env)
    err = result.exception
    if err is not None and not isinstance(err, (CoachError, SystemExit)):
        raise err
    return result, err if isinstance(err, CoachError) else None


def script_file(path, answers: list[str], key: str = "answers") -> str:
    import yaml

    path.write_text(yaml.safe_dump({key: answers}, allow_unicode=True), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def cli_env(fake_settings, tmp_path_factory):
    """A private data dir holding a copy of the fake index, for CLI runs that write sessions."""
    data = tmp_path_factory.mktemp("cli-data")
    shutil.copytree(fake_settings.index_dir, data / "index")
    return {"COACH_DATA_DIR": str(data), "COACH_EMBEDDING_MODEL": fake_settings.embedding_model}

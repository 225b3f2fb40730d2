"""The interviewer's words as an LLM writes them: only words the candidate will read are streamed,
every backend passes them on piece by piece, and the web app shows them while they come."""

from __future__ import annotations

import pytest

from coach.config import REPO_ROOT, Settings
from coach.llm import create_backend, streaming
from coach.llm.base import Sampling
from coach.llm.prompts import load_prompt
from coach.testing import FakeBackend

REWRITE = "Your checkout takes 400 orders a second at peak; which tier gives out first, and what does the fix cost?"
VARS = dict(panel_name="System Design", level="staff", signal_name="Quantified capacity and cost reasoning",
            kind="question", draft=REWRITE)


def _prompt(style: str):
    extra = {"focus": ""} if style == "chat" else {}  # only the chat template tailors to a focus
    return load_prompt("rewrite", style, REPO_ROOT / "prompts").render(**VARS, **extra)


def _collect():
    events: list = []
    return events, lambda: "".join(e for e in events if isinstance(e, str))


def test_only_words_the_candidate_reads_are_streamed():
    backend = FakeBackend(lambda p, s: REWRITE, style="chat")
    events, text = _collect()
    sampling = Sampling(max_tokens=60, seed=1)
    with streaming.to(events.append):
        backend.generate(_prompt("chat"), sampling)  # e.g. a judge's call: not speech
        assert events == []
        with streaming.speech():
            gen = backend.generate(_prompt("chat"), sampling)
    assert isinstance(events[0], streaming.Start) and events[0].prompt_id == "rewrite"
    assert text() == gen.text == REWRITE and len(events) > 10  # a piece per word
    with streaming.speech():  # no sink: nothing to stream to
        assert streaming.active() is None


def test_a_rewritten_question_streams_each_try_and_the_gate_still_decides(fake_coach):
    backend = FakeBackend(lambda p, s: "What would you do about it?", style="chat")  # drops the draft's numbers
    events, _ = _collect()
    with streaming.to(events.append):
        q = fake_coach.with_parts(backend=backend).ask("system-design", seed=4)
    starts = [e for e in events if isinstance(e, streaming.Start)]
    assert len(starts) == len(backend.calls) >= 2  # every try was shown as it came
    assert q.composition == "draft" and q.text == q.draft  # ...and none passed the gate: the draft is shown


def test_the_web_app_shows_the_words_while_they_come_then_the_checked_question(fake_coach, tmp_path):
    from coach.session.store import SessionStore
    from coach.web import common, interview

    backend = FakeBackend(lambda p, s: "What would you do about it?", style="chat")
    common.use(fake_coach.with_parts(backend=backend, store=SessionStore(tmp_path / "s.sqlite3")))
    try:
        frames = list(interview.start("system-design", "staff", 1, 0, 4, ""))
    finally:
        common.use(None)
    *writing, final = frames
    assert writing, "no frame was shown while the rewrite was written"
    chat = writing[0][1]
    assert chat[-1]["role"] == "assistant" and "Rewriting the composed draft with fake" in chat[-1]["content"]
    assert chat[-1]["content"].endswith("\n\nWhat ") or "What would" in chat[-1]["content"]  # the words so far
    session_id, messages = final[0], final[1]
    assert len(session_id) == 12 and "Rewriting" not in messages[-1]["content"] and "question 1 of 1" in messages[-1]["content"]


# --- real backends ---------------------------------------------------------------------------


@pytest.mark.slow
def test_a_real_llama_cpp_server_streams_token_by_token(llama_server):
    backend = create_backend(Settings(backend="openai", openai_style="completion", openai_base_url=llama_server, llm_timeout_s=120))
    events, text = _collect()
    with streaming.to(events.append), streaming.speech():
        gen = backend.generate(_prompt("completion"), Sampling(temperature=0.7, max_tokens=24, seed=3, stop=("\n",)))
    assert gen.text.strip()[:10] in text() and len(events) > 3 and gen.tokens == len(events) - 1


@pytest.mark.slow
def test_the_embedded_model_streams_token_by_token(coach):
    events, text = _collect()
    with streaming.to(events.append), streaming.speech():
        gen = coach.backend.generate(_prompt("completion"), Sampling(temperature=0.7, max_tokens=24, seed=3, stop=("\n",)))
    assert gen.text.strip()[:10] in text() and len(events) > 3 and gen.tokens == len(events) - 1

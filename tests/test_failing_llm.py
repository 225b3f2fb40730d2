"""The LLM server failing under a mock interview, through the web app's handlers: a real llama.cpp
server (`python -m coach.llm.server`) killed while it streams the next question, and a server that
accepts the connection and never answers. The answer is saved, the user reads what failed and what
to do, no question is made up in its place, the retries are bounded and logged, and the app goes on
serving other sessions."""

from __future__ import annotations

import logging
import sys
import time

import pytest
from failing_parts import last
from history_helpers import ANSWERS, data_dir_with_index, settings_for

from coach.root import Coach
from coach.testing import FakeBackend, StalledServer, free_port, serve

gr = pytest.importorskip("gradio")
from coach.web import common, interview  # noqa: E402

ANSWER = "We load-tested the new path at 30k requests per second and kept two weeks of rollback capacity."


@pytest.fixture
def data(fake_settings, tmp_path):
    return data_dir_with_index(fake_settings, tmp_path / "data")


@pytest.fixture
def served():
    yield common.use
    common.use(None)


def _sessions(data, *question_counts: int) -> list[str]:
    """Sessions started on composed questions (no LLM), each waiting for its first answer."""
    plain = Coach(settings_for(data), backend=FakeBackend([]))
    return [plain.start_session("system-design", questions=n, followups=0, seed=i).id for i, n in enumerate(question_counts)]


def _rewriting(data, url: str, timeout_s: float) -> Coach:
    """The web app's Coach on an OpenAI-compatible server that rewrites every question it asks."""
    return Coach(settings_for(data, backend="openai", openai_style="completion", openai_base_url=url,
                              llm_timeout_s=timeout_s, rewrite="on"))


def _retries(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "coach.llm"]


def test_a_stalled_server_times_out_as_configured_and_the_answer_is_kept(data, served, caplog):
    stuck, other = _sessions(data, 2, 1)
    server = StalledServer()
    try:
        web = _rewriting(data, f"http://127.0.0.1:{server.port}/v1", timeout_s=0.5)
        served(web)
        caplog.set_level(logging.WARNING, logger="coach.llm")
        started = time.monotonic()
        frame = last(interview.answer(stuck, ANSWER, None))
        took = time.monotonic() - started
        status = frame[3].replace("\\", "")  # Markdown-escaped
        assert "timed out after 0.5 s (3 attempts)" in status and "COACH_LLM_TIMEOUT_S" in status
        assert "no question was invented" in status and "Your answer is saved" in status
        assert frame[-1]["visible"]  # the Retry button
        assert took < 20 and len(server.accepted) == 3  # COACH_LLM_TIMEOUT_S, not the 60 s default, three tries
        logged = _retries(caplog)
        assert len(logged) == 3 and "retrying" in logged[0] and "giving up" in logged[-1]

        turns = web.load_session(stuck).turns
        assert [t.answer for t in turns] == [ANSWER]  # kept, and nothing asked in place of the missing question
        # the app goes on: another session's last answer needs no LLM and is scored and saved
        assert ANSWER in str(last(interview.answer(other, ANSWER, None))[0])
        assert web.load_session(other).finished
    finally:
        server.close()


def _llama(port: int, log_dir):
    from coach.config import Settings
    from coach.llm.embedded import resolve_model_path

    cmd = [sys.executable, "-m", "coach.llm.server", "--model", str(resolve_model_path(Settings())),
           "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "1024"]
    return serve(cmd, f"http://127.0.0.1:{port}/v1/models", log_dir / f"llama-{time.monotonic_ns()}.log")


@pytest.mark.slow
def test_llama_server_killed_mid_generation_keeps_the_answer_and_the_app_serves_on(data, served, caplog, tmp_path):
    killed, other = _sessions(data, 2, 1)
    port = free_port()
    web = _rewriting(data, f"http://127.0.0.1:{port}/v1", timeout_s=60)
    served(web)
    caplog.set_level(logging.WARNING, logger="coach.llm")
    with _llama(port, tmp_path) as proc:
        frames = interview.answer(killed, ANSWERS[0], None)
        streamed = next(frames)  # the rewrite's first words are on the screen: the server is generating
        assert "Rewriting the composed draft" in str(streamed[0][-1]["content"])
        proc.kill()
        proc.wait()
        frame = last(frames)
    status = frame[3].replace("\\", "")
    assert "unreachable (3 attempts)" in status and "no question was invented" in status, status
    assert "Your answer is saved" in status and frame[-1]["visible"]
    assert "giving up" in _retries(caplog)[-1] and len(_retries(caplog)) == 3
    turns = web.load_session(killed).turns
    assert [t.answer for t in turns] == [ANSWERS[0]]  # kept; no half-written or made-up question

    # the app goes on serving another session (its last answer: scored and saved, no LLM needed)
    assert ANSWER in str(last(interview.answer(other, ANSWER, None))[0]) and web.load_session(other).finished
    with _llama(port, tmp_path):  # back on the same port: the same app, no restart
        frame = last(interview.retry(killed))  # and the interrupted one carries on
        resumed = web.load_session(killed)
        assert len(resumed.turns) == 2 and resumed.turns[0].answer == ANSWERS[0]
        assert resumed.turns[1].text in str(frame[0][-1]["content"])


@pytest.mark.slow
def test_llama_server_stopped_mid_generation_times_out_keeps_the_answer_and_resumes(data, served, caplog, tmp_path):
    """SIGSTOP: the process is alive and holds its connections but answers nothing more, as a
    wedged server does. Each try waits COACH_LLM_TIMEOUT_S (short here), then the user is told."""
    import os
    import signal

    stuck, other = _sessions(data, 2, 1)
    port = free_port()
    web = _rewriting(data, f"http://127.0.0.1:{port}/v1", timeout_s=4)
    served(web)
    caplog.set_level(logging.WARNING, logger="coach.llm")
    with _llama(port, tmp_path) as proc:
        frames = interview.answer(stuck, ANSWERS[0], None)
        streamed = next(frames)  # the rewrite's first words are on the screen: the server is generating
        assert "Rewriting the composed draft" in str(streamed[0][-1]["content"])
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            frame = last(frames)
            took = time.monotonic() - started
            status = frame[3].replace("\\", "")
            assert "timed out after 4 s (3 attempts)" in status and "COACH_LLM_TIMEOUT_S" in status, status
            assert "no question was invented" in status and "Your answer is saved" in status and frame[-1]["visible"]
            assert took < 3 * 4 + 8, took  # three tries of the configured timeout, not the 60 s default
            logged = _retries(caplog)
            assert len(logged) == 3 and "retrying" in logged[0] and "giving up" in logged[-1], logged
            assert [t.answer for t in web.load_session(stuck).turns] == [ANSWERS[0]]  # kept, nothing made up
            # the app goes on serving another session while the server is stopped
            assert ANSWER in str(last(interview.answer(other, ANSWER, None))[0]) and web.load_session(other).finished
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        frame = last(interview.retry(stuck))  # the server answers again: the interrupted session carries on
        resumed = web.load_session(stuck)
        assert len(resumed.turns) == 2 and resumed.turns[0].answer == ANSWERS[0]
        assert resumed.turns[1].text in str(frame[0][-1]["content"])

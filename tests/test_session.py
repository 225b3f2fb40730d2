"""The mock session: the loop, persistence across restarts, failures mid-session, determinism."""

from __future__ import annotations

import pytest

from coach.errors import BackendError, UserInputError
from coach.root import Coach
from coach.session.store import SessionStore
from coach.testing import FakeBackend

QUESTION = " Your payments API has no SLOs and the pager fires twenty times a week; which SLIs do you define first, and what pages?"
FOLLOW_UP = " You said you would page on errors; what burn rate over which window wakes someone at 3 a.m.?"
WEAK = "We would add monitoring later and alert on CPU. It should scale fine because Kubernetes autoscales the pods for us."
STRONG = ("Before I draw anything: the journey that must not break is checkout, so success means p95 under 250 ms. "
          "At 25k peak RPS with 20% writes that is 5k writes per second; with an 85% hit rate Postgres still sees 3k reads. "
          "I would page when the burn rate exceeds 14 over one hour, which is about 43 minutes of error budget a month.")


def _reply(prompt, sampling):
    # Vary with the seed so no two prompts in a session repeat each other.
    base = QUESTION if prompt.prompt_id == "question" else FOLLOW_UP
    return base.replace("twenty", f"{20 + sampling.seed % 50}").replace("3 a.m.", f"{1 + sampling.seed % 5} a.m.")


@pytest.fixture
def store(tmp_path):
    return SessionStore(tmp_path / "sessions.sqlite3")


def _start(coach, store, backend=None, **kw):
    kw.setdefault("questions", 2)
    kw.setdefault("followups", 1)
    return coach.with_parts(backend=backend or FakeBackend(_reply), store=store).start_session("system-design", **kw)


def test_question_answer_follow_up_next_question_summary(coach, store):
    s = _start(coach, store, seed=5)
    first = s.current_prompt
    assert first.kind == "question" and first.question_number == 1 and first.answer is None
    turn = s.answer(WEAK)
    assert turn is first and turn.scorecard is not None and turn.answer == WEAK
    follow = s.current_prompt
    assert follow.kind == "follow-up" and follow.question_number == 1
    assert s.coverage[follow.follow_up.signal] != "evidenced"
    s.answer(STRONG)
    assert s.current_prompt.kind == "question" and s.current_prompt.question_number == 2
    s.answer(STRONG)
    if not s.finished:  # a second follow-up only when the answer left a signal uncovered
        assert s.current_prompt.kind == "follow-up"
        s.answer(WEAK)
    assert s.finished and s.current_prompt is None
    summary = s.summary()
    assert summary.finished and summary.questions_asked == 2 and summary.follow_ups_asked in (1, 2)
    assert set(summary.coverage) == {sig.id for sig in coach.corpus.panel("system-design").signals}
    assert set(summary.coverage.values()) <= {"evidenced", "weak", "not yet asked"}
    assert len(summary.answers) == len(s.turns) and summary.overall is not None
    with pytest.raises(UserInputError, match="no question waiting"):
        s.answer(STRONG)


def test_follow_ups_stop_when_nothing_is_left_to_probe_and_zero_follow_ups_means_none(coach, store):
    s = _start(coach, store, followups=0, questions=2, seed=1)
    s.answer(WEAK)
    assert s.current_prompt.kind == "question"


def test_saved_turn_by_turn_and_carries_on_after_a_restart(coach, store):
    s = _start(coach, store, seed=9)
    s.answer(WEAK)
    pending = s.current_prompt.text
    again = coach.with_parts(backend=FakeBackend(_reply), store=store).load_session(s.id)
    assert [t.text for t in again.turns] == [t.text for t in s.turns]
    assert again.turns[0].answer == WEAK and again.turns[0].scorecard == s.turns[0].scorecard
    assert again.current_prompt.text == pending and again.coverage == s.coverage
    while not again.finished:
        again.answer(STRONG)
    listed = {row["id"]: row for row in store.list()}
    assert listed[s.id]["status"] == "finished" and listed[s.id]["answered"] == len(again.turns)
    with pytest.raises(UserInputError, match="No session"):
        coach.with_parts(store=store).load_session("nope")


def test_a_backend_failure_loses_no_answer_and_the_session_resumes(coach, store):
    # An instruct backend rewrites each question, so a failure reaches the next prompt.
    flaky = FakeBackend(lambda p, s: "unused", style="chat")
    s = _start(coach, store, backend=flaky, seed=2, followups=0)
    flaky._reply = None  # from now on the backend fails (no replies queued)
    with pytest.raises(BackendError):
        s.answer(STRONG)
    reloaded = coach.with_parts(backend=FakeBackend(_reply), store=store).load_session(s.id)
    assert reloaded.turns[0].answer == STRONG and len(reloaded.turns) == 1 and not reloaded.finished
    assert reloaded.current_prompt.kind == "question" and reloaded.current_prompt.question_number == 2


def test_bad_input_is_refused(coach, store):
    with pytest.raises(UserInputError, match="system-design"):
        coach.with_parts(backend=FakeBackend([]), store=store).start_session("systems")
    with pytest.raises(UserInputError, match="out of range"):
        _start(coach, store, questions=0)
    s = _start(coach, store)
    with pytest.raises(UserInputError, match="empty"):
        s.answer("   ")


def test_list_sessions_reads_the_settings_database(coach, tmp_path):
    settings = coach.settings.model_copy(update={"data_dir": tmp_path / "other"})
    assert Coach(settings).list_sessions() == []


@pytest.mark.slow
def test_real_model_same_seed_and_answers_give_the_same_session(coach, store):
    runs = []
    for run in range(2):  # a store each: a second session on one store would avoid the first's questions
        real = coach.with_parts(store=SessionStore(store.path.with_name(f"run{run}.sqlite3")))
        s = real.start_session("behavioral", questions=1, followups=1, seed=21)
        for answer in (WEAK, STRONG):
            if not s.finished:
                s.answer(answer)
        runs.append([(t.kind, t.text, t.scorecard.overall if t.scorecard else None) for t in s.turns])
    assert runs[0] == runs[1] and len(runs[0]) == 2

"""The interview screen beside the chat: levels as charts, evidence marked in the answer, the answer
timer (saved with the turn), and the backend and model in use."""

from __future__ import annotations

import pytest

from coach.errors import UserInputError
from coach.render.screen import backend_line, evidence_spans, last_answer_levels, last_answer_spans, last_answer_title, session_levels, timer_html
from coach.render.scorecard import duration
from coach.render.transcript import render, render_html, render_text
from coach.scoring.scorecard import Scorecard, ScorerInfo, SignalResult
from coach.testing import FakeBackend

STRONG = ("Before I draw anything: the journey that must not break is checkout, so success means p95 under 250 ms. "
          "At 25k peak RPS with 20% writes that is 5k writes per second; with an 85% hit rate Postgres still sees 3k reads. "
          "I would page when the burn rate exceeds 14 over one hour, which is about 43 minutes of error budget a month.")


def _card(*signals: tuple[str, list[str]]) -> Scorecard:
    return Scorecard(panel="system-design", overall=50, band="hire", scorer=ScorerInfo(name="evidence", version="test"),
                     signals=[SignalResult(id=f"s{n}", name=name, level=2, evidence=quotes) for n, (name, quotes) in enumerate(signals)])


def test_evidence_is_marked_where_it_sits_in_the_answer_and_the_rest_is_left_plain():
    answer = "First we measure.  We Cut Pages by 70%. Then we hand it over."
    card = _card(("Impact", ["we cut pages by 70%."]), ("Measurement", ["First we measure."]))
    pieces = evidence_spans(answer, card)
    assert "".join(text for text, _ in pieces) == answer  # nothing lost or added
    assert pieces == [("First we measure.", "Measurement"), ("  ", None), ("We Cut Pages by 70%.", "Impact"),
                      (" Then we hand it over.", None)]


def test_overlapping_quotes_keep_the_first_and_a_quote_not_in_the_answer_marks_nothing():
    answer = "We sharded by tenant and kept the hot path in memory."
    card = _card(("A", ["We sharded by tenant"]), ("B", ["by tenant and kept"]), ("C", ["never said this"]))
    pieces = evidence_spans(answer, card)
    assert [label for _, label in pieces] == ["A", None]
    assert evidence_spans("", card) == [] and evidence_spans(answer, None) == [(answer, None)]


def test_durations_read_as_minutes_and_seconds():
    assert [duration(s) for s in (None, 0, 59.6, 102, 3725)] == ["", "0:00", "1:00", "1:42", "1:02:05"]


@pytest.fixture
def session(fake_coach, tmp_path):
    from coach.session.store import SessionStore

    c = fake_coach.with_parts(backend=FakeBackend([]), store=SessionStore(tmp_path / "s.sqlite3"))
    return c.start_session("system-design", questions=2, followups=0, seed=3)


def test_the_answer_time_is_saved_with_the_turn_and_shown_in_every_transcript(session):
    assert "data-timer" in timer_html(session)  # a prompt is waiting: the page counts
    session.answer(STRONG, elapsed_s=102.4)
    again = session.coach.load_session(session.id)
    assert again.turns[0].elapsed_s == pytest.approx(102.4)
    assert "Last answer took 1:42" not in timer_html(again)  # the next question is waiting: it counts again
    for text in (render(again), render_html(again), render_text(again)):
        assert "Answer (in 1:42)" in text
    again.answer(STRONG)  # untimed (a script): saved without a time
    assert again.finished and "Last answer took 1:42." in timer_html(again)
    assert "Answer (in" not in render(again).split("Question 2")[1]
    with pytest.raises(UserInputError, match="not a duration"):
        session.coach.start_session("system-design", questions=1, followups=0).answer(STRONG, elapsed_s=-3)


def test_levels_of_the_last_answer_and_of_the_interview_as_chart_data(session):
    assert last_answer_levels(session).empty and session_levels(session).empty and last_answer_spans(session) == []
    session.answer(STRONG)
    last, pooled = last_answer_levels(session), session_levels(session)
    card = session.turns[0].scorecard
    assert list(last.columns) == ["signal", "level"]
    assert len(last) == sum(s.level is not None for s in card.signals) and last["level"].between(0, 4).all()
    if card.answered == "no":  # off the question: counts for nothing in the interview, and the chart says so
        assert (pooled["level"] == 0).all() and "did not answer the question" in last_answer_title(session)
    else:
        assert (pooled["level"].to_numpy() >= last["level"].to_numpy()).all()  # pooled: the best so far
        assert last_answer_title(session) == "Last answer"
    marked = [label for _, label in last_answer_spans(session) if label]
    assert marked == [] or set(marked) <= {s.name for s in card.signals}
    assert "".join(t for t, _ in last_answer_spans(session)) == STRONG


def test_the_backend_line_names_the_sessions_backend_and_model(session):
    line = backend_line(session.coach.settings, session)
    assert f"`{session.backend}`" in line and "model `" in line and "scorer `evidence`" in line
    assert "model not loaded yet" in backend_line(session.coach.settings)

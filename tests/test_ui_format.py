"""Display helpers of the web app: escaping, scorecards, coverage maps, interviewer messages."""

from __future__ import annotations

import pytest

from coach.config import REPO_ROOT
from coach.corpus.loader import load_corpus
from coach.retrieval.search import Hit
from coach.scoring.scorecard import FailureModeHit, Scorecard, ScorerInfo, SignalResult
from coach.render.markdown import (
    backend_failure,
    coverage_markdown,
    escape,
    headline,
    one_line,
    question_markdown,
    quote,
    scorecard_markdown,
    scorecard_title,
    session_view,
)

XSS = '<img src=x onerror=alert(1)> & "q"'


def _card(abstained: bool = False, evidence: tuple[str, ...] = ("We shard by user id | region.",)) -> Scorecard:
    return Scorecard(
        panel="system-design",
        question="Design a feed",
        overall=None if abstained else 62,
        band=None if abstained else "hire",
        abstained=abstained,
        abstain_reason="too short to judge (5 words; at least 20 needed)" if abstained else "",
        signals=[
            SignalResult(
                id="data-consistency",
                name="Data model, partitioning and consistency",
                level=None if abstained else 2,
                evidence=[] if abstained else list(evidence),
                status="insufficient evidence" if abstained else "weak",
                strong_answer_includes="Chooses partition keys deliberately.",
            ),
            SignalResult(
                id="capacity-math",
                name="Quantified capacity and cost reasoning",
                level=None if abstained else 4,
                evidence=[] if abstained else ["20k writes per second at peak."],
                status="insufficient evidence" if abstained else "evidenced",
                strong_answer_includes="Does the arithmetic at peak.",
            ),
        ],
        failure_modes=[] if abstained else [FailureModeHit(id="hand-wave", name="Hand-waving", cues=["it just scales"])],
        scorer=ScorerInfo(name="evidence", version="1+abc"),
        notes=[] if abstained else ["ignored an instruction addressed to the scorer"],
    )


def test_escape_neutralises_html_and_markdown():
    out = escape(XSS + " **bold** `code` [link](http://x) $x$ snake_case")
    assert "<" not in out and ">" not in out
    assert "&lt;img src=x onerror=alert(1)&gt;" in out
    assert "\\*\\*bold\\*\\*" in out and "\\`code\\`" in out and "\\[link\\](http://x)" in out
    assert "\\$x\\$" in out and "snake\\_case" in out
    assert "&amp;" in out and "&quot;q&quot;" in out


def test_escape_makes_line_starts_inert_but_leaves_prose_alone():
    assert escape("- item\n  2. step\n---\nplain a-b 3.5 text") == "\\- item\n  2\\. step\n\\---\nplain a-b 3.5 text"


def test_one_line_and_quote_fit_a_table_cell():
    assert "\n" not in one_line("a\nb |c")
    assert "\\|" in one_line("a | b")
    long = quote("word " * 100, limit=50)
    assert long.startswith("“") and long.endswith("...”") and len(long) < 70


def test_scorecard_markdown_shows_overall_levels_and_quoted_evidence():
    md = scorecard_markdown(_card())
    assert md.startswith("**Overall 62/100 · hire**")
    assert "| ●●○○\u00a02/4<br>weak |" in md and "| ●●●●\u00a04/4<br>evidenced |" in md
    assert "“We shard by user id \\| region.”" in md
    assert "Chooses partition keys deliberately." in md  # weak signal: what a strong answer shows
    assert "Does the arithmetic" not in md  # strong signal: no advice
    assert "Hand-waving" in md and "note:" in md and "scorer: evidence" in md


def test_compact_scorecard_prefers_quotes_not_shown_yet():
    card = _card(evidence=("20k writes per second at peak.",))
    card.signals[1].evidence = ["20k writes per second at peak.", "We shard by user id."]
    md = scorecard_markdown(card, compact=True)
    assert md.count("“20k writes per second at peak.”") == 1 and "“We shard by user id.”" in md


def test_scorecard_markdown_compact_keeps_one_quote_and_no_advice():
    md = scorecard_markdown(_card(evidence=("First quote here.", "Second quote here.")), compact=True)
    assert "First quote" in md and "Second quote" not in md
    assert "- **Data model, partitioning and consistency**: ●●○○ 2/4 · weak<br>“First quote here.”" in md
    assert "a strong answer shows" not in md and "note:" not in md


def test_abstention_is_shown_honestly():
    card = _card(abstained=True)
    assert headline(card).startswith("**Not scored:** too short to judge")
    md = scorecard_markdown(card)
    assert "insufficient evidence" in md and "/100" not in md and "●" not in md and "n/a" in md
    compact = scorecard_markdown(card, compact=True)
    assert "Not scored" in compact and "|" not in compact  # no table of empty rows


def test_scorecard_title_is_plain_text():
    assert scorecard_title(_card()) == "Scorecard: 62/100 · hire"
    assert scorecard_title(_card(abstained=True)) == "Scorecard: not scored (too short to judge (5 words; at least 20 needed))"


def test_scorecard_evidence_is_escaped():
    md = scorecard_markdown(_card(evidence=(XSS,)))
    assert "<img" not in md and "&lt;img" in md


def test_coverage_markdown_follows_panel_order_and_accepts_objects():
    panel = load_corpus(REPO_ROOT / "corpus").panel("system-design")
    first, second = panel.signals[0], panel.signals[1]

    class Entry:
        status = "evidenced"
        level = 3

    md = coverage_markdown({second.id: "weak", first.id: Entry()}, panel)
    rows = md.splitlines()[2:]
    assert len(rows) == len(panel.signals)
    assert "● evidenced (3/4)" in rows[0] and "◐ weak" in rows[1]
    assert all("○ not yet asked" in r for r in rows[2:])
    assert coverage_markdown({}) == "*No session yet.*"


def test_question_markdown_labels_fallbacks_and_follow_ups():
    assert question_markdown("How would you shard it?") == "How would you shard it?"
    fb = question_markdown("How would you shard it?", is_fallback=True)
    assert "*(from the question bank)*" in fb
    fu = question_markdown("What breaks first?", kind="follow-up", detail="probes: capacity")
    assert fu.startswith("**Follow-up:** What breaks first?") and "probes: capacity" in fu
    assert "<img" not in question_markdown(XSS)


def test_session_view_of_a_real_session_labels_fallbacks_escapes_answers_and_wraps_up(fake_coach, tmp_path):
    """A real MockSession whose model only writes nonsense: nothing asks it (questions and follow-ups are
    composed), and nothing shown is labelled as a fallback."""
    from coach.session.store import SessionStore
    from coach.testing import FakeBackend

    backend = FakeBackend(lambda prompt, sampling: "banana")
    coach = fake_coach.with_parts(backend=backend, store=SessionStore(tmp_path / "sessions.sqlite3"))
    session = coach.start_session("behavioral", "staff", questions=1, followups=1, seed=3)
    view = session_view(session)
    assert [m["role"] for m in view.messages] == ["assistant"]
    assert "*(question 1 of 1)*" in view.messages[0]["content"] and "bank" not in view.messages[0]["content"]
    assert "○ not yet asked" in view.coverage and "Session `" in view.status

    answer = ("I led the migration of our billing service to a new database in 2023. " * 2) + XSS
    session.answer(answer)
    view = session_view(session, problem="the backend is down")
    roles = [m["role"] for m in view.messages]
    assert roles[:3] == ["assistant", "user", "assistant"]
    assert "<img" not in view.messages[1]["content"] and "&lt;img" in view.messages[1]["content"]
    assert view.messages[2]["metadata"]["title"] == scorecard_title(session.turns[0].scorecard)
    assert "⚠ **the backend is down**" in view.status
    assert not session.finished  # one follow-up per question: the weakest signal gets probed
    follow = view.messages[-1]["content"]  # composed from a follow-up frame: not a fallback, so not labelled one
    assert "Follow-up:" in follow and "probes:" in follow and "bank" not in follow
    session.answer("I wrote the rollback plan myself and we measured error rates for two weeks after the cutover, " * 2)
    view = session_view(session)
    assert "### Wrap-up: behavioral, staff level" in view.messages[-1]["content"]
    assert "finished" in view.status


def test_backend_failure_names_the_backend():
    from coach.errors import BackendError

    text = backend_failure(BackendError("The openai backend at http://127.0.0.1:9/v1 is unreachable."), "openai")
    assert text.startswith("The openai LLM backend failed, so no question was invented.") and "127.0.0.1:9" in text

"""The one scorecard renderer and its adapters, and the session transcript built on it.

Fast: every card, question and follow-up is built by hand; no model, no index.
"""

from __future__ import annotations

import time
from functools import partial

import pytest

from coach.render import scorecard as render
from coach.render.scorecard import LEVEL_BAR, level_bar, to_html, to_markdown, to_text, view
from coach.scoring.scorecard import FailureModeHit, Scorecard, ScorerInfo, SignalResult

ADAPTERS = {"text": to_text, "markdown": to_markdown, "compact": partial(to_markdown, compact=True), "html": to_html}
FULL = ("text", "markdown", "html")  # the forms that show every quote, the advice and the notes
SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"
ABSTAIN = "too short to judge (5 words; at least 20 needed)"


def _signal(sid: str, name: str, level: int | None, evidence: list[str], strong: str, by: str = "evidence", reason: str = "") -> SignalResult:
    status = "insufficient evidence" if level is None else ("evidenced" if level >= 3 else "weak" if level else "missing")
    return SignalResult(id=sid, name=name, level=level, evidence=evidence, status=status,
                        strong_answer_includes=strong, scored_by=by, reason=reason)


def _card(scorer: str = "evidence", by: tuple[str, str, str] = ("evidence",) * 3, reasons: tuple[str, str, str] = ("", "", "")) -> Scorecard:
    return Scorecard(
        panel="system-design",
        question="Design a feed",
        overall=62,
        band="hire",
        signals=[
            _signal("data", "Data model and partitioning", 2, ["We shard by user id.", "Reads go to replicas."],
                    "Chooses partition keys deliberately.", by[0], reasons[0]),
            _signal("capacity", "Quantified capacity", 4, ["20k writes per second at peak."],
                    "Does the arithmetic at peak.", by[1], reasons[1]),
            _signal("resilience", "Failure handling", 0, [], "Names what fails first.", by[2], reasons[2]),
        ],
        failure_modes=[FailureModeHit(id="hand-wave", name="Hand-waving", cues=["it just scales"])],
        scorer=ScorerInfo(name=scorer, version="1+abc"),
        notes=["ignored an instruction addressed to the scorer"],
    )


def _abstained() -> Scorecard:
    return Scorecard(
        panel="system-design", overall=None, band=None, abstained=True, abstain_reason=ABSTAIN,
        signals=[_signal("data", "Data model and partitioning", None, [], "Chooses partition keys deliberately.", reason=ABSTAIN),
                 _signal("capacity", "Quantified capacity", None, [], "Does the arithmetic at peak.", reason=ABSTAIN)],
        scorer=ScorerInfo(name="evidence", version="1+abc"),
    )


def _out(adapter: str, card: Scorecard) -> str:
    return ADAPTERS[adapter](card).replace("\u00a0", " ")  # the Markdown table keeps "bar n/4" together with NBSPs


# -- every adapter -----------------------------------------------------------------------------


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_every_adapter_shows_overall_band_signals_levels_and_quotes(adapter):
    out = _out(adapter, _card())
    assert "62/100" in out and "hire" in out
    for s in _card().signals:
        assert s.name in out and level_bar(s.level) in out and s.status in out
        shown = s.evidence if adapter in FULL else s.evidence[:1]  # compact: one quote per signal
        assert all(f"“{q}”" in out for q in shown)
    assert "Hand-waving" in out and "it just scales" in out
    assert "scorer: evidence 1+abc" in out
    assert ("ignored an instruction" in out) == (adapter in FULL)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_advice_only_below_level_3(adapter):
    out = _out(adapter, _card())
    full = adapter in FULL
    assert ("Chooses partition keys deliberately." in out) == full  # level 2
    assert ("Names what fails first." in out) == full  # level 0
    assert "Does the arithmetic at peak." not in out  # level 4


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_abstention_shows_the_reason_once_and_no_score_or_advice(adapter):
    out = _out(adapter, _abstained())
    assert ABSTAIN in out and out.count(ABSTAIN) == 1  # not repeated on every signal
    assert "/100" not in out and "●" not in out
    assert "Every signal: insufficient evidence" in out
    assert "Chooses partition keys" not in out
    if adapter in FULL:
        assert "Quantified capacity" in out and "n/a" in out


def test_text_keeps_the_cli_headline():
    assert "Overall: 62/100  (hire)" in to_text(_card())
    assert f"Overall: not scored — {ABSTAIN}." in to_text(_abstained())
    assert to_text(_card()).startswith("Panel: system-design\nQuestion: Design a feed\n")


# -- who scored what ---------------------------------------------------------------------------


@pytest.mark.parametrize("adapter", ADAPTERS)
@pytest.mark.parametrize(
    ("scorer", "by", "labels"),
    [
        ("evidence", ("evidence",) * 3, []),
        ("judge", ("judge",) * 3, []),  # the card's scorer scored every signal: nothing to say
        ("combined", ("judge", "evidence", "evidence"), ["by judge", "by evidence"]),  # mixed
        ("judge", ("evidence",) * 3, ["by evidence"]),  # levels kept from another scorer
    ],
)
def test_by_labels_only_when_scorers_mix_or_differ_from_the_card(adapter, scorer, by, labels):
    out = _out(adapter, _card(scorer, by))
    for label in ("by judge", "by evidence"):
        assert (label in out) == (label in labels), label


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_a_signal_reason_is_shown_when_given(adapter):
    out = _out(adapter, _card("combined", ("judge", "evidence", "evidence"), ("raised from 1 by the judge: sized the shards", "", "")))
    assert "why: raised from 1 by the judge: sized the shards" in out
    assert out.count("why:") == 1


def test_view_is_the_one_place_that_decides():
    v = view(_card("combined", ("judge", "evidence", "evidence")))
    assert v.scored and v.overall == 62 and v.band == "hire"
    assert [s.advice for s in v.signals] == ["Chooses partition keys deliberately.", "", "Names what fails first."]
    assert [s.scored_by for s in v.signals] == ["judge", "evidence", "evidence"]
    assert [s.quotes for s in v.signals][0] == ("We shard by user id.", "Reads go to replicas.")
    assert not view(_abstained()).scored and view(_abstained()).every_signal_insufficient


# -- escaping ----------------------------------------------------------------------------------


def _hostile() -> Scorecard:
    card = _card(reasons=(IMG, "", ""))
    card.signals[0].evidence = [SCRIPT, IMG]
    card.signals[1].name = f"Capacity {SCRIPT}"
    card.failure_modes[0].cues = [SCRIPT]
    card.notes = [IMG, SCRIPT]
    card.question = SCRIPT
    return card


@pytest.mark.parametrize("adapter", ["html", "markdown", "compact"])
def test_markup_adapters_escape_everything_written_by_a_person_or_model(adapter):
    out = _out(adapter, _hostile())
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;" in out and "&lt;img src=x onerror=alert(1)&gt;" in out


def test_html_escapes_quotes_notes_and_abstain_reasons():
    out = to_html(_hostile())
    assert out.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") >= 4  # quote, name, cue, note
    assert "note: &lt;img src=x onerror=alert(1)&gt;" in out
    assert out.startswith('<section class="scorecard">') and out.endswith("</section>")
    card = _abstained().model_copy(update={"abstain_reason": IMG})
    assert "<img" not in to_html(card) and "&lt;img" in to_html(card)


# -- one level table ---------------------------------------------------------------------------


def test_every_adapter_and_module_reads_the_one_level_table(monkeypatch, session):
    from coach.render import markdown, transcript

    assert markdown.LEVEL_BAR is LEVEL_BAR
    monkeypatch.setitem(LEVEL_BAR, 2, "LEVEL-TWO")
    for adapter in ADAPTERS:
        assert "LEVEL-TWO" in _out(adapter, _card()), adapter
    assert "LEVEL-TWO" in markdown.scorecard_markdown(_card())
    # the summary tables too: "Data model, partitioning and consistency" was best at level 2
    assert "| weak | LEVEL-TWO |" in transcript.render(session)
    assert '<td class="level">LEVEL-TWO</td>' in transcript.render_html(session)


def test_one_level_table_of_glyph_bars_and_n_of_4_and_no_other():
    import coach.cli.score as cli_score
    from coach.render import transcript

    assert LEVEL_BAR[None] == "n/a" and LEVEL_BAR[0] == "○○○○ 0/4" and LEVEL_BAR[3] == "●●●○ 3/4"
    assert level_bar(7) == "?"
    assert not hasattr(cli_score, "LEVEL_BAR") and not hasattr(cli_score, "render_scorecard")
    assert cli_score.to_text is render.to_text
    assert not hasattr(transcript, "LEVEL_MARK")


# -- the session transcript --------------------------------------------------------------------


@pytest.fixture
def session(tmp_path):
    """A real MockSession built from hand-made turns: question 1 answered, its follow-up answered,
    question 2 waiting. Nothing here calls a model."""
    from coach.config import Settings
    from coach.interviewer.followups import FollowUp, FollowUpProvenance
    from coach.interviewer.questions import Question, QuestionProvenance
    from coach.root import Coach
    from coach.session.mock import MockSession, Turn
    from coach.session.store import SessionRow

    coach = Coach(Settings(data_dir=tmp_path))  # loads only the corpus: no model, no index
    panel = coach.panel("system-design")

    def card(levels: dict[str, int], answer: str) -> Scorecard:
        signals = [_signal(s.id, s.name, levels.get(s.id, 0), [answer] if levels.get(s.id) else [], s.strong) for s in panel.signals]
        return Scorecard(panel=panel.slug, overall=55, band="lean-no", signals=signals, scorer=ScorerInfo(name="evidence", version="1"))

    pv = dict(backend="embedded", model="gemma-3-1b", prompt_id="question", prompt_hash="abc123", seed=1)
    q1 = Question(text="Design a news feed.", panel=panel.slug, level="staff", is_fallback=True, fallback_reason="model offline",
                  provenance=QuestionProvenance(grounding=["c1"], signals=["capacity-math"], source="sd-q1",
                                                candidates_tried=3, candidates_accepted=0, **pv))
    fu = FollowUp(text="What breaks first?", panel=panel.slug, signal="resilience", signal_name="Failure handling and recovery",
                  answer_detail="We shard by user id.", refers_to_answer=True,
                  composition="draft", draft="What breaks first?",
                  provenance=FollowUpProvenance(examples=["sd-f1"], source="sd-f1", **{**pv, "backend": "composer", "prompt_id": ""}))
    q2 = Question(text="Design a rate limiter.", panel=panel.slug, level="staff",
                  provenance=QuestionProvenance(grounding=[], signals=["resilience"], candidates_tried=2, candidates_accepted=1, **pv))
    answer1 = f"We shard by user id. {IMG}"
    turns = [
        Turn(index=0, kind="question", question_number=1, text=q1.text, question=q1, answer=answer1,
             scorecard=card({"capacity-math": 4, "data-consistency": 2}, "We shard by user id.")),
        Turn(index=1, kind="follow-up", question_number=1, text=fu.text, follow_up=fu, answer=f"The cache. {SCRIPT}",
             scorecard=card({"resilience": 1}, "The cache.")),
        Turn(index=2, kind="question", question_number=2, text=q2.text, question=q2),
    ]
    now = time.time()
    row = SessionRow(id="abc123def456", panel=panel.slug, level="staff", seed=7,
                     config={"questions": 2, "followups": 1, "focus": None}, status="active", created_at=now, updated_at=now)
    return MockSession(coach, row, turns)


def test_transcript_markdown_keeps_its_form_and_uses_the_shared_renderer(session):
    from coach.render.transcript import render as transcript

    md = transcript(session, notes=["script ran out"])
    lines = md.splitlines()
    expected = [
        f"# Mock interview: {session.panel_name} (staff)",
        "- session: `abc123def456`, seed 7, 2 question(s), up to 1 follow-up(s) each",
        "- generated by: embedded / `gemma-3-1b`",
        "## Question 1",
        "> Design a news feed.",
        "*Fallback: corpus question `sd-q1` (model offline).*",
        "*Targets: capacity-math · grounding: c1 · prompt `question@abc123` · candidates 0/3 valid*",
        "**Answer:**",
        "**Score:**",
        "## Follow-up to question 1",
        "*Probes: Failure handling and recovery · builds on: “We shard by user id.” · frame `sd-f1`*",
        "## Question 2",
        "*Targets: resilience · grounding: none · prompt `question@abc123` · candidates 1/2 valid*",
        "*(awaiting an answer)*",
        "## Summary",
        "| signal | coverage | best level | evidence |",
        "| Quantified capacity and cost reasoning | evidenced | ●●●● 4/4 | “We shard by user id.” (Q1) |",
        "| Data model, partitioning and consistency | weak | ●●○○ 2/4 | “We shard by user id.” (Q1) |",
        "The session is not finished: it is waiting for an answer.",
        "Note: script ran out",
    ]
    positions = [lines.index(line) for line in expected]  # each present ...
    assert positions == sorted(positions)  # ... and in this order
    for t in session.turns[:2]:
        assert to_markdown(t.scorecard, compact=True) in md


def test_transcript_html_is_a_self_contained_escaped_page(session):
    from coach.render.transcript import render_html

    page = render_html(session, notes=[IMG])
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page and "<img" not in page and "<link" not in page and 'src="' not in page  # nothing runs or loads
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "&lt;script&gt;" in page
    for text in (f"Mock interview: {session.panel_name} (staff)", "<code>abc123def456</code>", "Design a news feed.", "What breaks first?",
                 "Fallback: corpus question <code>sd-q1</code> (model offline).", "(awaiting an answer)",
                 "●●●● 4/4", "The session is not finished", "Note: &lt;img"):
        assert text in page, text
    for t in session.turns[:2]:
        assert to_html(t.scorecard) in page

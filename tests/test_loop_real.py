"""A scripted full onsite loop end to end on the embedded backend and the real embedder: the strong
candidate's debrief ranks above the weak one's (evals/fixtures/loops, one question per panel)."""

from __future__ import annotations

from coach.config import REPO_ROOT
from coach.evals.loop import run_candidate
from coach.render.debrief import to_html, to_markdown
from coach.session.store import SessionStore

LOOPS = REPO_ROOT / "evals" / "fixtures" / "loops"


def test_strong_candidate_ranks_above_weak_on_the_debrief(coach, tmp_path):
    packets = {}
    for name in ("strong", "weak"):
        own = coach.with_parts(store=SessionStore(tmp_path / f"{name}.sqlite3"))
        packets[name], notes = run_candidate(own, LOOPS / f"{name}.yaml")
        assert notes == [] and packets[name].finished and len(packets[name].panels) == 7
    strong, weak = packets["strong"], packets["weak"]
    print({n: (p.recommendation.decision, p.recommendation.mean_score) for n, p in packets.items()})
    assert strong.rank > weak.rank and strong.recommendation.decision in ("hire", "strong-hire")
    assert strong.recommendation.mean_score > weak.recommendation.mean_score
    assert strong.strengths and not weak.strengths and weak.gaps
    # Each panel's decision comes with its reasons, and the strong panels with the candidate's words.
    for p in strong.panels:
        assert p.decision and p.reasons
    quoted = [q.quote.text for p in strong.panels for q in p.quotes]
    script = " ".join((LOOPS / "strong.yaml").read_text().split())
    assert quoted and all(" ".join(q.split()) in script for q in quoted)  # verbatim, from the answers
    md, html = to_markdown(strong), to_html(strong)
    assert strong.recommendation.decision.upper() in md and strong.recommendation.rule[:40] in html

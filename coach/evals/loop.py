"""Loop suite: a whole onsite loop per scripted candidate (evals/fixtures/loops/*.yaml), one
question per panel and no follow-ups, so it stays cheap. The strong candidate's debrief must rank
above the weak one's on the overall recommendation and on the mean panel score.

No baseline is needed for it to guard anything: its floors in evals/floors.yaml are the checks.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from coach.loop import Loop, load_candidate, play
from coach.root import Coach
from coach.session.store import SessionStore
from coach.evals.base import SuiteResult

CANDIDATES = ("strong", "weak")


def run_candidate(coach: Coach, path: Path, followups: int = 0, seed: int = 11):
    """Run one scripted candidate through a loop of the panels its script answers; its debrief."""
    script = load_candidate(path)
    loop = Loop.start(coach, script.level or "staff", list(script.panels), questions=1, followups=followups, seed=seed,
                      given={slug: p.ask for slug, p in script.panels.items()})
    notes = play(loop, script)
    return loop.debrief(), notes


def run(coach: Coach, followups: int = 0) -> SuiteResult:
    started = time.perf_counter()
    fixtures = coach.settings.evals_dir / "fixtures" / "loops"
    debriefs = {}
    details: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:  # eval loops stay out of the user's history
        for name in CANDIDATES:
            own = coach.with_parts(store=SessionStore(Path(tmp) / f"{name}.sqlite3"))
            debrief, notes = run_candidate(own, fixtures / f"{name}.yaml", followups)
            debriefs[name] = debrief
            details[name] = {"recommendation": debrief.recommendation.model_dump(), "notes": notes,
                             "panels": {p.panel: {"overall": p.overall, "decision": p.decision} for p in debrief.panels},
                             "strengths": [f.id for f in debrief.strengths], "gaps": [f.id for f in debrief.gaps]}
    strong, weak = debriefs["strong"], debriefs["weak"]
    s_mean, w_mean = strong.recommendation.mean_score, weak.recommendation.mean_score
    failures = []
    if not strong.rank > weak.rank:
        failures.append({"suite": "loop", "case": "strong-vs-weak-recommendation",
                         "problem": f"strong candidate's loop is {strong.recommendation.decision}, weak's {weak.recommendation.decision}"})
    if s_mean is None or (w_mean is not None and s_mean <= w_mean):
        failures.append({"suite": "loop", "case": "strong-vs-weak-mean", "problem": f"mean panel score strong {s_mean} vs weak {w_mean}"})
    per_panel = {p.panel: {"strong_overall": float(p.overall if p.overall is not None else -1),
                           "weak_overall": float(q.overall if q.overall is not None else -1)}
                 for p, q in zip(strong.panels, weak.panels)}
    metrics = {
        "strong_above_weak": float(strong.rank > weak.rank),
        "strong_mean_above_weak": float(s_mean is not None and (w_mean is None or s_mean > w_mean)),
        "strong_rank": float(strong.rank), "weak_rank": float(weak.rank),
        "mean_margin": round((s_mean or 0.0) - (w_mean or 0.0), 1),
        "strong_panels_above_weak": float(sum(v["strong_overall"] > v["weak_overall"] for v in per_panel.values())),
    }
    return SuiteResult(name="loop", metrics=metrics, per_panel=per_panel, failures=failures, details=details,
                       seconds=time.perf_counter() - started)

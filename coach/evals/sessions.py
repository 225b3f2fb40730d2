"""Session suite: scripted mock interviews end to end, scored as one interview (every turn's
evidence pooled per signal). On every panel a strong candidate must finish above a weak one,
whatever the questions and follow-ups turned out to be, and a candidate who answers every prompt
with the same off-question story must finish "no-hire".

Fixtures: `evals/fixtures/sessions/<panel>.yaml`, whose scripts name graded answers of the
scoring fixtures by id (or give literal text).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from coach.corpus.schema import PANEL_SLUGS
from coach.root import Coach
from coach.session.mock import MockSession
from coach.session.store import SessionStore
from coach.evals.base import SuiteResult, load_fixture
from coach.evals.scoring import load_scoring_fixtures


def load_scripts(fixtures_dir: Path, slug: str, panel=None) -> dict:
    """The panel's session fixture with every script resolved to answer texts, and the sample
    questions it asks (`ask`, by id; needs the `panel`) as texts under `given`."""
    fx = load_fixture(fixtures_dir / "sessions" / f"{slug}.yaml")
    graded = {a["id"]: a["text"] for a in load_scoring_fixtures(fixtures_dir, (slug,))[slug]["answers"]}
    fx["candidates"] = {name: [graded.get(a, a) for a in answers] for name, answers in fx["candidates"].items()}
    samples = {q.id: q.text for q in panel.sample_questions} if panel is not None else {}
    fx["given"] = [samples[q] for q in fx.get("ask", [])] or None
    story = load_fixture(fixtures_dir / "sessions" / "off_question_story.yaml")["stories"]
    text = story.get(slug, story["default"])
    fx["candidates"]["off-question"] = [text] * len(next(iter(fx["candidates"].values())))
    return fx


def run_script(coach: Coach, slug: str, answers: list[str], fx: dict, level: str = "staff") -> MockSession:
    """Drive one session with a scripted candidate: answers in order, until the session or the
    script ends."""
    session = coach.start_session(slug, level, questions=fx["questions"], followups=fx["followups"], seed=fx["seed"],
                                  given_questions=fx.get("given"))
    for answer in answers:
        if session.finished:
            break
        session.answer(answer)
    return session


def run(coach: Coach, panels: tuple[str, ...] = PANEL_SLUGS) -> SuiteResult:
    started = time.perf_counter()
    backend = coach.backend
    fixtures_dir = coach.settings.evals_dir / "fixtures"
    per_panel: dict[str, dict[str, float]] = {}
    failures: list[dict] = []
    details: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:  # eval sessions stay out of the user's session list
        for slug in panels:
            fx = load_scripts(fixtures_dir, slug, coach.panel(slug))
            results = {}
            for name, answers in fx["candidates"].items():
                # A store of its own per candidate: both meet the same questions, not each other's history.
                own = coach.with_parts(store=SessionStore(Path(tmp) / f"{slug}-{name}.sqlite3"))
                s = run_script(own, slug, answers, fx)
                summary = s.summary()
                results[name] = summary
                details[f"{slug}/{name}"] = {
                    "overall": summary.overall, "band": summary.band, "coverage": summary.coverage,
                    "recommendation": summary.recommendation.model_dump() if summary.recommendation else None,
                    "off_question": summary.off_question,
                    "turns": [{"kind": t.kind, "text": t.text, "fallback": t.is_fallback,
                               "overall": t.scorecard.overall if t.scorecard else None,
                               "answered": t.scorecard.answered if t.scorecard else None} for t in s.turns],
                }
            strong, weak = results["strong"].overall, results["weak"].overall
            ok = strong is not None and (weak is None or strong > weak)
            per_panel[slug] = {
                "strong_overall": strong if strong is not None else -1.0,
                "weak_overall": weak if weak is not None else -1.0,
                "margin": round((strong or 0) - (weak or 0), 1),
                "strong_evidenced": float(sum(v == "evidenced" for v in results["strong"].coverage.values())),
                "weak_evidenced": float(sum(v == "evidenced" for v in results["weak"].coverage.values())),
                "fallbacks": float(results["strong"].fallbacks + results["weak"].fallbacks),
            }
            if not ok:
                failures.append({"suite": "sessions", "panel": slug, "case": "strong-vs-weak",
                                 "problem": f"strong candidate {strong} is not above weak candidate {weak}"})
            story = results.get("off-question")
            if story is not None:
                per_panel[slug]["off_question_no_hire"] = float(story.band == "no-hire")
                if story.band != "no-hire":
                    failures.append({"suite": "sessions", "panel": slug, "case": "same-off-question-story",
                                     "problem": f"a candidate who told the same off-question story every time finished {story.band} ({story.overall})"})
    n = len(per_panel) or 1
    metrics = {
        "strong_above_weak_rate": round(sum(m["strong_overall"] > m["weak_overall"] for m in per_panel.values()) / n, 4),
        "mean_margin": round(sum(m["margin"] for m in per_panel.values()) / n, 2),
        "min_margin": min((m["margin"] for m in per_panel.values()), default=0.0),
        "fallbacks_per_session": round(sum(m["fallbacks"] for m in per_panel.values()) / (2 * n), 3),
        "off_question_story_no_hire_rate": round(sum(m.get("off_question_no_hire", 0.0) for m in per_panel.values()) / n, 4),
    }
    return SuiteResult(name="sessions", metrics=metrics, per_panel=per_panel, failures=failures,
                       details={"backend": backend.name, "model": backend.model, "sessions": details},
                       seconds=time.perf_counter() - started)

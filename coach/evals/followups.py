"""Follow-up suite: after an answer that misses known signals, does the follow-up probe one of
them, and does it build on something the candidate said?

Fixtures: the graded answers in `evals/fixtures/scoring/<panel>.yaml`. A signal whose expected
level is 0 or 1 is one the answer is missing; answers missing none are skipped.
"""

from __future__ import annotations

import time
from collections import Counter

from ..config import Settings
from ..corpus import get_corpus
from ..followups import follow_up, recheck
from ..llm import LLMBackend
from ..models import PANEL_SLUGS
from ..seeding import derive
from .base import SuiteResult
from .scoring import load_scoring_fixtures

MISSING_LEVEL = 1  # expected level at or below this: the answer does not show the signal


def run(
    backend: LLMBackend,
    settings: Settings,
    panels: tuple[str, ...] = PANEL_SLUGS,
    per_panel: int | None = None,
    seed: int = 0,
) -> SuiteResult:
    started = time.perf_counter()
    corpus = get_corpus(settings.corpus_dir)
    fixtures = load_scoring_fixtures(settings.evals_dir / "fixtures", panels)
    rows: list[dict] = []
    failures: list[dict] = []
    for slug, fx in fixtures.items():
        panel = corpus.panel(slug)
        questions = {q.id: q.text for q in panel.sample_questions}
        cases = [a for a in fx["answers"] if any(v <= MISSING_LEVEL for v in a["signals"].values())]
        for a in cases[:per_panel]:
            missing = sorted(s for s, v in a["signals"].items() if v <= MISSING_LEVEL)
            question = questions.get(a["question"], "")
            fu = follow_up(slug, question, a["text"], None, "staff", derive(seed, a["id"]), backend, settings)
            problem = recheck(fu, question, a["text"], settings=settings, style=backend.style)
            row = {
                "panel": slug, "case": a["id"], "missing": missing, "signal": fu.signal,
                "targets_missing": fu.signal in missing, "refers_to_answer": fu.refers_to_answer,
                "shared_terms": fu.shared_terms, "fallback": fu.is_fallback, "problem": problem,
                "text": fu.text, "answer_detail": fu.answer_detail,
                "tried": fu.provenance.candidates_tried, "rejections": fu.provenance.rejections,
            }
            rows.append(row)
            if not row["targets_missing"]:
                failures.append({"suite": "followups", "panel": slug, "case": a["id"],
                                 "problem": f"probes {fu.signal}, which the answer shows; missing: {missing}", "text": fu.text})
            if problem:
                failures.append({"suite": "followups", "panel": slug, "case": a["id"],
                                 "problem": f"shown follow-up fails validation: {problem}", "text": fu.text})
    per_panel_metrics = {slug: _metrics([r for r in rows if r["panel"] == slug]) for slug in fixtures}
    return SuiteResult(
        name="followups",
        metrics=_metrics(rows),
        per_panel=per_panel_metrics,
        failures=failures,
        details={"backend": backend.name, "model": backend.model, "rows": rows,
                 "rejections": dict(sum((Counter(r["rejections"]) for r in rows), Counter()))},
        seconds=time.perf_counter() - started,
    )


def _metrics(rows: list[dict]) -> dict[str, float]:
    n = len(rows) or 1
    return {
        "cases": float(len(rows)),
        "targets_missing_signal_rate": round(sum(r["targets_missing"] for r in rows) / n, 4),
        "refers_to_answer_rate": round(sum(r["refers_to_answer"] for r in rows) / n, 4),
        "fallback_rate": round(sum(r["fallback"] for r in rows) / n, 4),
        "shown_valid_rate": round(sum(not r["problem"] for r in rows) / n, 4),
    }

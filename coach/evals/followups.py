"""Follow-up suite: after an answer that leaves known signals untouched, does the follow-up probe
one of them, and does it build on something the candidate said?

Fixtures: `evals/fixtures/followups/<panel>.yaml`. Each answer is labelled with the signals it
clearly shows and the ones it does not touch at all, so a follow-up is right when it probes a
signal from `missing`. These answers are written for this suite alone: the graded answers that
calibrate the scorer would measure the scorer against its own calibration set.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, model_validator

from coach.corpus.loader import Corpus
from coach.errors import EvalError
from coach.interviewer.followups import follow_up, recheck
from coach.root import Coach
from coach.corpus.schema import PANEL_SLUGS
from coach.seeding import derive
from coach.evals.base import SuiteResult, embed_together, load_fixture


class FollowUpCase(BaseModel):
    id: str
    question: str = Field(description="id of one of the panel's sample questions")
    shows: list[str] = Field(description="signals the answer clearly demonstrates")
    missing: list[str] = Field(min_length=1, description="signals the answer does not touch at all")
    answer: str = Field(min_length=1)

    @model_validator(mode="after")
    def _disjoint(self) -> FollowUpCase:
        both = set(self.shows) & set(self.missing)
        if both:
            raise ValueError(f"signals listed as both shown and missing: {sorted(both)}")
        return self


class FollowUpFixture(BaseModel):
    panel: str
    cases: list[FollowUpCase] = Field(min_length=1)


def load_followup_fixtures(fixtures_dir: Path, corpus: Corpus, panels: tuple[str, ...] = PANEL_SLUGS) -> dict[str, FollowUpFixture]:
    """The labelled answers per panel, checked against the corpus: every signal of the panel is
    labelled exactly once, and every question id exists. A bad file names the case and the field."""
    out = {}
    for slug in panels:
        path = fixtures_dir / "followups" / f"{slug}.yaml"
        try:
            fx = FollowUpFixture.model_validate(load_fixture(path))
        except ValidationError as err:
            raise EvalError(f"Eval fixture {path} is malformed: {err}", "Fix the fields named above; see the other panels' files for the shape.") from err
        panel = corpus.panel(slug)
        signals = {s.id for s in panel.signals}
        questions = {q.id for q in panel.sample_questions}
        for case in fx.cases:
            labelled = set(case.shows) | set(case.missing)
            problem = (
                f"panel {fx.panel!r} in a file for {slug!r}" if fx.panel != slug
                else f"unknown question {case.question!r}" if case.question not in questions
                else f"unknown signals {sorted(labelled - signals)}" if labelled - signals
                else f"unlabelled signals {sorted(signals - labelled)}" if signals - labelled
                else None
            )
            if problem:
                raise EvalError(f"Eval fixture {path}, case {case.id}: {problem}.",
                                f"Label every signal of the panel ({', '.join(sorted(signals))}) as shown or missing.")
        out[slug] = fx
    return out


def run(
    coach: Coach,
    panels: tuple[str, ...] = PANEL_SLUGS,
    per_panel: int | None = None,
    seed: int = 0,
) -> SuiteResult:
    started = time.perf_counter()
    backend, corpus = coach.backend, coach.corpus
    fixtures = load_followup_fixtures(coach.settings.evals_dir / "fixtures", corpus, panels)
    rows: list[dict] = []
    failures: list[dict] = []
    embed_together(coach.embedder, [case.answer for fx in fixtures.values() for case in fx.cases[:per_panel]])
    for slug, fx in fixtures.items():
        questions = {q.id: q for q in corpus.panel(slug).sample_questions}
        bank = corpus.items.get(slug)
        bank_frames = {f.id for f in bank.frames} if bank is not None else set()
        bank_frames |= {f.id for f in corpus.anchors.frames} if corpus.anchors is not None else set()
        for case in fx.cases[:per_panel]:
            question = questions[case.question]
            fu = follow_up(coach, corpus.panel(slug), question.text, case.answer, None, "staff", derive(seed, case.id))
            problem = recheck(coach, fu, question.text, case.answer)
            row = {
                "panel": slug, "case": case.id, "missing": sorted(case.missing), "signal": fu.signal,
                "targets_missing": fu.signal in case.missing, "refers_to_answer": fu.refers_to_answer,
                "shared_terms": fu.shared_terms, "fallback": fu.is_fallback, "problem": problem,
                "composition": fu.composition, "said_back": bool(fu.answer_point), "anchored": fu.composed_as == "anchored",
                "from_bank": fu.provenance.source in bank_frames,
                "text": fu.text, "answer_detail": fu.answer_detail,
                "tried": fu.provenance.candidates_tried, "rejections": fu.provenance.rejections,
            }
            rows.append(row)
            if not row["targets_missing"]:
                failures.append({"suite": "followups", "panel": slug, "case": case.id,
                                 "problem": f"probes {fu.signal}, which the answer shows; missing: {row['missing']}", "text": fu.text})
            if problem:
                failures.append({"suite": "followups", "panel": slug, "case": case.id,
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
        "says_back_rate": round(sum(r["said_back"] for r in rows) / n, 4),
        # Names a component or person from the answer (corpus/anchors.yaml), said back or not.
        "anchored_rate": round(sum(r.get("anchored", False) for r in rows) / n, 4),
        "rewrite_rate": round(sum(r["composition"] == "rewrite" for r in rows) / n, 4),
        # Asked from the item bank's or the anchored frames, not the panel's few tagged follow-ups (its fallback).
        "bank_frame_rate": round(sum(r.get("from_bank", False) for r in rows) / n, 4),
    }

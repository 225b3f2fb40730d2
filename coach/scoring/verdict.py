"""From signal levels to the interviewer's conclusion: overall, band, whether the question was
answered, and a hire recommendation with the reasons that decided it.

Every scorer ends here (the evidence scorer, and the judge and combined scorers on their levels),
and so does a whole session once its turns are pooled (`pooling`), so one answer and one interview
are concluded by the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from coach.corpus.schema import Panel
from coach.scoring.aggregate import overall_score
from coach.scoring.asks import AskResult
from coach.scoring.settings import ScoringSettings

Answered = Literal["yes", "partly", "no", "not checked"]
DID_NOT_ANSWER = "did not answer the question"


class Recommendation(BaseModel):
    """What an interviewer writes at the end of the feedback: the decision and why."""

    decision: str = Field(description="strong-hire, hire, lean-no or no-hire for this panel")
    reasons: list[str] = Field(default_factory=list, description="the two or three things that decided it")
    rule: str = Field(default="", description="how the decision follows from the levels")


def answered(asks: Sequence[AskResult]) -> Answered:
    if not asks:
        return "not checked"
    hit = sum(a.addressed for a in asks)
    return "yes" if hit == len(asks) else ("no" if hit == 0 else "partly")


def align_overall(overall: int, asks: Sequence[AskResult], s: ScoringSettings) -> tuple[int, list[str]]:
    """The overall after question alignment: a partial answer loses in proportion to the asks it
    left out; an answer that addresses none of them cannot score above lean-no."""
    state = answered(asks)
    if state in ("yes", "not checked"):
        return overall, []
    missed = sum(not a.addressed for a in asks)
    factor = 1 - s.alignment.partial_penalty * missed / len(asks)
    aligned = int(round(overall * factor))
    if state == "no":
        cap = int(s.bands.hire) - 1
        note = f"{DID_NOT_ANSWER}: none of its {len(asks)} ask(s) was addressed, so it cannot score above lean-no"
        return min(aligned, cap), [note]
    return aligned, [f"addressed {len(asks) - missed} of {len(asks)} asks of the question: overall x{factor:.2f}"]


def conclude(panel: Panel, levels: Sequence[int], depth: float, n_failures: int, asks: Sequence[AskResult],
             s: ScoringSettings, probed: str | None = None) -> tuple[int, list[str]]:
    """Overall (0-100) and notes. A follow-up answer (`probed` = the signal its follow-up asked
    about) is judged on that signal and its depth: it is not penalised for leaving the others out."""
    if probed is not None:
        weights = [1.0 if sig.id == probed else 0.0 for sig in panel.signals]
        overall, notes = overall_score(panel, levels, depth, n_failures, s.overall, weights)
        notes = [*notes, f"a follow-up answer: judged on the signal it probed ({probed}), not on the others"]
    else:
        overall, notes = overall_score(panel, levels, depth, n_failures, s.overall)
    overall, more = align_overall(overall, asks, s)
    return overall, notes + more


def recommend(panel: Panel, overall: int | None, levels: dict[str, int | None], quotes: dict[str, list[str]],
              s: ScoringSettings, off_question: int = 0, answered_total: int = 1) -> Recommendation | None:
    """The decision for the panel and the reasons that decided it: the strongest signals with a
    quote, the heaviest gaps, and answers that missed their question."""
    if overall is None:
        return None
    decision = s.bands.band(overall)
    rule = (f"band of the overall: strong-hire >= {s.bands.strong_hire:g}, hire >= {s.bands.hire:g}, "
            f"lean-no >= {s.bands.lean_no:g}; an interview where most answers missed their question is no-hire")
    if answered_total and off_question * 2 > answered_total:
        decision = "no-hire"
    reasons: list[str] = []
    if off_question:
        reasons.append(f"{off_question} of {answered_total} answer(s) {DID_NOT_ANSWER}")
    by_weight = sorted(panel.signals, key=lambda sig: -sig.weight)
    strong = [sig for sig in by_weight if (levels.get(sig.id) or 0) >= 3]
    gaps = [sig for sig in by_weight if (levels.get(sig.id) or 0) <= 1]
    for sig in strong[:2]:
        quote = quotes.get(sig.id, [""])[0] if quotes.get(sig.id) else ""
        reasons.append(f"strong on {sig.name} (level {levels[sig.id]})" + (f': "{_short(quote)}"' if quote else ""))
    for sig in gaps[: 3 - min(len(reasons), 2)]:
        reasons.append(f"gap on {sig.name} (level {levels.get(sig.id) or 0}): {sig.strong[0].lower()}{sig.strong[1:]}")
    if not reasons:
        mid = sorted(panel.signals, key=lambda sig: -(levels.get(sig.id) or 0))[0]
        reasons.append(f"solid but not strong: best signal {mid.name} at level {levels.get(mid.id) or 0}")
    return Recommendation(decision=decision, reasons=reasons[:3], rule=rule)


def _short(text: str, words: int = 18) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")

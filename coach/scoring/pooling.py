"""The interview scored as an interviewer writes feedback: per signal, the evidence of every turn
pooled, each quote labelled with the question it answered; the overall and band from those pooled
levels; a recommendation with the reasons that decided it.

Pooling rules: a signal's level is the best level any turn showed (best evidence wins; the same
story told twice is not more evidence, so repeated quotes count once). A turn that did not answer
its question adds no evidence: it is listed, and it weighs on the recommendation. Depth is the best
depth of an answered turn; a failure mode counts once however often it shows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

from coach.corpus.schema import Panel
from coach.scoring.aggregate import overall_score
from coach.scoring.scorecard import Scorecard
from coach.scoring.settings import ScoringSettings
from coach.scoring.verdict import Recommendation, recommend

QUOTES_PER_SIGNAL = 3
POOLING_VERSION = 1  # bump when the pooling rules below change: stored pooled results are recomputed


@dataclass(frozen=True)
class ScoredTurn:
    """One answered turn: what was asked, how it was labelled, and its scorecard."""

    label: str  # e.g. "Q1", "Q1 follow-up"
    prompt: str
    card: Scorecard


class LabelledQuote(BaseModel):
    text: str
    turn: str = Field(description="the turn it answered, e.g. 'Q2 follow-up'")
    question: str = Field(description="the question or follow-up it answered")


class PooledSignal(BaseModel):
    id: str
    name: str
    level: int | None = Field(description="best level shown in any answered turn; null when no turn was scored")
    evidence: list[LabelledQuote] = Field(default_factory=list)


class SessionScore(BaseModel):
    """The interview's scorecard."""

    panel: str
    overall: int | None = Field(description="0-100 from the pooled signal levels; null when no turn was scored")
    band: str | None
    signals: list[PooledSignal]
    failure_modes: list[str] = Field(default_factory=list)
    off_question: list[str] = Field(default_factory=list, description="turns whose answer did not address the question")
    scored_turns: int = 0
    recommendation: Recommendation | None = None


def pool(panel: Panel, turns: Sequence[ScoredTurn], s: ScoringSettings) -> SessionScore:
    scored = [t for t in turns if t.card.overall is not None]
    off = [t for t in scored if t.card.answered == "no"]
    counted = [t for t in scored if t.card.answered != "no"]
    signals: list[PooledSignal] = []
    for sig in panel.signals:
        seen: set[str] = set()
        quotes: list[tuple[int, LabelledQuote]] = []
        best: int | None = None
        for t in counted:
            level = t.card.level_of(sig.id)
            if level is None:
                continue
            best = max(best or 0, level)
            for q in next(r.evidence for r in t.card.signals if r.id == sig.id):
                if q not in seen:
                    seen.add(q)
                    quotes.append((level, LabelledQuote(text=q, turn=t.label, question=t.prompt)))
        if best is None and scored:
            best = 0  # turns were scored but none that answered its question showed this signal
        quotes.sort(key=lambda lq: -lq[0])  # quotes from the turns that showed the signal best first
        signals.append(PooledSignal(id=sig.id, name=sig.name, level=best, evidence=[q for _, q in quotes[:QUOTES_PER_SIGNAL]]))
    failures = list(dict.fromkeys(f.name for t in counted for f in t.card.failure_modes))
    if not scored:
        return SessionScore(panel=panel.slug, overall=None, band=None, signals=signals)
    levels = [sig.level or 0 for sig in signals]
    depth = max((t.card.depth or 0.0 for t in counted), default=0.0)
    overall, _ = overall_score(panel, levels, depth, len(failures), s.overall)
    rec = recommend(panel, overall, {p.id: p.level for p in signals}, {p.id: [q.text for q in p.evidence] for p in signals},
                    s, off_question=len(off), answered_total=len(scored))
    band = rec.decision if rec else s.bands.band(overall)
    return SessionScore(panel=panel.slug, overall=overall, band=band, signals=signals, failure_modes=failures,
                        off_question=[t.label for t in off], scored_turns=len(scored), recommendation=rec)


def pooling_key(panel: Panel, s: ScoringSettings) -> str:
    """What a pooled result depends on besides the turns' own scorecards: these rules, the panel's
    signals and weights, the overall formula and the band cut-offs. A result stored under another
    key is stale (a recalibrated `corpus/scoring.yaml`, a new signal)."""
    inputs = {"version": POOLING_VERSION, "signals": [[sig.id, sig.weight] for sig in panel.signals],
              "overall": s.overall.model_dump(mode="json"), "bands": s.bands.model_dump(mode="json")}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]

"""The scorecard: one pydantic model shared by every scorer and every interface."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from coach.scoring.asks import AskResult
from coach.scoring.verdict import Answered, Recommendation

Band = Literal["strong-hire", "hire", "lean-no", "no-hire"]


class Suggestion(BaseModel):
    """A next step for one weak signal, built from the answer's own words."""

    signal: str
    quote: str = Field(default="", description="the answer's own words the suggestion starts from")
    text: str


class ScorerInfo(BaseModel):
    name: str
    version: str


class SignalResult(BaseModel):
    """How well the answer showed one evaluation signal."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    level: int | None = Field(description="0-4, or null when the scorer abstained")
    evidence: list[str] = Field(default_factory=list, description="verbatim quotes from the answer")
    status: Literal["evidenced", "weak", "missing", "insufficient evidence"] = "missing"
    strength: float | None = Field(
        default=None, description="the evidence behind the level, finer than the level (evidence scorer only)"
    )
    strong_answer_includes: str = Field(default="", description="what a strong answer shows (from the corpus)")
    scored_by: str = "evidence"
    reason: str = ""


class FailureModeHit(BaseModel):
    id: str
    name: str
    cues: list[str] = Field(default_factory=list, description="what in the answer revealed it")


class _Derived:
    """Data a card carries that follows from its inputs (vectors): not part of comparing cards."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other) -> bool:
        return isinstance(other, _Derived)

    __hash__ = None  # type: ignore[assignment]


class Scorecard(BaseModel):
    model_config = ConfigDict(extra="forbid")

    panel: str
    question: str = ""
    overall: int | None = Field(description="0-100, or null when the scorer abstained")
    band: Band | None
    abstained: bool = False
    abstain_reason: str = ""
    signals: list[SignalResult]
    failure_modes: list[FailureModeHit] = Field(default_factory=list)
    scorer: ScorerInfo
    notes: list[str] = Field(default_factory=list, description="e.g. ignored instructions, dropped quotes")
    asks: list[AskResult] = Field(default_factory=list, description="the question's asks, each addressed or not")
    answered: Answered = Field(default="not checked", description="did the answer address the question's asks")
    probed_signal: str | None = Field(default=None, description="a follow-up answer: the signal it was judged on")
    recommendation: Recommendation | None = None
    coaching: list[Suggestion] = Field(default_factory=list, description="per weak signal, a next step built from the answer")
    depth: float | None = Field(default=None, description="share of full depth (specific, on-panel sentences), 0-1")
    grader_text: list[str] = Field(
        default_factory=list, description="text addressed to the grader, removed before scoring: never evidence"
    )
    # The answer's sentences as the scorer embedded them: in this process only, never saved, so a
    # follow-up to the same answer reuses them instead of embedding them again.
    _vectors: _Derived = PrivateAttr(default_factory=lambda: _Derived({}))

    @property
    def sentence_vectors(self) -> dict:
        """Sentence text -> its vector, as the scorer embedded it (empty for a card read back)."""
        return self._vectors.value

    def with_vectors(self, vectors: dict) -> "Scorecard":
        self._vectors = _Derived(vectors)
        return self

    def contract(self) -> dict:
        """The JSON shape other tools rely on (`coach score --json`)."""
        return {
            "panel": self.panel,
            "overall": self.overall,
            "band": self.band,
            "signals": [
                {
                    "id": s.id,
                    "name": s.name,
                    "level": s.level,
                    "evidence": s.evidence,
                    "status": s.status,
                    "strong_answer_includes": s.strong_answer_includes,
                    "scored_by": s.scored_by,
                    "reason": s.reason,
                }
                for s in self.signals
            ],
            "failure_modes": [f.model_dump() for f in self.failure_modes],
            "scorer": self.scorer.model_dump(),
            "abstained": self.abstained,
            "abstain_reason": self.abstain_reason,
            "notes": self.notes,
            "asks": [{"text": a.text, "addressed": a.addressed, "evidence": a.evidence} for a in self.asks],
            "answered": self.answered,
            "recommendation": self.recommendation.model_dump() if self.recommendation else None,
            "coaching": [c.model_dump() for c in self.coaching],
            "probed_signal": self.probed_signal,
            "grader_text": self.grader_text,
        }

    def level_of(self, signal_id: str) -> int | None:
        return next(s.level for s in self.signals if s.id == signal_id)

"""From signal levels to one overall score: the formula every scorer shares, so a judge's levels
and the evidence scorer's levels land on the same scale and the same band cut-offs."""

from __future__ import annotations

from collections.abc import Sequence

from coach.corpus.schema import Panel
from coach.scoring.settings import Overall


def overall_score(panel: Panel, levels: Sequence[int], depth_part: float, n_failures: int, o: Overall,
                  weights: Sequence[float] | None = None) -> tuple[int, list[str]]:
    """Weighted signal levels, plus depth (specific, on-panel material across the whole answer,
    0-1), minus a fixed penalty per failure mode shown. Every term only falls when evidence is
    deleted, so the score is monotone in evidence whoever supplied the levels. `weights` replaces
    the panel's signal weights (a follow-up answer weighs only the signal it probed)."""
    weights = [s.weight for s in panel.signals] if weights is None else list(weights)
    signal_part = sum(w * level for w, level in zip(weights, levels)) / (4 * sum(weights))
    raw = 100 * ((1 - o.depth_weight) * signal_part + o.depth_weight * depth_part) - o.failure_penalty * n_failures
    notes = [f"{n_failures} failure mode(s) cost {o.failure_penalty * n_failures:g} points"] if n_failures else []
    return int(round(max(0.0, min(100.0, raw)))), notes

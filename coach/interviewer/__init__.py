"""Stage 3, the interviewer: questions composed from item models, follow-ups composed from what the
candidate said, an optional gated LLM rewrite, and the checks everything shown passes.

The thresholds its checks use are exported for the evals that measure them."""

from coach.interviewer._reference import ON_PANEL_THRESHOLD, SESSION_DUPLICATE, SHOT_DUPLICATE, panel_reference

__all__ = ["ON_PANEL_THRESHOLD", "SESSION_DUPLICATE", "SHOT_DUPLICATE", "panel_reference"]

"""Stage 3, the interviewer: questions and follow-ups, planned, generated, checked, labelled.

The thresholds its checks use are exported for the evals that measure them."""

from coach.interviewer._reference import (
    COHERENCE_FLOOR,
    ON_PANEL_THRESHOLD,
    SESSION_DUPLICATE,
    SHOT_DUPLICATE,
    panel_reference,
)

__all__ = ["COHERENCE_FLOOR", "ON_PANEL_THRESHOLD", "SESSION_DUPLICATE", "SHOT_DUPLICATE", "panel_reference"]

"""Stage 4, scoring: answers against a panel's evaluation signals, with quoted evidence."""

from coach.scoring.api import SCORERS, Scorer, check_scorer
from coach.scoring.scorecard import Scorecard, SignalResult

__all__ = ["SCORERS", "Scorecard", "Scorer", "SignalResult", "check_scorer"]

"""Scoring answers against a panel's evaluation signals, with quoted evidence."""

from .api import get_scorer, score_answer
from .scorecard import Scorecard, SignalResult

__all__ = ["Scorecard", "SignalResult", "get_scorer", "score_answer"]

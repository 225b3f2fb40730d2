"""Scoring answers against a panel's evaluation signals, with quoted evidence."""

from .scorecard import Scorecard, SignalResult

__all__ = ["Scorecard", "SignalResult"]

"""Staff interview coach: grounded mock questions, adaptive follow-ups and evidence-based scoring."""

__version__ = "0.1.0"

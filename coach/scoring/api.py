"""Choosing a scorer. The composition root (`coach.root.Coach`) builds them; this module only
knows which names exist and which backends can serve them."""

from __future__ import annotations

from typing import Protocol

from coach.config import Settings
from coach.corpus.schema import Panel
from coach.errors import unknown_choice
from coach.scoring.scorecard import Scorecard

SCORERS: tuple[str, ...] = ("evidence", "judge", "combined")


class Scorer(Protocol):
    def score(self, panel: Panel, answer: str, question: str = "", *, asks: list[str] | None = None,
              probed: str | None = None) -> Scorecard: ...

    def prepare_question(self, question: str, asks: list[str] | None = None) -> None:
        """Do now what scoring an answer to `question` will need of the question alone."""


def check_scorer(name: str, settings: Settings) -> str:
    """`name` if it is a scorer this configuration can run. The judge and combined scorers refuse
    the embedded backend, whose bundled base model cannot judge; checked before anything loads."""
    if name not in SCORERS:
        raise unknown_choice("scorer", name, SCORERS)
    if name != "evidence" and settings.backend == "embedded":
        from coach.scoring.judge import capable_backend_required

        raise capable_backend_required()
    return name

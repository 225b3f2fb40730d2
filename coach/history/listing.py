"""The saved sessions as a list: one row each, newest first, with its score and band.

A session's score is the mean overall score of its scored answers (as the session summary shows
it), and its band is that score against the band cut-offs in `corpus/scoring.yaml`. A session that
is not finished is `active`: it was interrupted (or is still going) and can be resumed.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    from coach.root import Coach


class HistoryRow(BaseModel):
    id: str
    date: str  # local time the session started, "YYYY-MM-DD HH:MM"
    created_at: float
    updated_at: float
    panel: str
    level: str
    score: float | None  # mean overall of the scored answers, None when none was scored
    band: str | None
    status: str  # "finished" or "active" (resumable)
    answered: int
    turns: int
    backend: str | None
    model: str | None

    @property
    def resumable(self) -> bool:
        return self.status != "finished"


def history(coach: Coach) -> list[HistoryRow]:
    bands = coach.scoring_settings.bands
    rows = [
        HistoryRow(
            id=s["id"], date=datetime.fromtimestamp(s["created_at"]).strftime("%Y-%m-%d %H:%M"),
            created_at=s["created_at"], updated_at=s["updated_at"], panel=s["panel"], level=s["level"],
            score=s["overall"], band=None if s["overall"] is None else bands.band(s["overall"]), status=s["status"],
            answered=s["answered"], turns=s["turns"], backend=s["backend"], model=s["model"],
        )
        for s in coach.list_sessions()
    ]
    return sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)

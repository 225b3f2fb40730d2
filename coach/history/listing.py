"""The saved sessions as a list: one row each, newest first, with its score and band.

A session's score and band are the interview's, as its wrap-up shows them: every answer's evidence
pooled per signal (`coach.scoring.pooling`), so a session listed here and the same session shown
agree. A session that is not finished is `active`: it was interrupted (or is still going) and can
be resumed.
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
    score: float | None  # the interview's pooled score (0-100), None when no answer was scored
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
    rows = []
    for s in coach.list_sessions():
        session = coach.load_session(s["id"])
        score = session.score()
        rows.append(HistoryRow(
            id=s["id"], date=datetime.fromtimestamp(s["created_at"]).strftime("%Y-%m-%d %H:%M"),
            created_at=s["created_at"], updated_at=s["updated_at"], panel=s["panel"], level=s["level"],
            score=score.overall, band=score.band, status=session.status,
            answered=s["answered"], turns=s["turns"], backend=s["backend"], model=s["model"],
        ))
    return sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)

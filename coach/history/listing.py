"""The saved sessions as a list: one row each, newest first, with its score, band and levels.

A session's score and band are the interview's, as its wrap-up shows them: every answer's evidence
pooled per signal (`coach.scoring.pooling`), so a session listed here and the same session shown
agree. A session that is not finished is `active`: it was interrupted (or is still going) and can
be resumed.

Listing reads the pooled result each session stored with its last answer, in one query (1,000
sessions list in well under a second; `bench/history.py`). A session without one (saved before
schema 7, or imported) or with one computed under other pooling rules (`pooling_key`: a
recalibrated band cut-off, say) is loaded and pooled here, and the result stored, so only the
first listing after an upgrade, an import or a recalibration pays for it. An active session with
every shown turn answered is loaded too: if it was answered to its end but not marked finished
(the process stopped in between), loading it marks it finished.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from coach.errors import StorageError
from coach.scoring.pooling import pooling_key

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
    levels: dict[str, int | None] = Field(default_factory=dict, description="signal id -> pooled level (0-4), None if unscored")

    @property
    def resumable(self) -> bool:
        return self.status != "finished"


def history(coach: Coach) -> list[HistoryRow]:
    listed = coach.store.list()
    keys = {slug: pooling_key(coach.panel(slug), coach.scoring_settings) for slug in {s["panel"] for s in listed}}
    recomputed = []
    rows = []
    for s in listed:
        pooled, status = s["pooled"], s["status"]
        stale = pooled is None or pooled.key != keys[s["panel"]]
        if stale or (status != "finished" and s["answered"] == s["turns"]):
            session = coach.load_session(s["id"])
            status = session.status
            if stale:
                pooled = session.pooled()
                recomputed.append((s["id"], s["updated_at"], pooled))
        rows.append(HistoryRow(
            id=s["id"], date=datetime.fromtimestamp(s["created_at"]).strftime("%Y-%m-%d %H:%M"),
            created_at=s["created_at"], updated_at=s["updated_at"], panel=s["panel"], level=s["level"],
            score=pooled.score, band=pooled.band, status=status, answered=s["answered"], turns=s["turns"],
            backend=s["backend"], model=s["model"], levels=pooled.levels,
        ))
    if recomputed and not coach.store.read_only:  # a read-only data dir is listed, just not updated
        with contextlib.suppress(StorageError):  # nor a full disk: the results are recomputed next time
            coach.store.set_pooled(recomputed)
    return sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)

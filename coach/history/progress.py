"""Progress over weeks of practice, from the saved sessions' pooled results (`listing.history`):

- per signal, its pooled level in each session on the panel, oldest first (the trend);
- the mock pass rate: per ISO week (local time the session started), the share of sessions whose
  interview band is hire or strong-hire;
- the panel x signal coverage heatmap: per signal of each panel, the latest and best pooled level
  and in how many sessions it was evidenced (pooled level at or above the scorer's evidenced level).

Only finished sessions with a score count: an unfinished session's score is partial, and a session
whose every answer abstained has none. Both are counted apart, so the totals stay honest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, computed_field

from coach.corpus.schema import PANEL_SLUGS, Panel
from coach.history.listing import HistoryRow, history

if TYPE_CHECKING:
    from coach.root import Coach

PASSING = ("hire", "strong-hire")


class Point(BaseModel):
    session: str
    date: str
    level: int | None


class SignalTrend(BaseModel):
    panel: str
    signal: str
    name: str
    points: list[Point] = Field(description="one per counted session on the panel, oldest first")

    @property
    def levels(self) -> list[int | None]:
        return [p.level for p in self.points]

    @computed_field
    @property
    def change(self) -> int | None:
        """Latest level minus the first, over the sessions that scored the signal."""
        known = [lv for lv in self.levels if lv is not None]
        return known[-1] - known[0] if known else None


class WeekRate(BaseModel):
    week: str = Field(description="ISO week, e.g. 2026-W07")
    sessions: int
    passed: int = Field(description="sessions at hire or better")

    @computed_field
    @property
    def rate(self) -> float:
        return self.passed / self.sessions


class Cell(BaseModel):
    panel: str
    signal: str
    name: str
    sessions: int = Field(description="counted sessions on the panel")
    evidenced: int = Field(description="of those, sessions whose pooled level reached the evidenced level")
    best: int | None
    latest: int | None


class Progress(BaseModel):
    panel: str | None = Field(description="the panel it is limited to, or None for all")
    sessions: int = Field(description="finished, scored sessions counted")
    unfinished: int = 0
    unscored: int = Field(default=0, description="finished sessions with no scored answer")
    evidenced_level: int
    trends: list[SignalTrend]
    pass_rate: list[WeekRate]
    heatmap: list[Cell]

    @computed_field
    @property
    def passed(self) -> int:
        return sum(w.passed for w in self.pass_rate)


def iso_week(timestamp: float) -> str:
    year, week, _ = datetime.fromtimestamp(timestamp).isocalendar()
    return f"{year}-W{week:02d}"


def compute(rows: Sequence[HistoryRow], panels: Sequence[Panel], evidenced_level: int, panel: str | None = None) -> Progress:
    """Progress from listed sessions (any order); `panels` in the order to show them."""
    mine = [r for r in rows if panel is None or r.panel == panel]
    counted = sorted((r for r in mine if r.status == "finished" and r.score is not None), key=lambda r: (r.created_at, r.id))
    weeks: dict[str, list[HistoryRow]] = {}
    for r in counted:
        weeks.setdefault(iso_week(r.created_at), []).append(r)
    trends: list[SignalTrend] = []
    heatmap: list[Cell] = []
    for p in panels:
        if panel is not None and p.slug != panel:
            continue
        on_panel = [r for r in counted if r.panel == p.slug]
        for sig in p.signals:
            # Built unvalidated: the values are the listing's own, and validating thousands of
            # points would take much of the Progress tab's time budget.
            points = [Point.model_construct(session=r.id, date=r.date, level=r.levels.get(sig.id)) for r in on_panel]
            known = [pt.level for pt in points if pt.level is not None]
            if points:
                trends.append(SignalTrend(panel=p.slug, signal=sig.id, name=sig.name, points=points))
            heatmap.append(Cell(panel=p.slug, signal=sig.id, name=sig.name, sessions=len(on_panel),
                                evidenced=sum(lv >= evidenced_level for lv in known),
                                best=max(known, default=None), latest=known[-1] if known else None))
    return Progress(
        panel=panel, sessions=len(counted), evidenced_level=evidenced_level,
        unfinished=sum(r.status != "finished" for r in mine),
        unscored=sum(r.status == "finished" and r.score is None for r in mine),
        trends=trends, heatmap=heatmap,
        pass_rate=[WeekRate(week=w, sessions=len(rs), passed=sum(r.band in PASSING for r in rs)) for w, rs in sorted(weeks.items())],
    )


def progress(coach: Coach, panel: str | None = None, rows: Sequence[HistoryRow] | None = None) -> Progress:
    """Progress over the saved sessions (or `rows`, already listed), on one panel or all."""
    if panel is not None:
        panel = coach.panel(panel).slug  # an unknown panel is an error that lists the valid ones
    rows = history(coach) if rows is None else rows
    return compute(rows, [coach.panel(slug) for slug in PANEL_SLUGS], coach.scoring_settings.evidence.evidenced_level, panel)

"""The debrief packet of a loop, as a hiring committee reads it: per panel the decision and the two
or three reasons that decided it, with quotes; the themes that repeat across panels as strengths or
gaps; and an overall recommendation with the rule that produced it.

Overall rule (RULE below, written into every packet):
  - incomplete (no decision) while a panel is unfinished or could not be scored;
  - no-hire when any panel is no-hire;
  - strong-hire when every panel is at hire or better and a majority are strong-hire;
  - hire when at most one panel is lean-no, a majority are at hire or better, and the bar-raiser
    (when the loop has one) is not lean-no: the bar-raiser holds a veto, as in the loops that have one;
  - lean-no otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from statistics import mean
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from coach.loop.themes import load_themes
from coach.scoring.pooling import LabelledQuote, SessionScore

if TYPE_CHECKING:
    from coach.loop.onsite import Loop

FORMAT, VERSION = "staff-coach-debrief", 1
RANK = {"no-hire": 0, "lean-no": 1, "hire": 2, "strong-hire": 3}
STRONG_LEVEL, GAP_LEVEL = 3, 1  # a theme is a strength on a panel at level >= 3, a gap at <= 1
REPEATS = 2  # panels a theme must show on to count as repeating
RULE = ("no-hire when any panel is no-hire; strong-hire when every panel is at hire or better and a majority "
        "are strong-hire; hire when at most one panel is lean-no, a majority are at hire or better and the "
        "bar-raiser (if in the loop) is not lean-no; otherwise lean-no. No decision while a panel is "
        "unfinished or unscored.")
THEME_RULE = (f"a theme (corpus/loop_themes.yaml: signals of different panels that show the same quality) repeats "
              f"as a strength when {REPEATS} or more panels reach level {STRONG_LEVEL} on one of its signals, and as a "
              f"gap when {REPEATS} or more panels show none of its signals above level {GAP_LEVEL}")


class PanelQuote(BaseModel):
    signal: str = Field(description="the signal's name")
    level: int | None
    quote: LabelledQuote


class PanelDebrief(BaseModel):
    panel: str
    name: str
    session_id: str | None = None
    status: Literal["finished", "in progress", "not started"]
    overall: int | None = None
    decision: str | None = Field(default=None, description="strong-hire, hire, lean-no, no-hire; null when not scored")
    reasons: list[str] = Field(default_factory=list, description="the two or three things that decided it")
    quotes: list[PanelQuote] = Field(default_factory=list, description="the evidence behind its strongest signals")
    rule: str = ""
    levels: dict[str, int | None] = Field(default_factory=dict, description="signal id -> pooled level")


class ThemeOnPanel(BaseModel):
    panel: str
    signal: str
    level: int
    quote: LabelledQuote | None = None


class ThemeFinding(BaseModel):
    id: str
    name: str
    kind: Literal["strength", "gap", "mixed"]
    strong_on: list[ThemeOnPanel] = Field(default_factory=list)
    gap_on: list[ThemeOnPanel] = Field(default_factory=list)


class OverallRecommendation(BaseModel):
    decision: str | None = Field(description="the loop's decision; null while the loop is incomplete")
    reasons: list[str] = Field(default_factory=list)
    rule: str = RULE
    mean_score: float | None = Field(default=None, description="mean overall of the scored panels")


class Debrief(BaseModel):
    format: str = FORMAT
    version: int = VERSION
    loop_id: str
    level: str
    created_at: str
    finished: bool
    panels: list[PanelDebrief]
    strengths: list[ThemeFinding] = Field(default_factory=list)
    gaps: list[ThemeFinding] = Field(default_factory=list)
    mixed: list[ThemeFinding] = Field(default_factory=list, description="strong on some panels, a gap on others")
    theme_rule: str = THEME_RULE
    recommendation: OverallRecommendation

    @property
    def rank(self) -> int:
        """The decision as a number (no-hire 0 ... strong-hire 3), -1 when incomplete: for comparing candidates."""
        return RANK.get(self.recommendation.decision or "", -1)


def build_debrief(loop: Loop) -> Debrief:
    coach = loop.coach
    scores: dict[str, SessionScore] = {}
    panels: list[PanelDebrief] = []
    for slug, session in zip(loop.panels, loop.sessions):
        panel = coach.panel(slug)
        if session is None:
            panels.append(PanelDebrief(panel=slug, name=panel.name, status="not started"))
            continue
        score = session.score()
        scores[slug] = score
        entry = _panel(panel, session.id, "finished" if session.finished else "in progress", score)
        if score.overall is None:  # say why nothing was scored rather than leave the panel blank
            why = dict.fromkeys(t.scorecard.abstain_reason for t in session.turns if t.scorecard and t.scorecard.abstain_reason)
            entry.reasons = [f"not scored: {r}" for r in why] or ["not scored: no answer yet"]
        panels.append(entry)
    findings = [f for f in (_theme(t, scores, {s: coach.panel(s) for s in scores}) for t in load_themes(coach.corpus)) if f]
    return Debrief(
        loop_id=loop.id, level=loop.level, finished=loop.finished, panels=panels,
        created_at=dt.datetime.fromtimestamp(loop.created_at, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        strengths=[f for f in findings if f.kind == "strength"], gaps=[f for f in findings if f.kind == "gap"],
        mixed=[f for f in findings if f.kind == "mixed"], recommendation=recommend_loop(panels),
    )


def _panel(panel, session_id: str, status: str, score: SessionScore) -> PanelDebrief:
    rec = score.recommendation
    weight = {s.id: s.weight for s in panel.signals}
    shown = sorted((s for s in score.signals if s.evidence and (s.level or 0) >= 2), key=lambda s: (-(s.level or 0), -weight[s.id]))
    quotes = [PanelQuote(signal=s.name, level=s.level, quote=s.evidence[0]) for s in shown[:3]]
    return PanelDebrief(panel=panel.slug, name=panel.name, session_id=session_id, status=status, overall=score.overall,
                        decision=rec.decision if rec else None, reasons=rec.reasons if rec else [],
                        rule=rec.rule if rec else "", quotes=quotes, levels={s.id: s.level for s in score.signals})


def _theme(theme, scores: dict[str, SessionScore], panels: dict) -> ThemeFinding | None:
    strong: list[ThemeOnPanel] = []
    gaps: list[ThemeOnPanel] = []
    for slug, ids in theme.signals.items():
        score = scores.get(slug)
        if score is None or score.overall is None:
            continue  # a panel not started or not scored shows nothing either way
        mine = [s for s in score.signals if s.id in ids and s.level is not None]
        if not mine:
            continue
        best = max(mine, key=lambda s: (s.level, len(s.evidence)))
        entry = ThemeOnPanel(panel=slug, signal=best.name, level=best.level, quote=best.evidence[0] if best.evidence else None)
        if best.level >= STRONG_LEVEL:
            strong.append(entry)
        elif best.level <= GAP_LEVEL:
            gaps.append(entry)
    is_strength, is_gap = len(strong) >= REPEATS, len(gaps) >= REPEATS
    if not (is_strength or is_gap):
        return None
    kind = "mixed" if is_strength and is_gap else ("strength" if is_strength else "gap")
    return ThemeFinding(id=theme.id, name=theme.name, kind=kind, strong_on=strong, gap_on=gaps)


def recommend_loop(panels: Sequence[PanelDebrief]) -> OverallRecommendation:
    """The loop's decision from the panels' decisions, by RULE, with the facts that decided it."""
    scored = [p.overall for p in panels if p.overall is not None]
    avg = round(mean(scored), 1) if scored else None
    missing = [p for p in panels if p.status != "finished" or p.decision is None]
    if missing or not panels:
        why = [f"{p.name}: {'not scored' if p.status == 'finished' else p.status}" for p in missing]
        return OverallRecommendation(decision=None, reasons=["incomplete: " + "; ".join(why or ["no panels"])], mean_score=avg)
    by = {d: [p.name for p in panels if p.decision == d] for d in RANK}
    n = len(panels)
    at_hire = len(by["hire"]) + len(by["strong-hire"])
    majority = n // 2 + 1
    bar_raiser = next((p for p in panels if p.panel == "bar-raiser"), None)
    counts = ", ".join(f"{len(v)} {d}" for d, v in reversed(by.items()) if v)
    reasons = [f"panels: {counts} (of {n})"]
    if by["no-hire"]:
        decision = "no-hire"
        reasons.append(f"no-hire on {', '.join(by['no-hire'])}")
    elif not by["lean-no"] and len(by["strong-hire"]) >= majority:
        decision = "strong-hire"
        reasons.append(f"every panel at hire or better, {len(by['strong-hire'])} of {n} strong-hire")
    elif len(by["lean-no"]) <= 1 and at_hire >= majority and not (bar_raiser and bar_raiser.decision == "lean-no"):
        decision = "hire"
        reasons.append(f"{at_hire} of {n} panels at hire or better" + (f"; lean-no only on {by['lean-no'][0]}" if by["lean-no"] else ""))
    else:
        decision = "lean-no"
        if bar_raiser and bar_raiser.decision == "lean-no":
            reasons.append("the bar-raiser is lean-no, and the bar-raiser holds a veto")
        if len(by["lean-no"]) > 1:
            reasons.append(f"lean-no on {len(by['lean-no'])} panels: {', '.join(by['lean-no'])}")
        if at_hire < majority:
            reasons.append(f"only {at_hire} of {n} panels at hire or better; a majority ({majority}) is needed")
    return OverallRecommendation(decision=decision, reasons=reasons, mean_score=avg)

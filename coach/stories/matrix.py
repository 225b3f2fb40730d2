"""The story x signal matrix of the story bank, its gaps and its overlaps.

Rows are the signals of the story panels (behavioral, leadership, cross-functional, bar-raiser),
columns the stories, cells the level (0-4) the story reached on that signal when scored on that
panel; `None` when the scorer abstained.

- A **gap** is a signal no story evidences well: no story reaches `GOOD_LEVEL` (3) on it.
- Two stories **overlap** when they tell a similar story *and* one adds no signal to the other:
  the cosine between their text vectors (the normalised mean of the embeddings of the title and
  each sentence) is >= `OVERLAP_COSINE` (0.8), and every signal the `redundant` one shows at level
  >= `SHOWN_LEVEL` (2) the other shows at least as well (when each covers the other, the later
  one is redundant). On MiniLM two tellings of one migration scored 0.90, and every pair of
  different stories 0.27-0.48. The redundant story could go, or be retold to show something else.
  (A rule on shared signals alone fails: the scorer gives most stories level 1-2 on most
  signals, so two tellings of one event rarely show the same set at level 2.)
"""

from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field

from coach.stories.bank import stories, units
from coach.stories.store import STORY_PANELS, Story

if TYPE_CHECKING:
    from coach.retrieval.embeddings import Embedder
    from coach.root import Coach

GOOD_LEVEL = 3
SHOWN_LEVEL = 2
OVERLAP_COSINE = 0.8


class SignalRow(BaseModel):
    panel: str
    signal: str
    name: str
    levels: dict[str, int | None] = Field(description="story id -> level on this signal")
    best: int | None
    gap: bool = Field(description="no story reaches GOOD_LEVEL on this signal")


class Overlap(BaseModel):
    kept: str = Field(description="the story that shows every signal the redundant one shows")
    redundant: str
    signals: list[str] = Field(description="'panel/signal' the redundant story shows at SHOWN_LEVEL or more")
    text_cosine: float


class StoryMatrix(BaseModel):
    stories: list[dict] = Field(description="{id, title} in column order")
    rows: list[SignalRow]
    gaps: list[str] = Field(description="'panel/signal' that no story evidences well")
    overlaps: list[Overlap]
    rule: dict = Field(default_factory=lambda: {
        "gap": f"no story reaches level {GOOD_LEVEL} on the signal",
        "overlap": f"text cosine >= {OVERLAP_COSINE} and every signal one story shows at level >= {SHOWN_LEVEL} "
                   "the other shows at least as well",
    })


def story_vector(embedder: Embedder, story: Story) -> np.ndarray:
    """The story as one unit vector: the normalised mean of its title's and sentences' vectors
    (a whole long story would be cut at the model's input length)."""
    vecs = embedder.encode(units(story.title, story.text))
    mean = vecs.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else mean


def shown(story: Story, level: int = SHOWN_LEVEL) -> dict[str, int]:
    """'panel/signal' -> level, for the signals the story shows at `level` or more."""
    return {f"{p}/{s.id}": s.level for p, card in story.scorecards.items() for s in card.signals
            if s.level is not None and s.level >= level}


def covers(a: Story, b: Story) -> bool:
    """Does `a` show every signal `b` shows, at least as well?"""
    sa = shown(a)
    return all(sa.get(sig, -1) >= level for sig, level in shown(b).items())


def matrix(coach: Coach, items: list[Story] | None = None) -> StoryMatrix:
    items = stories(coach).all() if items is None else items
    rows: list[SignalRow] = []
    for slug in STORY_PANELS:
        for sig in coach.panel(slug).signals:
            levels = {s.id: s.level(slug, sig.id) for s in items}
            known = [v for v in levels.values() if v is not None]
            best = max(known) if known else None
            rows.append(SignalRow(panel=slug, signal=sig.id, name=sig.name, levels=levels, best=best,
                                  gap=best is None or best < GOOD_LEVEL))
    return StoryMatrix(
        stories=[{"id": s.id, "title": s.title} for s in items], rows=rows,
        gaps=[f"{r.panel}/{r.signal}" for r in rows if r.gap], overlaps=overlaps(coach.embedder, items),
    )


def overlaps(embedder: Embedder, items: list[Story]) -> list[Overlap]:
    if len(items) < 2:
        return []
    vectors = {s.id: story_vector(embedder, s) for s in items}
    found: list[Overlap] = []
    for a, b in combinations(items, 2):  # `items` is oldest first, so `b` is the later one
        cosine = float(vectors[a.id] @ vectors[b.id])
        if cosine < OVERLAP_COSINE:
            continue
        kept, redundant = (a, b) if covers(a, b) else (b, a) if covers(b, a) else (None, None)
        if kept is not None:
            found.append(Overlap(kept=kept.id, redundant=redundant.id, signals=sorted(shown(redundant)),
                                 text_cosine=round(cosine, 3)))
    return sorted(found, key=lambda o: -o.text_cosine)

"""Which of the user's stories fits a question best: retrieval over the story bank.

Each story is ranked by

    fit = text_fit + SIGNAL_WEIGHT * signal_fit

- `text_fit`: the highest cosine between the question and one of the story's units (its title
  and sentences; see `bank.units`). On MiniLM the best unit ranked the intended story first for
  6 of 7 questions that had one, better than the mean of the best two or three units (5 of 7) or
  the whole story's vector: a story is long and mostly about other things than the question.
- `signal_fit`: the story's mean level (as a share of 4) on the question's target signals on the
  panel. A composed question carries its targets; for a typed one they are the `TARGETS` signals
  whose rubric (name, what a strong answer shows, indicator phrases) is closest to the question.

The signal term only breaks near ties: the scorer's levels for stories are mostly 1-2 and the
targets of a typed question are a guess. No story fits well when the best `text_fit` is below
`MIN_TEXT_FIT` (0.35): on 12 behavioural questions over 5 stories, the stories that answer a
question scored 0.36-0.59 (one, 0.31, missed), and questions no story answers 0.13-0.39, so 2 of
those 5 still get a (weak) suggestion. The suggestion then says there is no good fit instead of
pushing a story that does not answer the question.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field

from coach.errors import UserInputError
from coach.stories.bank import stories, units
from coach.stories.store import STORY_PANELS, Story

if TYPE_CHECKING:
    from coach.corpus.schema import Panel
    from coach.root import Coach

SHOWN_UNITS = 3
SIGNAL_WEIGHT = 0.1
MIN_TEXT_FIT = 0.35
TARGETS = 2


class StoryFit(BaseModel):
    story: str
    title: str
    fit: float
    text_fit: float
    signal_fit: float
    levels: dict[str, int | None] = Field(description="target signal -> the story's level on it")
    closest: list[str] = Field(description="the story's units closest to the question, best first")


class Suggestions(BaseModel):
    panel: str
    question: str
    signals: list[str] = Field(description="the question's target signals on the panel")
    ranked: list[StoryFit]
    best: StoryFit | None = Field(description="the story to tell, or None when no story fits well")
    reason: str = ""
    rule: str = (f"fit = text_fit + {SIGNAL_WEIGHT} x signal_fit; no story fits well below text_fit {MIN_TEXT_FIT}")


def check_panel(panel: str) -> str:
    if panel not in STORY_PANELS:
        raise UserInputError(f"Stories are suggested on the story panels, not {panel!r}.", f"Choose one of: {', '.join(STORY_PANELS)}.")
    return panel


def target_signals(coach: Coach, panel: Panel, question_vec: np.ndarray) -> list[str]:
    """The panel's signals whose rubric is closest to the question (a typed question has none given)."""
    scored = []
    for sig in panel.signals:
        vecs = coach.embedder.encode([sig.name, sig.strong, *sig.indicators])
        scored.append((float((vecs @ question_vec).max()), sig.id))
    return [sid for _, sid in sorted(scored, reverse=True)[:TARGETS]]


def suggest(coach: Coach, panel: str, question: str, signals: list[str] | None = None, k: int = 3) -> Suggestions:
    """The user's stories ranked for `question` on `panel`, best first (at most `k`)."""
    slug = check_panel(panel)
    if not question.strip():
        raise UserInputError("The question is empty.", "Pass the question the story should answer, e.g. --question 'Tell me about a conflict'.")
    items = stories(coach).all()
    q = coach.embedder.encode_one(question)
    targets = [s for s in signals or [] if s in {x.id for x in coach.panel(slug).signals}] or target_signals(coach, coach.panel(slug), q)
    ranked = sorted((_fit(coach, s, slug, q, targets) for s in items), key=lambda f: (-f.fit, f.story))[:k]
    out = Suggestions(panel=slug, question=question, signals=targets, ranked=ranked, best=None)
    if not ranked:
        out.reason = "The story bank is empty: add stories with `coach stories add FILE` or in the Stories tab."
    elif ranked[0].text_fit < MIN_TEXT_FIT:
        out.reason = (f"No story fits this question well (the closest, {ranked[0].title!r}, has text fit "
                      f"{ranked[0].text_fit:.2f} < {MIN_TEXT_FIT}). Prepare a story for it.")
    else:
        out.best = ranked[0]
    return out


def _fit(coach: Coach, story: Story, panel: str, q: np.ndarray, targets: list[str]) -> StoryFit:
    parts = units(story.title, story.text)
    sims = coach.embedder.encode(parts) @ q
    order = np.argsort(-sims, kind="stable")[:SHOWN_UNITS]
    text_fit = float(sims[order[0]])
    levels = {t: story.level(panel, t) for t in targets}
    signal_fit = float(np.mean([(v or 0) / 4 for v in levels.values()])) if levels else 0.0
    return StoryFit(story=story.id, title=story.title, fit=round(text_fit + SIGNAL_WEIGHT * signal_fit, 4),
                    text_fit=round(text_fit, 4), signal_fit=round(signal_fit, 4), levels=levels,
                    closest=[parts[i] for i in order])

"""The story bank: add, edit (rescore), list and remove stories, each scored on the story panels.

A story is scored like an answer with no question (`coach.score(panel, text)`): the evidence
quotes and levels are the answer scorer's, the question alignment is skipped. Scoring happens
before anything is written, so a story that fails to score is not half-saved.

Removing a story (or editing its text) also removes every trace of the old text under the data
dir: the vectors cached for the texts the scorer and the story bank embed (`traces`), the cached
LLM calls that hold its sentences, and the freed pages of the sessions database.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING

from pydantic import BaseModel

from coach.llm.cache import forget_containing
from coach.retrieval.embeddings import forget_vectors
from coach.scoring import traces as scoring_traces
from coach.scoring.scorecard import Scorecard
from coach.scoring.text import split_sentences
from coach.stories.files import StoryDraft
from coach.stories.store import STORY_PANELS, Story, StoryStore, no_story

if TYPE_CHECKING:
    from coach.root import Coach

# A sentence shorter than this is not looked for in cached LLM calls on its own: it would match
# unrelated prompts (as in `coach.history.forget`). The whole text always is.
MIN_FRAGMENT_WORDS = 4


class RemoveReport(BaseModel):
    stories: list[str]
    vectors: int
    llm_calls: int


def stories(coach: Coach) -> StoryStore:
    return StoryStore(coach.store)


def units(title: str, text: str) -> list[str]:
    """What the bank embeds of a story to compare it with questions and other stories: its title
    and each sentence (the sentences' vectors are the scorer's, already cached)."""
    return list(dict.fromkeys([title, *split_sentences(text)]))


def score_story(coach: Coach, text: str) -> dict[str, Scorecard]:
    """The story scored on every story panel, with no question."""
    return {panel: coach.score(panel, text) for panel in STORY_PANELS}


def add(coach: Coach, draft: StoryDraft) -> Story:
    cards = score_story(coach, draft.text)
    now = time.time()
    story = Story(id=uuid.uuid4().hex[:8], title=draft.title, text=draft.text, tags=draft.tags,
                  created_at=now, updated_at=now, scorecards=cards)
    stories(coach).insert(story)
    return story


def edit(coach: Coach, story_id: str, draft: StoryDraft) -> Story:
    """Replace a story's title, text and tags and rescore it; the old text's traces go."""
    old = stories(coach).get(story_id)
    cards = score_story(coach, draft.text) if draft.text != old.text else old.scorecards
    new = old.model_copy(update={"title": draft.title, "text": draft.text, "tags": draft.tags,
                                 "scorecards": cards, "updated_at": time.time()})
    stories(coach).replace(new)
    keep_texts, keep_fragments = traces([new])
    texts, fragments = traces([old])
    _purge(coach, [t for t in texts if t not in set(keep_texts)], [f for f in fragments if f not in set(keep_fragments)])
    coach.store.compact()
    return new


def remove(coach: Coach, story_ids: list[str] | None = None) -> RemoveReport:
    """Remove the given stories (None: every one) with every trace of them. An unknown id is an
    error raised before anything is deleted."""
    bank = stories(coach)
    if story_ids is None:
        gone = bank.all()
    else:
        every = {s.id: s for s in bank.all()}
        missing = [sid for sid in story_ids if sid not in every]
        if missing:
            raise no_story(missing[0])
        gone = [every[sid] for sid in dict.fromkeys(story_ids)]
    vectors, calls = _purge(coach, *traces(gone))
    bank.delete([s.id for s in gone])
    coach.store.compact()
    return RemoveReport(stories=[s.id for s in gone], vectors=vectors, llm_calls=calls)


def traces(items: list[Story]) -> tuple[list[str], list[str]]:
    """(texts whose vectors may be cached, fragments that mark a cached LLM call) for stories."""
    texts: list[str] = []
    fragments: list[str] = []
    for s in items:
        texts += scoring_traces.embedded_texts(s.text) + units(s.title, s.text)
        fragments += [s.text] + [x for x in [s.title, *split_sentences(s.text)] if len(x.split()) >= MIN_FRAGMENT_WORDS]
    return list(dict.fromkeys(texts)), list(dict.fromkeys(f for f in fragments if f.strip()))


def _purge(coach: Coach, texts: list[str], fragments: list[str]) -> tuple[int, int]:
    cache_dir = coach.settings.cache_dir
    calls = forget_containing(cache_dir / "llm.sqlite3", fragments) if fragments else []
    vectors = forget_vectors(cache_dir, coach.settings.embedding_model, texts) if texts else 0
    return vectors, len(calls)

"""Stories in the sessions database (table `stories`, migration 6): one row per story holding its
title, text, tags and the scorecards it got on each story panel. Each call is one transaction on
the session store's connection settings (WAL, secure delete)."""

from __future__ import annotations

import json

from pydantic import BaseModel, Field

from coach.errors import UserInputError
from coach.scoring.scorecard import Scorecard
from coach.session.store import SessionStore
from coach.text_input import storable

# The panels whose signals a story is scored against: the ones that ask for stories.
STORY_PANELS: tuple[str, ...] = ("behavioral", "leadership", "cross-functional", "bar-raiser")

_COLUMNS = "id, title, text, tags, scorecards, created_at, updated_at"


class Story(BaseModel):
    id: str
    title: str
    text: str
    tags: list[str] = Field(default_factory=list)
    created_at: float
    updated_at: float
    scorecards: dict[str, Scorecard] = Field(description="panel slug -> the story scored on that panel")

    def level(self, panel: str, signal_id: str) -> int | None:
        card = self.scorecards.get(panel)
        if card is None:
            return None
        return next((s.level for s in card.signals if s.id == signal_id), None)

    def export(self) -> dict:
        """The story as its JSON download: the user's text and the coach's scorecards, nothing else."""
        return {
            "format": "staff-coach-story",
            "version": 1,
            "story": {
                "id": self.id, "title": self.title, "text": self.text, "tags": self.tags,
                "created_at": self.created_at, "updated_at": self.updated_at,
                "scorecards": {panel: card.contract() for panel, card in self.scorecards.items()},
            },
        }


def _row(r: tuple) -> Story:
    cards = {p: Scorecard.model_validate(c) for p, c in json.loads(r[4]).items()}
    return Story(id=r[0], title=r[1], text=r[2], tags=json.loads(r[3]), scorecards=cards, created_at=r[5], updated_at=r[6])


def _values(story: Story) -> tuple:
    cards = {p: c.model_dump(mode="json") for p, c in story.scorecards.items()}
    return (story.id, story.title, story.text, json.dumps(story.tags, ensure_ascii=False),
            json.dumps(cards, ensure_ascii=False), story.created_at, story.updated_at)


def no_story(story_id: str) -> UserInputError:
    return UserInputError(f"No story {story_id!r}.", "List your stories with `coach stories list` and pick an id from there.")


class StoryStore:
    def __init__(self, sessions: SessionStore):
        self.sessions = sessions

    def insert(self, story: Story) -> None:
        with self.sessions.transaction() as db:
            db.execute(f"INSERT INTO stories ({_COLUMNS}) VALUES (?,?,?,?,?,?,?)", _values(story))

    @staticmethod
    def insert_new(db, stories: list[Story]) -> tuple[list[str], list[str]]:
        """Insert, inside the caller's transaction, the stories whose id is not stored yet; returns
        (inserted ids, skipped ids). An import never overwrites a story."""
        inserted, skipped = [], []
        for story in stories:
            if db.execute("SELECT 1 FROM stories WHERE id = ?", (story.id,)).fetchone():
                skipped.append(story.id)
                continue
            db.execute(f"INSERT INTO stories ({_COLUMNS}) VALUES (?,?,?,?,?,?,?)", _values(story))
            inserted.append(story.id)
        return inserted, skipped

    def replace(self, story: Story) -> None:
        with self.sessions.transaction() as db:
            cur = db.execute(
                "UPDATE stories SET title = ?, text = ?, tags = ?, scorecards = ?, created_at = ?, updated_at = ? WHERE id = ?",
                (*_values(story)[1:], story.id),
            )
            if cur.rowcount != 1:
                raise no_story(story.id)

    def get(self, story_id: str) -> Story:
        if not storable(story_id):
            raise no_story(story_id)
        with self.sessions.transaction(write=False) as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM stories WHERE id = ?", (story_id,)).fetchone()
        if row is None:
            raise no_story(story_id)
        return _row(row)

    def all(self) -> list[Story]:
        """Every story, oldest first (the order they were added in)."""
        with self.sessions.transaction(write=False) as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM stories ORDER BY created_at, id").fetchall()
        return [_row(r) for r in rows]

    def delete(self, story_ids: list[str]) -> int:
        with self.sessions.transaction() as db:
            return sum(db.execute("DELETE FROM stories WHERE id = ?", (sid,)).rowcount for sid in story_ids)

"""Stories during a mock interview (the web app's Suggest a story, `?story` in `coach resume`) and the
Stories tab's handlers, on the toy embedder and the fake backend."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from coach.cli import app
from coach.config import Settings
from coach.llm import BACKENDS
from coach.root import Coach
from coach.stories import bank
from coach.stories.files import StoryDraft
from coach.testing import FAKE_EMBEDDING_MODEL, FakeBackend
from coach.web import common, interview, stories

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def web_coach(fake_settings, tmp_path, monkeypatch):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(fake_settings.index_dir, data / "index")
    c = Coach(Settings(data_dir=data, embedding_model=FAKE_EMBEDDING_MODEL), backend=FakeBackend([]))
    monkeypatch.setattr(common, "COACH", c)
    return c


def test_suggest_a_story_for_the_question_being_asked(web_coach):
    session = web_coach.start_session("behavioral", questions=1, followups=0, seed=2)
    question = session.current_prompt.text
    assert "empty" in interview.suggest_story(session.id)  # no stories yet: said, not invented
    bank.add(web_coach, StoryDraft("Unrelated", "Our team adopted a new coffee machine in the kitchen."))
    bank.add(web_coach, StoryDraft("The story for it", f"{question} I answered it with this story."))
    shown = interview.suggest_story(session.id)
    assert shown.startswith("**Suggested story: The story for it** (fit ")
    assert shown.index("- The story for it") < shown.index("- Unrelated")
    other = web_coach.start_session("system-design", questions=1, followups=0, seed=2)
    assert "behavioral, leadership, cross-functional, bar-raiser" in interview.suggest_story(other.id)


def test_the_stories_tab_adds_edits_downloads_and_removes(web_coach):
    status, pick, title, text, tags, view, grid, md, js = stories.add(f"{XSS} Billing", "I led the billing migration.", "ops, money")
    sid = pick["value"]
    assert status.startswith(f"Added and scored story {sid}") and title == f"{XSS} Billing" and tags == "ops, money"
    assert XSS not in view and XSS not in grid and "&lt;img" in view  # shown as the characters typed
    assert sid in grid and "**gap**" in grid
    record = json.loads(open(js["value"], encoding="utf-8").read())
    assert record["story"]["title"] == f"{XSS} Billing" and set(record["story"]["scorecards"]) >= {"behavioral"}
    assert open(md["value"], encoding="utf-8").read().startswith("# &lt;img")

    saved = stories.save(sid, "Billing", "I led the billing migration in 2022.", "")
    assert saved[0].startswith("Saved and rescored") and bank.stories(web_coach).get(sid).text.endswith("2022.")
    assert stories.select(sid)[2] == "Billing"
    gone = stories.remove(sid)
    assert gone[0].startswith(f"Removed story {sid}") and bank.stories(web_coach).all() == []


def test_resume_answers_a_story_request_without_saving_it_as_an_answer(fake_settings, tmp_path, monkeypatch):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(fake_settings.index_dir, data / "index")
    monkeypatch.setenv("COACH_DATA_DIR", str(data))
    monkeypatch.setenv("COACH_EMBEDDING_MODEL", FAKE_EMBEDDING_MODEL)
    monkeypatch.setitem(BACKENDS, "fake", lambda settings: FakeBackend([]))
    monkeypatch.setenv("COACH_BACKEND", "fake")
    c = Coach.from_env()
    session = c.start_session("leadership", questions=1, followups=0, seed=1)
    bank.add(c, StoryDraft("Mentoring", "I paired with two seniors on design docs until they led reviews."))
    result = CliRunner().invoke(app, ["resume", session.id], input="?story\n.\n")
    assert result.exit_code == 0, result.output
    assert "Target signals:" in result.output and "Mentoring" in result.output
    assert all(t.answer is None for t in c.load_session(session.id).turns)  # the request is not an answer

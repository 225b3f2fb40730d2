"""`coach stories ...` on the toy embedder, and removing a story leaves no trace of it under the
data dir (its rows, cached vectors, cached LLM calls), with `coach forget --all` as well."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from test_forget import CachingToy, holding, stored_keys
from typer.testing import CliRunner

from coach.cli import app
from coach.config import Settings
from coach.errors import UserInputError
from coach.root import Coach
from coach.stories import bank
from coach.stories.files import StoryDraft
from coach.testing import FAKE_EMBEDDING_MODEL

FIXTURES = Path(__file__).parent / "fixtures" / "stories"
MARK = "pangolux7741"


@pytest.fixture
def cli_env(monkeypatch, tmp_path) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("COACH_DATA_DIR", str(data))
    monkeypatch.setenv("COACH_EMBEDDING_MODEL", FAKE_EMBEDDING_MODEL)
    return data


def run(*args: str, stdin: str | bytes | None = None):
    return CliRunner().invoke(app, ["stories", *args], input=stdin)


def test_add_list_show_edit_matrix_suggest_rm(cli_env):
    added = run("add", str(FIXTURES / "outage.md"), "--json")
    assert added.exit_code == 0, added.output
    outage = json.loads(added.output)
    assert outage["title"] == "Outage postmortem I got wrong" and set(outage["scorecards"]) == {
        "behavioral", "leadership", "cross-functional", "bar-raiser"}
    assert "signals" in outage["scorecards"]["behavioral"]  # the `coach score --json` shape
    mentor = run("add", str(FIXTURES / "mentoring.yaml"), "--tag", "People")
    assert mentor.exit_code == 0 and "added story" in mentor.output
    piped = run("add", "-", stdin="title: From stdin\ntext: I negotiated scope with product and shipped ranking first.\n")
    assert piped.exit_code == 0, piped.output

    listed = json.loads(run("list", "--json").output)
    assert [s["title"] for s in listed] == ["Outage postmortem I got wrong", "Growing two senior engineers into tech leads", "From stdin"]
    assert listed[1]["tags"] == ["mentoring", "delegation", "people"]
    assert "Outage postmortem" in run("list").output

    sid = outage["id"]
    shown = json.loads(run("show", sid, "--json").output)
    assert shown["format"] == "staff-coach-story" and shown["story"]["text"].startswith("Last spring I approved")
    md = run("show", sid, "--md").output
    assert md.startswith("# Outage postmortem I got wrong") and "## behavioral" in md
    assert "47 minutes" in run("show", sid).output

    edited = run("edit", sid, "-", stdin="# Checkout outage\nI skipped the canary and took checkout down for 47 minutes.\n")
    assert edited.exit_code == 0 and "rescored" in edited.output
    assert json.loads(run("show", sid, "--json").output)["story"]["title"] == "Checkout outage"

    m = json.loads(run("matrix", "--json").output)
    assert [s["id"] for s in m["stories"]][0] == sid and len(m["rows"]) == 24 and "gap" in m["rule"]
    assert "Gaps (" in run("matrix").output

    sug = json.loads(run("suggest", "--panel", "behavioral", "--question", "What happened when you skipped the canary and took checkout down for 47 minutes?", "--json").output)
    assert sug["ranked"][0]["story"] == sid and sug["best"]["story"] == sid
    assert "Tell: Checkout outage" in run("suggest", "-p", "behavioral", "-q", "What happened when you skipped the canary and took checkout down for 47 minutes?").output

    gone = run("rm", sid)
    assert gone.exit_code == 0 and f"removed 1 story(ies): {sid}" in gone.output
    assert len(json.loads(run("list", "--json").output)) == 2
    assert "removed 2 story(ies)" in run("rm", "--all").output
    assert run("list").output.startswith("No stories yet")


@pytest.mark.parametrize("args, says", [
    (("show", "nope"), "No story 'nope'"),
    (("rm",), "--all"),
    (("rm", "x", "--all"), "--all"),
    (("suggest", "-p", "coding", "-q", "Why?"), "story panels"),
    (("add", "missing.md"), "does not exist"),
    (("show", "x", "--json", "--md"), "two different outputs"),
])
def test_bad_requests_are_explained(cli_env, args, says):
    result = run(*args)
    assert isinstance(result.exception, UserInputError) and says in str(result.exception)


def test_a_bad_file_is_named_and_nothing_is_saved(cli_env, tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_bytes("# Caf\u00e9 story\nna\u00efve".encode("latin-1"))
    result = run("add", str(bad))
    assert isinstance(result.exception, UserInputError) and str(bad) in str(result.exception) and "UTF-8" in str(result.exception)
    huge = tmp_path / "huge.md"
    huge.write_text("# Long\n" + "word " * 5000, encoding="utf-8")
    assert "limit is 20,000" in str(run("add", str(huge)).exception)
    assert run("list").output.startswith("No stories yet")


def test_removing_a_story_leaves_no_trace_under_the_data_dir(tmp_path, monkeypatch):
    data = tmp_path / "data"
    coach = Coach(Settings(data_dir=data, embedding_model=FAKE_EMBEDDING_MODEL), embedder=CachingToy(data / "cache"))
    text = (f"I led the {MARK} migration of billing off the monolith. Release freezes went from two hours to zero "
            f"on the {MARK} ledger. Incidents fell from six a quarter to one.")
    gone = bank.add(coach, StoryDraft(f"The {MARK} billing migration", text))
    kept = bank.add(coach, StoryDraft("Mentoring", "I paired with two seniors on design docs until they led reviews."))
    llm = data / "cache" / "llm.sqlite3"
    with closing(sqlite3.connect(llm)) as db, db:  # a cached judge call that saw a sentence of the story
        db.execute("CREATE TABLE generations (key TEXT PRIMARY KEY, backend TEXT NOT NULL, model TEXT NOT NULL, "
                   "prompt_id TEXT NOT NULL, prompt_hash TEXT NOT NULL, repeat INTEGER NOT NULL, sampling TEXT NOT NULL, "
                   "text TEXT NOT NULL, tokens INTEGER NOT NULL, seconds REAL NOT NULL, created_at REAL NOT NULL, prompt TEXT)")
        db.executemany("INSERT INTO generations VALUES (?, 'fake', 'm', 'judge', 'h', 0, '{}', 'yes', 1, 0.1, 1.7e9, ?)",
                       [("k1", f"Answer: Release freezes went from two hours to zero on the {MARK} ledger."), ("k2", "Answer: other")])
    from coach.stories.matrix import matrix
    from coach.stories.suggest import suggest

    matrix(coach)
    suggest(coach, "behavioral", "Tell me about a migration")
    embedded = {t for t in coach.embedder.seen if MARK in t}
    key = coach.embedder.disk._key
    assert embedded and {key(t) for t in embedded} <= stored_keys(data / "cache" / "embeddings.sqlite3")
    assert "cache/llm.sqlite3" in holding(data, MARK)  # the vector cache holds keys (hashes of the texts), not text

    report = bank.remove(coach, [gone.id])

    assert report.stories == [gone.id] and report.llm_calls == 1 and report.vectors >= len(embedded)
    assert holding(data, MARK) == []  # every file, SQLite logs included
    assert not {key(t) for t in embedded} & stored_keys(data / "cache" / "embeddings.sqlite3")
    assert [s.id for s in bank.stories(coach).all()] == [kept.id]


def test_forget_all_removes_the_stories_too(cli_env):
    assert run("add", str(FIXTURES / "outage.md")).exit_code == 0
    result = CliRunner().invoke(app, ["forget", "--all"])
    assert result.exit_code == 0, result.output
    assert "removed 1 story(ies)" in result.output
    assert run("list").output.startswith("No stories yet")
    assert holding(cli_env, "47 minutes") == []


def test_editing_a_story_forgets_its_old_text(tmp_path):
    data = tmp_path / "data"
    coach = Coach(Settings(data_dir=data, embedding_model=FAKE_EMBEDDING_MODEL), embedder=CachingToy(data / "cache"))
    kept_sentence = "Incidents fell from six a quarter to one."
    story = bank.add(coach, StoryDraft("Billing", f"I led the {MARK} migration of billing off the monolith. {kept_sentence}"))
    old = {t for t in coach.embedder.seen if MARK in t}
    bank.edit(coach, story.id, StoryDraft("Billing", f"I led the migration of billing off the monolith. {kept_sentence}"))
    assert holding(data, MARK) == []
    left = stored_keys(data / "cache" / "embeddings.sqlite3")
    key = coach.embedder.disk._key
    assert not {key(t) for t in old} & left and key(kept_sentence) in left  # what the new text still says stays

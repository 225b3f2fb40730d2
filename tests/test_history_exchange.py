"""`coach export` and `coach import`: a versioned JSON file, validated strictly; a bad file names
the field and changes nothing; sessions already saved are skipped."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from history_helpers import ANSWERS, data_dir_with_index, run_session, settings_for
from typer.testing import CliRunner

from coach.cli import app
from coach.errors import UserInputError
from coach.history.exchange import export_history, import_history
from coach.loop import Loop
from coach.loop.store import LoopStore
from coach.root import Coach
from coach.scoring.scorecard import Scorecard, ScorerInfo, SignalResult
from coach.session.store import SessionStore
from coach.stories.store import Story, StoryStore
from coach.testing import FakeBackend

V0 = Path(__file__).parent / "fixtures" / "sessions-v0.sqlite3"
CARD = Scorecard(panel="behavioral", overall=55, band="hire", scorer=ScorerInfo(name="evidence", version="1"),
                 signals=[SignalResult(id="personal-ownership", name="Personal ownership", level=3)])
STORY = Story(id="5a1e0c7b", title="Billing off the monolith", text="I led the move of billing off the monolith.",
              tags=["migration"], created_at=1.7e9, updated_at=1.7e9, scorecards={"behavioral": CARD})


def _coach(data: Path) -> Coach:
    return Coach(settings_for(data), backend=FakeBackend([]))


def _stored(store: SessionStore) -> list:
    """Everything the store holds, timestamps included."""
    out = []
    for s in sorted(store.list(), key=lambda s: s["id"]):
        row, turns = store.load(s["id"])
        out.append((row, [(t, t.created_at, t.answered_at, t.elapsed_s) for t in turns]))
    return out


@pytest.fixture
def source(fake_settings, tmp_path) -> Coach:
    """A data dir with a finished and an interrupted session, a story and a loop half-way (its first
    panel's session finished, the second panel not started)."""
    coach = _coach(data_dir_with_index(fake_settings, tmp_path / "source"))
    run_session(coach, ANSWERS, questions=1, followups=1)
    run_session(coach, ANSWERS[:2], panel="behavioral", seed=9)
    coach.start_session("coding", given_questions=["How would you find the ten most frequent words in a 10 GB log file?"])
    StoryStore(coach.store).insert(STORY)
    loop = Loop.start(coach, "principal", ["leadership", "coding"], questions=1, followups=0, seed=5,
                      given={"leadership": ["Tell me about a time you changed a team's direction."]})
    loop.answer(ANSWERS[2])
    return coach


def test_export_then_import_reproduces_every_session(source, fake_settings, tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_DATA_DIR", str(source.settings.data_dir))
    out = tmp_path / "exports" / "history.json"
    result = CliRunner().invoke(app, ["export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"exported 4 session(s), 1 story(ies) and 1 loop(s) to {out}" in result.output
    doc = json.loads(out.read_text())
    assert (doc["format"], doc["version"]) == ("staff-coach-history", 3) and len(doc["sessions"]) == 4
    (loop,) = doc["loops"]
    assert loop["panels"] == ["coding", "leadership"] and loop["sessions"][1] is None and loop["status"] == "active"
    assert loop["sessions"][0] == doc["sessions"][-1]["id"]
    assert {s["status"] for s in doc["sessions"]} == {"finished", "active"}
    to_stdout = json.loads(CliRunner().invoke(app, ["export"]).output)
    assert to_stdout["sessions"] == doc["sessions"]

    target = data_dir_with_index(fake_settings, tmp_path / "target")
    monkeypatch.setenv("COACH_DATA_DIR", str(target))
    first = CliRunner().invoke(app, ["import", str(out)])
    assert first.exit_code == 0, first.output
    assert "imported 4 session(s)" in first.output and "imported 1 story(ies)" in first.output
    assert "imported 1 loop(s)" in first.output
    copy_ = _coach(target)
    assert _stored(copy_.store) == _stored(source.store)
    assert StoryStore(copy_.store).all() == [STORY]  # the story bank came along, scorecards and all
    assert LoopStore(copy_.store).list() == LoopStore(source.store).list()  # and the loop, panel by panel
    carried_on = Loop.load(copy_, loop["id"])
    assert carried_on.position == 1 and carried_on.current.panel.slug == "leadership"
    assert carried_on.current.current_prompt.text == "Tell me about a time you changed a team's direction."
    # The imported interrupted session carries on where it stopped.
    assert [s["config"].get("given") for s in doc["sessions"]][2] == ["How would you find the ten most frequent words in a 10 GB log file?"]
    active = next(s for s in doc["sessions"] if s["status"] == "active" and s["panel"] == "coding")
    resumed = copy_.load_session(active["id"])
    assert resumed.current_prompt.text == active["turns"][-1]["prompt"]["text"]

    again = CliRunner().invoke(app, ["import", str(out)])
    assert again.exit_code == 0 and "imported 0 session(s)" in again.output
    assert "skipped 4 already saved" in again.output and "imported 0 story(ies), skipped 1 already saved" in again.output
    assert "imported 0 loop(s), skipped 1 already saved" in again.output
    assert StoryStore(copy_.store).all() == [STORY] and len(LoopStore(copy_.store).list()) == 1


@pytest.mark.parametrize("version, without", [(1, ("stories", "loops")), (2, ("loops",))])
def test_files_of_earlier_versions_still_import(source, fake_settings, tmp_path, version, without):
    doc = export_history(source.store)
    doc["version"] = version
    for field in without:
        del doc[field]
    path = tmp_path / f"v{version}.json"
    path.write_text(json.dumps(doc))
    fresh = _coach(data_dir_with_index(fake_settings, tmp_path / "fresh"))
    report = import_history(fresh.store, path)
    assert len(report.imported) == 4 and report.loops_imported == [] and LoopStore(fresh.store).list() == []
    assert len(report.stories_imported) == (0 if version == 1 else 1)


def test_sessions_from_the_previous_schema_export_and_import(fake_settings, tmp_path):
    old = data_dir_with_index(fake_settings, tmp_path / "old")
    shutil.copyfile(V0, old / "sessions.sqlite3")
    doc = export_history(_coach(old).store)
    assert [s["backend"] for s in doc["sessions"]] == [None, None]
    path = tmp_path / "v0.json"
    path.write_text(json.dumps(doc))
    fresh = _coach(data_dir_with_index(fake_settings, tmp_path / "fresh"))
    assert sorted(import_history(fresh.store, path).imported) == ["3f9c2a71b0de", "a41d07e95c3b"]
    assert _stored(fresh.store) == _stored(_coach(old).store)


def _set(doc: dict, path: tuple, value) -> None:
    *head, last = path
    for part in head:
        doc = doc[part]
    if value is _DELETE:
        del doc[last]
    else:
        doc[last] = value


_DELETE = object()
_SESSION_1 = object()  # the id of the file's second session (a behavioral one)
BAD = [
    (("sessions", 1, "turns", 1, "kind"), "answer", "sessions[1].turns[1].kind"),
    (("sessions", 0, "level"), "junior", "sessions[0].level"),
    (("sessions", 0, "colour"), "blue", "sessions[0].colour"),
    (("sessions", 1, "turns", 0, "scorecard", "overall"), "high", "sessions[1].turns[0].scorecard.overall"),
    (("sessions", 1, "turns", 0, "prompt", "provenance"), _DELETE, "sessions[1].turns[0].prompt.provenance"),
    (("sessions", 0, "config", "questions"), 0, "sessions[0].config.questions"),
    (("sessions", 1, "turns", 0, "index"), 5, "sessions[1]: Value error, turns must be numbered"),
    (("format",), "something-else", "format"),
    (("sessions", 1, "id"), "../etc", "sessions[1].id"),
    (("loops", 0, "panels", 0), "lunch", "loops[0].panels[0]"),
    (("loops", 0, "status"), "paused", "loops[0].status"),
    (("loops", 0, "config", "questions"), 0, "loops[0].config.questions"),
    (("loops", 0, "sessions"), ["3f9c2a71b0de"], "loops[0]: Value error, sessions must name one session id (or null) per panel"),
    (("loops", 0, "sessions", 1), "3f9c2a71b0de", "loops[0].sessions[1]: session '3f9c2a71b0de' is not in the file's sessions"),
    (("loops", 0, "sessions", 1), _SESSION_1, "is a behavioral session, not leadership"),
]


@pytest.mark.parametrize("path, value, named", BAD, ids=[b[2] for b in BAD])
def test_a_malformed_file_names_the_field_and_imports_nothing(source, fake_settings, tmp_path, path, value, named):
    doc = export_history(source.store)
    bad = copy.deepcopy(doc)
    bad["sessions"][0]["id"] = "0123456789ab"  # a new session, valid: still not imported
    _set(bad, path, bad["sessions"][1]["id"] if value is _SESSION_1 else value)
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(bad))
    target = _coach(data_dir_with_index(fake_settings, tmp_path / "target"))
    run_session(target, ANSWERS[:1])
    before = _stored(target.store)

    with pytest.raises(UserInputError) as info:
        import_history(target.store, file)

    assert named in info.value.message and "nothing was imported" in info.value.message
    assert "coach export" in info.value.hint
    assert _stored(target.store) == before


@pytest.mark.parametrize("text, named", [
    ("{not json", "not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2"),
    ('{"format": "staff-coach-history", "version": 4, "sessions": []}', "format version 4; this coach reads version 3"),
    ('{"format": "staff-coach-history", "version": 2, "sessions": [], "stories": [{"id": "x"}]}', "stories[0].title: Field required"),
    ('{"format": "staff-coach-history", "version": 3, "sessions": [], "loops": [{"id": "x"}]}', "loops[0].level: Field required"),
    ("[]", "(the document)"),
])
def test_a_file_that_is_not_an_export_is_refused(fake_settings, tmp_path, text, named):
    file = tmp_path / "bad.json"
    file.write_text(text)
    target = _coach(data_dir_with_index(fake_settings, tmp_path / "target"))
    with pytest.raises(UserInputError) as info:
        import_history(target.store, file)
    assert named in info.value.message
    assert target.store.list() == []


def test_a_loop_whose_session_runs_another_stored_loops_panel_imports_nothing(source, fake_settings, tmp_path):
    doc = export_history(source.store)
    file = tmp_path / "history.json"
    file.write_text(json.dumps(doc))
    target = _coach(data_dir_with_index(fake_settings, tmp_path / "target"))
    import_history(target.store, file)
    renamed = copy.deepcopy(doc)
    renamed["loops"][0]["id"] = "another-loop"  # the same session claimed by a second loop
    renamed["sessions"][0]["id"] = "0123456789ab"  # and a new session, which must not be imported either
    file.write_text(json.dumps(renamed))
    before = (_stored(target.store), LoopStore(target.store).list())
    with pytest.raises(UserInputError, match=f"session {doc['loops'][0]['sessions'][0]} already runs a panel of loop"):
        import_history(target.store, file)
    assert (_stored(target.store), LoopStore(target.store).list()) == before


def test_a_missing_file_is_named(fake_settings, tmp_path):
    target = _coach(data_dir_with_index(fake_settings, tmp_path / "target"))
    with pytest.raises(UserInputError, match="does not exist"):
        import_history(target.store, tmp_path / "nope.json")

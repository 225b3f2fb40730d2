"""`coach due` and `coach drill` as a user runs them (fast: toy embedder, fake backend, and a scorer
double whose levels the answers set, since the real scorer abstains on the toy embedder)."""

from __future__ import annotations

import io
import json
import sys

import pytest
from history_helpers import run_main, run_session, settings_for, use_data_dir

from coach.cli import practice as practice_cli
from coach.root import Coach
from coach.testing import FakeBackend, FakeScorer


def level_of(answer: str) -> int | None:
    return int(answer[6]) if answer.startswith("level ") else None



@pytest.fixture
def data(fake_settings, tmp_path, monkeypatch):
    """A data dir of its own, the fake backend registered as `fake`, and the commands' Coach scoring
    with the double."""
    where = use_data_dir(fake_settings, tmp_path / "data", monkeypatch, FakeBackend(lambda prompt, sampling: " And then?"))
    monkeypatch.setattr(practice_cli, "make_coach", lambda **kw: Coach.from_env(**kw).with_parts(evidence_scorer=FakeScorer(level_of)))
    return where


def weak_session(where, answers, **options):
    c = Coach(settings_for(where), backend=FakeBackend(lambda p, s: " And then?")).with_parts(evidence_scorer=FakeScorer(level_of))
    return run_session(c, answers, **options)


def test_due_with_an_empty_schedule_says_how_items_get_on_it(data, monkeypatch, capsys):
    code, out, _ = run_main(["due"], monkeypatch, capsys)
    assert code == 0 and "No signal is on the review schedule yet" in out
    code, out, _ = run_main(["due", "--json"], monkeypatch, capsys)
    assert json.loads(out) == {"due": [], "next": None}
    code, out, _ = run_main(["drill"], monkeypatch, capsys)
    assert code == 0 and "No signal is on the review schedule yet" in out
    code, _, err = run_main(["drill", "--script", "missing.yaml"], monkeypatch, capsys)
    assert code == 2 and "missing.yaml does not exist" in err


def test_due_lists_the_weak_signals_and_a_scripted_drill_updates_the_schedule(data, tmp_path, monkeypatch, capsys):
    session = weak_session(data, ["level 0: no idea", "level 1: a little", "level 4: fine"], questions=3, followups=0, seed=3)
    weak = [t.signals[0] for t in session.turns[:2]]

    code, out, _ = run_main(["due", "--json"], monkeypatch, capsys)
    listed = json.loads(out)
    assert code == 0 and [e["signal"] for e in listed["due"]] == weak and listed["next"] is None
    assert {k for k in listed["due"][0]} >= {"panel", "signal", "name", "last_level", "due", "due_at", "interval_days"}
    assert listed["due"][0]["due"].endswith("+00:00")
    assert [e["last_level"] for e in listed["due"]] == [0, 1]
    code, out, _ = run_main(["due"], monkeypatch, capsys)
    names = [e["name"] for e in listed["due"]]
    assert out.split("\n")[0].split() == ["panel", "signal", "last", "level", "due", "interval"]
    assert all(n in out for n in names) and "coach drill" in out

    script = tmp_path / "answers.yaml"
    script.write_text("answers:\n  - 'level 4: strong'\n  - 'level 1: still weak'\n  - 'level 4: unused'\n")
    code, out, err = run_main(["drill", "-n", "5", "--script", str(script), "--out", str(tmp_path / "out")], monkeypatch, capsys)
    assert code == 0, err
    assert "Drill: 2 question(s)" in out and "Drill finished" in out and out.index(names[0]) < out.index(names[1])
    assert len(list((tmp_path / "out").glob("*.md"))) == 1

    code, out, _ = run_main(["due", "--json"], monkeypatch, capsys)
    after = json.loads(out)
    assert after["due"] == [] and after["next"]["signal"] in weak and after["next"]["interval_days"] == 1
    code, out, _ = run_main(["drill"], monkeypatch, capsys)
    assert code == 0 and "Nothing is due for review. Next:" in out and after["next"]["name"] in out


def test_an_interactive_drill_reads_answers_ended_by_a_dot_and_stops_at_end_of_input(data, monkeypatch, capsys):
    session = weak_session(data, ["level 0: a", "level 0: b"], questions=2, followups=0, seed=4)
    monkeypatch.setattr(sys, "stdin", io.StringIO("level 3: first line\nsecond line\n.\n"))
    code, out, err = run_main(["drill", "-n", "2"], monkeypatch, capsys)
    assert code == 0, err
    assert "Drill stopped before its end" in out and "coach resume" in out
    code, out, _ = run_main(["due", "--json"], monkeypatch, capsys)
    assert [e["signal"] for e in json.loads(out)["due"]] == [session.turns[1].signals[0]]


def test_ask_aims_at_a_named_signal(data, monkeypatch, capsys):
    code, out, _ = run_main(["ask", "--panel", "leadership", "--signal", "technical-vision", "--json"], monkeypatch, capsys)
    assert code == 0 and json.loads(out)["provenance"]["signals"] == ["technical-vision"]
    code, _, err = run_main(["ask", "--panel", "leadership", "--signal", "capacity-math"], monkeypatch, capsys)
    assert code == 2 and "technical-vision" in err

"""`coach ask` and `coach mock` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml
from history_helpers import ANSWERS, run_main

from coach.llm import BACKENDS
from coach.testing import FakeBackend

GOOD = (" In the service you know best, pick the slowest dependency on the request path. What happens to your thread"
        " pools and queues when it takes ten times longer?")



@pytest.fixture
def with_index(built_settings, monkeypatch):
    """The real index and embedding model."""
    monkeypatch.setenv("COACH_DATA_DIR", str(built_settings.data_dir))
    return built_settings


@pytest.fixture
def with_fake_index(fake_settings, monkeypatch):
    """The toy embedder and an index built with it: the command's logic, without loading a model."""
    monkeypatch.setenv("COACH_DATA_DIR", str(fake_settings.data_dir))
    monkeypatch.setenv("COACH_EMBEDDING_MODEL", fake_settings.embedding_model)
    return fake_settings


@pytest.fixture
def fake(monkeypatch):
    """A FakeBackend registered as COACH_BACKEND=fake, the way any backend is registered."""
    backend = FakeBackend(lambda prompt, sampling: GOOD if prompt.prompt_id == "question" else " And then what happened to the latency?")
    monkeypatch.setitem(BACKENDS, "fake", lambda settings: backend)
    monkeypatch.setenv("COACH_BACKEND", "fake")
    return backend


def test_ask_json_has_the_question_and_its_provenance(with_index, fake, monkeypatch, capsys):
    code, out, err = run_main(["ask", "--panel", "architecture-deep-dive", "--level", "principal", "--seed", "4", "--json"],
                           monkeypatch, capsys)
    assert code == 0, err
    q = json.loads(out)
    assert q["text"].endswith("?") and q["is_fallback"] is False and q["level"] == "principal" and q["asks"]
    assert q["composition"] == "draft" and q["text"] == q["draft"] and fake.calls == []  # a base model does not rewrite
    pv = q["provenance"]
    assert pv["grounding"] and pv["signals"] and pv["item"] and pv["elements"] and pv["backend"] == "composer" and pv["seed"] == 4
    assert pv["reviewed"] is True
    code, out, err = run_main(["ask", "--panel", "architecture-deep-dive", "--level", "principal", "--seed", "4"], monkeypatch, capsys)
    assert code == 0 and q["text"] in " ".join(out.split()) and "reviewed:  accepted by item review" in out


def test_ask_errors_name_what_is_valid(with_fake_index, fake, monkeypatch, capsys):
    code, _, err = run_main(["ask", "--panel", "systems"], monkeypatch, capsys)
    assert code == 2 and "system-design" in err and "bar-raiser" in err
    code, _, err = run_main(["ask", "--panel", "coding", "--level", "junior"], monkeypatch, capsys)
    assert code == 2 and "senior, staff, principal" in err
    code, _, err = run_main(["ask", "--panel", "coding", "--focus", "x" * 20_001], monkeypatch, capsys)
    assert code == 2 and "20,000" in err
    assert fake.calls == []


def test_mock_refuses_a_bad_script(with_fake_index, fake, tmp_path, monkeypatch, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("answers: nope\n")
    code, _, err = run_main(["mock", "--panel", "coding", "--script", str(bad), "--out", str(tmp_path / "o")], monkeypatch, capsys)
    assert code == 2 and "list of answers" in err
    code, _, err = run_main(["mock", "--panel", "coding", "--script", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "o")],
                         monkeypatch, capsys)
    assert code == 2 and "does not exist" in err


def test_mock_writes_transcript_and_session_record(with_fake_index, fake, tmp_path, monkeypatch, capsys):
    script = tmp_path / "script.json"
    script.write_text(json.dumps(ANSWERS[:3]))
    code, out, err = run_main(["mock", "--panel", "architecture-deep-dive", "--script", str(script), "--out", str(tmp_path / "run"),
                            "--questions", "2", "--followups", "1", "--seed", "3"], monkeypatch, capsys)
    assert code == 0, err
    record = json.loads((tmp_path / "run" / "session.json").read_text())
    assert record["answers_used"] == 3 and len(record["turns"]) >= 3
    assert record["turns"][0]["kind"] == "question" and record["turns"][0]["answer"] == ANSWERS[0]
    assert record["turns"][0]["scorecard"]["signals"] and record["turns"][1]["kind"] == "follow-up"
    assert set(record["summary"]["coverage"].values()) <= {"evidenced", "weak", "not yet asked"}
    transcript = (tmp_path / "run" / "transcript.md").read_text()
    assert "## Question 1" in transcript and "## Summary" in transcript and "**Score:**" in transcript
    assert "script ran out" in transcript and "script ran out" in out  # 3 answers for up to 4 prompts


@pytest.mark.slow
def test_mock_end_to_end_with_the_embedded_model(built_settings, tmp_path):
    script = tmp_path / "script.yaml"
    script.write_text(yaml.safe_dump({"answers": ANSWERS[:3]}))
    env = dict(os.environ, COACH_DATA_DIR=str(built_settings.data_dir))
    out = subprocess.run(
        [sys.executable, "-m", "coach", "mock", "--panel", "behavioral", "--script", str(script), "--out", str(tmp_path / "run"),
         "--questions", "1", "--followups", "1", "--seed", "5"],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert out.returncode == 0, out.stderr
    record = json.loads((tmp_path / "run" / "session.json").read_text())
    turns = record["turns"]
    assert turns[0]["question"]["provenance"]["backend"] == "composer" and turns[0]["question"]["composition"] == "draft"
    assert all(t["text"].strip() for t in turns) and all(t["answer"] for t in turns)
    assert record["summary"]["finished"] and (tmp_path / "run" / "transcript.md").exists()

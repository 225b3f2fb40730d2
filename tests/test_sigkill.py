"""A session killed with SIGKILL mid-way loses no answered turn and carries on with `coach resume`.

For real: a scripted loop in a subprocess (the public API; the toy embedder; a fake backend
registered as COACH_BACKEND=fake the way any backend is) reports each answer once `answer()`
returns, and is killed at once after N reports, wherever it happens to be (scoring, composing the
next prompt, writing). Then the real CLI, in another process, resumes the session to its end."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing

import pytest
from history_helpers import ANSWERS, data_dir_with_index

from coach.config import REPO_ROOT
from coach.history.listing import history
from coach.root import Coach
from coach.testing import FAKE_EMBEDDING_MODEL, FakeBackend

REGISTER = ("from coach.llm import register_backend; from coach.testing import FakeBackend; "
            "register_backend('fake', lambda settings: FakeBackend([])); ")
DRIVER = REGISTER + """
import json, sys
from coach import Coach
answers = json.load(open(sys.argv[1]))
session = Coach.from_env().start_session("system-design", questions=8, followups=2, seed=5)
print("session", session.id, flush=True)
for text in answers:
    print("answered", session.answer(text).index, flush=True)
"""
CLI = REGISTER + "from coach.cli import main; main()"
SCRIPT = [f"{ANSWERS[i % len(ANSWERS)]} (Take {i}.)" for i in range(30)]


@pytest.mark.parametrize("kill_after", [2, 5])
def test_sigkill_mid_session_loses_no_answered_turn_and_resume_finishes_it(fake_settings, tmp_path, kill_after):
    data = data_dir_with_index(fake_settings, tmp_path / "data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")}
    env.update(COACH_DATA_DIR=str(data), COACH_EMBEDDING_MODEL=FAKE_EMBEDDING_MODEL, COACH_BACKEND="fake")
    script = tmp_path / "answers.json"
    script.write_text(json.dumps(SCRIPT))

    proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(script)], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reported: list[int] = []
    try:
        session_id = proc.stdout.readline().split()[1]
        while len(reported) < kill_after:
            line = proc.stdout.readline()
            assert line.startswith("answered"), line + proc.stderr.read()
            reported.append(int(line.split()[1]))
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    reported += [int(ln.split()[1]) for ln in proc.stdout.read().splitlines() if ln.startswith("answered")]
    proc.stdout.close()
    proc.stderr.close()

    db = data / "sessions.sqlite3"
    with closing(sqlite3.connect(db)) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = raw.execute("SELECT idx, answer, scorecard FROM turns WHERE session_id = ? ORDER BY idx", (session_id,)).fetchall()
        status = raw.execute("SELECT status FROM sessions WHERE id = ?", (session_id,)).fetchone()[0]
    answered = [(idx, answer) for idx, answer, card in rows if answer is not None and card is not None]
    assert reported == list(range(len(reported)))
    # Every turn reported as answered is on disk with its answer and scorecard; at most one more made it.
    assert answered[: len(reported)] == [(i, SCRIPT[i]) for i in reported]
    assert len(reported) <= len(answered) <= len(reported) + 1
    assert [row[0] for row in rows] == list(range(len(rows)))  # no gap, no half-written turn
    assert status == "active" and len(answered) < len(SCRIPT)

    coach = Coach.from_env(data_dir=data, embedding_model=FAKE_EMBEDDING_MODEL).with_parts(backend=FakeBackend([]))
    listed = {r.id: r for r in history(coach)}
    assert listed[session_id].resumable and listed[session_id].answered == len(answered)

    rest = tmp_path / "rest.json"
    rest.write_text(json.dumps(SCRIPT[len(answered):]))
    done = subprocess.run([sys.executable, "-c", CLI, "resume", session_id, "--script", str(rest)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{len(answered)} answer(s) so far" in done.stdout and f"session {session_id} finished" in done.stdout
    resumed = coach.load_session(session_id)
    assert resumed.finished and resumed.status == "finished"
    assert [t.answer for t in resumed.turns] == SCRIPT[: len(resumed.turns)]
    assert sum(1 for t in resumed.turns if t.kind == "question") == 8

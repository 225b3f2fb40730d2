"""A scripted onsite loop killed with SIGKILL at 20 random points: what is lost, and does it resume?

A driver process runs the loop through the public API (the real embedder and scorer, the embedded
backend; questions composed) and prints each answer's turn once `answer()` has returned. It is
killed at a random moment: after a random number of reported answers, plus a random delay that
lands anywhere in the next answer's scoring, the next prompt's composition, or a write. Then the
database is checked (integrity, every reported turn on disk with its answer and scorecard), and
the next driver resumes the same loop from where it stopped — to be killed again, KILLS times,
and finally to run to the end. Goals: completed turns lost 0, every interrupted loop resumable.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import yaml

from coach.config import REPO_ROOT

from .common import Result, coach_command, subprocess_env, temp_data_dir

NAME = "kills"
KILLS = 20
QUESTIONS = 8  # per panel, no follow-ups: 56 answers in a loop of seven panels, room for all 20 kills
SEED = 20261201
DRIVER = """
import json, sys
from coach import Coach
from coach.loop import Loop
answers, loop_id = json.load(open(sys.argv[1])), sys.argv[2]
coach = Coach.from_env()
loop = Loop.load(coach, loop_id) if loop_id != "new" else Loop.start(coach, "staff", questions=QUESTIONS, followups=0, seed=7)
print("loop", loop.id, flush=True)
while not loop.finished:
    session = loop.current
    session.current_prompt  # what the candidate reads first (composed now if the last driver died before it)
    pool = answers[session.panel.slug]
    done = sum(t.answer is not None for t in session.turns)
    print("answered", loop.answer(pool[done % len(pool)]).index, flush=True)
print("finished", flush=True)
""".replace("QUESTIONS", str(QUESTIONS))


def _answers() -> dict[str, list[str]]:
    doc = yaml.safe_load((REPO_ROOT / "evals" / "fixtures" / "loops" / "strong.yaml").read_text(encoding="utf-8"))
    return {slug: [f"{a} (Take {n}.)" for n in range(QUESTIONS) for a in p["answers"]] for slug, p in doc["panels"].items()}


def _answered_on_disk(db: Path) -> tuple[bool, int]:
    with closing(sqlite3.connect(db)) as raw:
        ok = raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        n = raw.execute("SELECT COUNT(*) FROM turns WHERE answer IS NOT NULL AND scorecard IS NOT NULL").fetchone()[0]
    return ok, n


def run() -> Result:
    rng = random.Random(SEED)
    result = Result(NAME)
    lost = corrupt = not_resumable = 0
    on_disk = 0
    with temp_data_dir() as data:
        env = subprocess_env(data)
        subprocess.run([*coach_command(), "index", "-q"], env=env, check=True, cwd=REPO_ROOT)
        script = data / "answers.json"
        script.write_text(json.dumps(_answers()), encoding="utf-8")
        loop_id, kills = "new", 0
        while True:
            proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(script), loop_id], cwd=REPO_ROOT, env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            first = proc.stdout.readline()
            if not first.startswith("loop "):
                not_resumable += 1
                proc.kill()
                result.info["resume_error"] = (first + proc.stderr.read())[-500:]
                break
            loop_id = first.split()[1]
            reported = 0
            if kills < KILLS:
                wait_for = rng.randint(0, 2)  # answers to see before the kill
                while reported < wait_for:
                    line = proc.stdout.readline()
                    if not line.startswith("answered"):
                        break
                    reported += 1
                time.sleep(rng.uniform(0.0, 1.5))
                if proc.poll() is None:
                    os.kill(proc.pid, signal.SIGKILL)
                    kills += 1
            out, err = proc.communicate(timeout=3600)
            reported += sum(1 for ln in out.splitlines() if ln.startswith("answered"))
            before = on_disk
            ok, on_disk = _answered_on_disk(data / "sessions.sqlite3")
            corrupt += not ok
            lost += max(0, before + reported - on_disk)  # one more than reported may be on disk: saved, then killed
            if "finished" in out.splitlines():
                break
            if proc.returncode not in (-signal.SIGKILL, 0):
                not_resumable += 1
                result.info["driver_error"] = err[-500:]
                break
    result.add("kills", "SIGKILLs delivered mid-loop", kills, "")
    result.add("lost", "completed turns lost", lost, "", goal=0)
    result.add("corrupt", "integrity checks failed", corrupt, "", goal=0)
    result.add("not_resumable", "interrupted loops that did not resume", not_resumable, "", goal=0)
    result.add("answers", "answers on disk at the end", on_disk, "")
    result.info.update(seed=SEED, questions_per_panel=QUESTIONS)
    return result

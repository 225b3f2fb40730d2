"""Shared by the history tests: a data dir with the toy index, a coach on it, and sessions driven
through the public API. Fast: the toy embedder and the fake backend, registered as `fake`."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from typer.testing import CliRunner

from coach.cli import app
from coach.config import Settings
from coach.llm import BACKENDS
from coach.root import Coach
from coach.testing import FAKE_EMBEDDING_MODEL, FakeBackend

ANSWERS = [
    "I own the checkout service. In 2023 I led the migration from a single Postgres primary to regional read "
    "replicas; p95 latency in APAC fell from 480 ms to 140 ms and I wrote the ADR that rejected sharding by user.",
    "The trade-off was replica lag of about 150 ms, so I routed read-after-write requests to the primary with a "
    "session token and measured stale reads at 0.02%, which product agreed was acceptable.",
    "Next I would add a canary at 1%, then 10%, with an abort on error rate above 0.5%.",
    "We load-tested the new path at 30k requests per second and kept two weeks of rollback capacity.",
    "I would page on a burn rate of 14 over one hour and review the SLO with product every quarter.",
    "The first thing to break is the connection pool, so I would cap it at 200 and shed load above that.",
]


def data_dir_with_index(fake_settings: Settings, where: Path) -> Path:
    """A data dir of its own holding a copy of the toy index (sessions written here stay here)."""
    where.mkdir(parents=True, exist_ok=True)
    if not (where / "index").exists():
        shutil.copytree(fake_settings.index_dir, where / "index")
    return where


def use_data_dir(fake_settings: Settings, where: Path, monkeypatch, backend: FakeBackend | None = None) -> Path:
    """COACH_DATA_DIR with the toy index and COACH_BACKEND=fake (`backend`, or one that writes
    nothing): what every CLI call in the test sees."""
    where = data_dir_with_index(fake_settings, where)
    fake = backend if backend is not None else FakeBackend([])
    monkeypatch.setitem(BACKENDS, "fake", lambda settings: fake)
    for key, value in {"COACH_DATA_DIR": str(where), "COACH_EMBEDDING_MODEL": fake_settings.embedding_model,
                       "COACH_BACKEND": "fake"}.items():
        monkeypatch.setenv(key, value)
    return where


def invoke(*args: str, input: str | None = None):
    """`coach ARGS` through typer's runner (output captured in the result)."""
    return CliRunner().invoke(app, list(args), input=input, catch_exceptions=True)


def run_main(args: list[str], monkeypatch, capsys) -> tuple[int, str, str]:
    """`coach ARGS` through the real entry point (errors to stderr, exit code)."""
    from coach.cli import main

    monkeypatch.setattr(sys, "argv", ["coach", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def settings_for(data: Path, **overrides) -> Settings:
    return Settings(data_dir=data, embedding_model=FAKE_EMBEDDING_MODEL, **overrides)


def run_session(coach: Coach, answers: list[str], panel: str = "system-design", **options):
    """Start a session and answer up to len(answers) prompts; returns the session."""
    options = {"questions": 2, "followups": 1, "seed": 3, **options}
    session = coach.start_session(panel, **options)
    for text in answers:
        if session.finished:
            break
        session.answer(text)
    return session

"""Mock sessions in SQLite, written turn by turn so a crash or a closed browser loses nothing.

Two tables: `sessions` (one row per session: panel, level, seed, settings) and `turns` (one row per
prompt put to the candidate, filled in with the answer and its scorecard once answered). Objects
are stored as JSON from their pydantic models, so a row is readable with the sqlite3 shell. The
schema is built and upgraded by the numbered migrations in `_migrations.py`, never edited in place.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from coach.errors import CoachError, UserInputError
from coach.session import _migrations


def _switch_to_wal(db: sqlite3.Connection, wait_s: float = 30.0) -> None:
    # Switching a new file to WAL needs an exclusive lock, and SQLite reports "database is locked"
    # at once instead of calling the busy handler, so a second process creating the same file
    # at the same moment would fail to open it. Once the file is in WAL mode this is a no-op.
    deadline = time.monotonic() + wait_s
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if err.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


@dataclass(frozen=True)
class SessionRow:
    id: str
    panel: str
    level: str
    seed: int
    config: dict
    status: str
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class TurnRow:
    idx: int
    kind: str
    question_number: int
    prompt: dict
    answer: str | None
    scorecard: dict | None


class SessionStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
                # Refused before the switch to WAL, which rewrites the header of a file in another mode.
                _migrations.refuse_newer(db, self.path)
                _switch_to_wal(db)
                _migrations.apply(db, self.path)
        except sqlite3.DatabaseError as err:
            raise CoachError(
                f"The sessions database {self.path} cannot be opened: {err}.",
                f"Move it aside (e.g. `mv {self.path} {self.path}.broken`); a new one is created on the next run.",
            ) from err

    def _connect(self) -> sqlite3.Connection:
        # One short-lived connection per operation: safe across threads (the web app), and `with`
        # commits each write on its own, so every turn is on disk when the call returns.
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def schema_version(self) -> int:
        """The highest migration applied to the file (see _migrations.MIGRATIONS)."""
        with closing(self._connect()) as db:
            return _migrations.recorded_version(db)

    def create(self, row: SessionRow) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO sessions VALUES (?,?,?,?,?,?,?,?)",
                (row.id, row.panel, row.level, row.seed, json.dumps(row.config), row.status, row.created_at, row.updated_at),
            )

    def add_turn(self, session_id: str, idx: int, kind: str, question_number: int, prompt: dict) -> None:
        now = time.time()
        with self._connect() as db:
            db.execute(
                "INSERT INTO turns (session_id, idx, kind, question_number, prompt, created_at) VALUES (?,?,?,?,?,?)",
                (session_id, idx, kind, question_number, json.dumps(prompt, ensure_ascii=False), now),
            )
            db.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now, session_id))

    def record_answer(self, session_id: str, idx: int, answer: str, scorecard: dict, *,
                      elapsed_s: float | None = None) -> None:
        """`elapsed_s`: seconds the candidate took to answer, if the interface measured it."""
        now = time.time()
        with self._connect() as db:
            cur = db.execute(
                "UPDATE turns SET answer = ?, scorecard = ?, answered_at = ?, elapsed_s = ? "
                "WHERE session_id = ? AND idx = ? AND answer IS NULL",
                (answer, json.dumps(scorecard, ensure_ascii=False), now, elapsed_s, session_id, idx),
            )
            if cur.rowcount != 1:
                raise UserInputError(f"Turn {idx} of session {session_id} is already answered or does not exist.",
                                     "Reload the session; another window may have answered it.")
            db.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now, session_id))

    def set_status(self, session_id: str, status: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE sessions SET status = ?, updated_at = ? WHERE id = ?", (status, time.time(), session_id))

    def load(self, session_id: str) -> tuple[SessionRow, list[TurnRow]]:
        with self._connect() as db:
            row = db.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                raise UserInputError(f"No session {session_id!r} in {self.path}.", "List sessions with list_sessions() and pick an id from there.")
            turns = db.execute(
                "SELECT idx, kind, question_number, prompt, answer, scorecard FROM turns WHERE session_id = ? ORDER BY idx",
                (session_id,),
            ).fetchall()
        session = SessionRow(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6], row[7])
        return session, [
            TurnRow(t[0], t[1], t[2], json.loads(t[3]), t[4], json.loads(t[5]) if t[5] else None) for t in turns
        ]

    def recent_questions(self, panel: str, limit: int = 200) -> list[str]:
        """The texts of the latest questions asked on `panel` in any session, newest first: what the
        interviewer should not ask again soon."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT t.prompt FROM turns t JOIN sessions s ON s.id = t.session_id "
                "WHERE s.panel = ? AND t.kind = 'question' ORDER BY t.created_at DESC LIMIT ?",
                (panel, limit),
            ).fetchall()
        return [json.loads(r[0]).get("text", "") for r in rows]

    def list(self) -> list[dict]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT s.id, s.panel, s.level, s.status, s.created_at, s.updated_at, COUNT(t.idx), COUNT(t.answer) "
                "FROM sessions s LEFT JOIN turns t ON t.session_id = s.id GROUP BY s.id ORDER BY s.updated_at DESC"
            ).fetchall()
        keys = ("id", "panel", "level", "status", "created_at", "updated_at", "turns", "answered")
        return [dict(zip(keys, r)) for r in rows]

"""Loops in the sessions database: one row per loop, and which session ran each of its panels.

The panel interviews themselves are ordinary sessions (turns saved as they happen); a loop only
records their order, so history, `coach show` and `coach resume` work on each panel as on any
session. Tables from migration 4 (`coach.session._migrations`).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field

from coach.errors import UserInputError
from coach.session.store import SessionStore


@dataclass(frozen=True)
class LoopRow:
    id: str
    level: str
    panels: list[str]
    config: dict  # questions, followups, seed
    status: str  # active | finished
    created_at: float
    updated_at: float
    sessions: dict[int, str] = field(default_factory=dict)  # position -> session id, for panels started


_COLUMNS = "id, level, panels, config, status, created_at, updated_at"


class LoopStore:
    def __init__(self, store: SessionStore):
        self.store = store

    def create(self, row: LoopRow) -> None:
        with self.store.transaction() as db:
            db.execute(f"INSERT INTO loops ({_COLUMNS}) VALUES (?,?,?,?,?,?,?)",
                       (row.id, row.level, json.dumps(row.panels), json.dumps(row.config), row.status,
                        row.created_at, row.updated_at))

    @staticmethod
    def insert_new(db: sqlite3.Connection, rows: list[LoopRow]) -> tuple[list[str], list[str]]:
        """Insert, inside the caller's transaction (an import), the loops whose id is not stored yet,
        with their panels' sessions, which must be stored already; returns (inserted ids, skipped
        ids). A session that runs a panel of another stored loop is an error: the caller's
        transaction then writes nothing."""
        inserted, skipped = [], []
        for row in rows:
            if db.execute("SELECT 1 FROM loops WHERE id = ?", (row.id,)).fetchone():
                skipped.append(row.id)
                continue
            db.execute(f"INSERT INTO loops ({_COLUMNS}) VALUES (?,?,?,?,?,?,?)",
                       (row.id, row.level, json.dumps(row.panels), json.dumps(row.config), row.status,
                        row.created_at, row.updated_at))
            for position, session_id in sorted(row.sessions.items()):
                other = db.execute("SELECT loop_id FROM loop_sessions WHERE session_id = ?", (session_id,)).fetchone()
                if other:
                    raise UserInputError(f"Loop {row.id}: session {session_id} already runs a panel of loop {other[0]}.",
                                         "Nothing was imported. Remove that loop from the file, or import into an empty data dir.")
                db.execute("INSERT INTO loop_sessions (loop_id, position, session_id) VALUES (?,?,?)",
                           (row.id, position, session_id))
            inserted.append(row.id)
        return inserted, skipped

    def attach(self, loop_id: str, position: int, session_id: str) -> None:
        """Record that `session_id` runs the panel at `position`."""
        now = time.time()
        try:
            with self.store.transaction() as db:
                db.execute("INSERT INTO loop_sessions (loop_id, position, session_id) VALUES (?,?,?)",
                           (loop_id, position, session_id))
                db.execute("UPDATE loops SET updated_at = ? WHERE id = ?", (now, loop_id))
        except sqlite3.IntegrityError as err:
            raise UserInputError(f"Panel {position + 1} of loop {loop_id} already has a session.",
                                 "Reload the loop; another window may have moved it on.") from err

    def set_status(self, loop_id: str, status: str) -> None:
        with self.store.transaction() as db:
            db.execute("UPDATE loops SET status = ?, updated_at = ? WHERE id = ?", (status, time.time(), loop_id))

    def load(self, loop_id: str) -> LoopRow:
        with self.store.transaction(write=False) as db:
            r = db.execute(f"SELECT {_COLUMNS} FROM loops WHERE id = ?", (loop_id,)).fetchone()
            if r is None:
                raise UserInputError(f"No loop {loop_id!r} in {self.store.path}.",
                                     "List the saved loops with `coach loop --list` and pick an id from there.")
            links = db.execute("SELECT position, session_id FROM loop_sessions WHERE loop_id = ?", (loop_id,)).fetchall()
        return _row(r, dict(links))

    def list(self) -> list[LoopRow]:
        """Every loop, most recently active first."""
        with self.store.transaction(write=False) as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM loops ORDER BY updated_at DESC").fetchall()
            links = db.execute("SELECT loop_id, position, session_id FROM loop_sessions").fetchall()
        by_loop: dict[str, dict[int, str]] = {}
        for loop_id, position, session_id in links:
            by_loop.setdefault(loop_id, {})[position] = session_id
        return [_row(r, by_loop.get(r[0], {})) for r in rows]


def _row(r: tuple, sessions: dict[int, str]) -> LoopRow:
    return LoopRow(r[0], r[1], json.loads(r[2]), json.loads(r[3]), r[4], r[5], r[6], sessions)

"""Numbered schema migrations for the sessions database.

A migration is never edited once released: a schema change is a new entry at the end of
MIGRATIONS. Each one is applied once, in its own transaction together with its row in
`schema_migrations`, so a crash leaves the database at one version or the next, never between.
A database without `schema_migrations` was written before migrations existed: it is version 0,
and migration 1 (the tables as they were then, `IF NOT EXISTS`) is a no-op on it.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from coach.errors import CoachError


@dataclass(frozen=True)
class Column:
    """A column to add. SQLite has no `ADD COLUMN IF NOT EXISTS`, and a database that a development
    build already altered may have it, so it is added only when `PRAGMA table_info` lacks it."""

    table: str
    name: str
    decl: str


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: tuple[str, ...] = ()  # one statement each: executescript() would commit the open transaction
    columns: tuple[Column, ...] = ()  # added before `sql` runs, so an index may use them


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "sessions and turns", sql=(
        """CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    panel TEXT NOT NULL,
    level TEXT NOT NULL,
    seed INTEGER NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
)""",
        """CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    idx INTEGER NOT NULL,
    kind TEXT NOT NULL,
    question_number INTEGER NOT NULL,
    prompt TEXT NOT NULL,
    answer TEXT,
    scorecard TEXT,
    created_at REAL NOT NULL,
    answered_at REAL,
    PRIMARY KEY (session_id, idx)
)""",
    )),
    Migration(
        2, "turn answer time and answered-turn index",
        columns=(Column("turns", "elapsed_s", "REAL"),),  # seconds taken to answer; NULL when unknown
        sql=("CREATE INDEX IF NOT EXISTS turns_by_session_answered ON turns(session_id, answered_at)",),
    ),
    Migration(
        3, "session backend and model",
        # Which LLM backend and model the session ran with; NULL for sessions from before.
        columns=(Column("sessions", "backend", "TEXT"), Column("sessions", "model", "TEXT")),
        sql=("CREATE INDEX IF NOT EXISTS sessions_by_update ON sessions(updated_at)",),
    ),
    Migration(4, "onsite loops", sql=(
        # A loop ties one session per panel together, in order. Forgetting a session removes it
        # from its loop (ON DELETE CASCADE): that panel is then simply not started.
        """CREATE TABLE IF NOT EXISTS loops (
    id TEXT PRIMARY KEY,
    level TEXT NOT NULL,
    panels TEXT NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
)""",
        """CREATE TABLE IF NOT EXISTS loop_sessions (
    loop_id TEXT NOT NULL REFERENCES loops(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    session_id TEXT NOT NULL UNIQUE REFERENCES sessions(id) ON DELETE CASCADE,
    PRIMARY KEY (loop_id, position)
)""",
    )),
    Migration(
        5, "signal reviews for the weak-signal schedule",
        # One row per answered turn and signal it asked about (coach.practice.reviews); filled from the
        # sessions answered so far, so the schedule starts from the history already saved.
        sql=(
            """CREATE TABLE IF NOT EXISTS signal_reviews (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    turn_idx INTEGER NOT NULL,
    panel TEXT NOT NULL,
    signal TEXT NOT NULL,
    level INTEGER NOT NULL,
    answered_at REAL NOT NULL,
    PRIMARY KEY (session_id, turn_idx, signal)
)""",
            "CREATE INDEX IF NOT EXISTS signal_reviews_by_signal ON signal_reviews(panel, signal, answered_at)",
            # Rows with text that is not JSON are left out first (MATERIALIZED), so json_each never sees them.
            """INSERT OR IGNORE INTO signal_reviews (session_id, turn_idx, panel, signal, level, answered_at)
WITH t AS MATERIALIZED (
    SELECT t.session_id, t.idx, t.kind, t.prompt, t.scorecard, COALESCE(t.answered_at, t.created_at) AS at, s.panel
    FROM turns t JOIN sessions s ON s.id = t.session_id
    WHERE t.scorecard IS NOT NULL AND json_valid(t.scorecard) AND json_valid(t.prompt)
)
SELECT t.session_id, t.idx, t.panel, json_extract(sig.value, '$.id'), json_extract(sig.value, '$.level'), t.at
FROM t, json_each(t.scorecard, '$.signals') AS sig
WHERE json_type(sig.value, '$.level') = 'integer'
  AND json_extract(sig.value, '$.id') IN (
      SELECT a.value FROM json_each(t.prompt, '$.provenance.signals') AS a WHERE t.kind = 'question'
      UNION SELECT json_extract(t.prompt, '$.signal') WHERE t.kind = 'follow-up')""",
        ),
    ),
    Migration(6, "story bank", sql=(
        # A story's scorecards (panel slug -> scorecard JSON) and tags (a JSON list) live in the row:
        # adding, editing or removing a story is one row, written in one transaction.
        """CREATE TABLE IF NOT EXISTS stories (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    tags TEXT NOT NULL,
    scorecards TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
)""",
    )),
    Migration(
        7, "session pooled score, band and levels",
        # The interview's pooled result, written with each answer so listing sessions reads no
        # scorecards; `pooled_key` names the pooling rules it came from. NULL (sessions saved or
        # imported before) and a key the current rules do not match are recomputed on listing.
        columns=(Column("sessions", "pooled_key", "TEXT"), Column("sessions", "pooled_score", "REAL"),
                 Column("sessions", "pooled_band", "TEXT"), Column("sessions", "pooled_levels", "TEXT")),
    ),
)
LATEST = MIGRATIONS[-1].version

_LEDGER = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at REAL NOT NULL
)"""


def recorded_version(db: sqlite3.Connection) -> int:
    """The highest applied version; 0 for a database from before migrations (or a new, empty one)."""
    has_ledger = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if not has_ledger:
        return 0
    return db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]


def refuse_newer(db: sqlite3.Connection, where: Path) -> int:
    """The recorded version, or CoachError if this code does not know it. Only reads, so a file
    from a newer coach is left exactly as it was."""
    version = recorded_version(db)
    if version > LATEST:
        raise CoachError(
            f"The sessions database {where} was written by a newer version of the coach "
            f"(schema version {version}; this version knows up to {LATEST}), so it is left untouched.",
            "Upgrade the coach to the version that wrote it, or set COACH_DATA_DIR to another directory "
            "to start a separate sessions database with this version.",
        )
    return version


def apply(db: sqlite3.Connection, where: Path) -> int:
    """Bring the database to LATEST and return the version it is at. `db` must be in autocommit
    mode (isolation_level=None): transactions are opened here, one per migration."""
    seen = refuse_newer(db, where)
    for migration in MIGRATIONS:
        if migration.version <= seen:
            continue  # the usual case for every migration: no write lock is taken
        # IMMEDIATE takes the write lock before reading the version, so a second process opening
        # the same new file waits here (busy timeout), then sees the version already recorded.
        db.execute("BEGIN IMMEDIATE")
        try:
            if refuse_newer(db, where) < migration.version:
                _run(db, migration)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
    return recorded_version(db)


def _run(db: sqlite3.Connection, migration: Migration) -> None:
    db.execute(_LEDGER)
    for col in migration.columns:
        existing = {row[1] for row in db.execute(f"PRAGMA table_info({col.table})")}
        if col.name not in existing:
            db.execute(f"ALTER TABLE {col.table} ADD COLUMN {col.name} {col.decl}")
    for statement in migration.sql:
        db.execute(statement)
    db.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
        (migration.version, migration.name, time.time()),
    )

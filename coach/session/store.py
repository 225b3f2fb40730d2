"""Mock sessions in SQLite, written turn by turn so a crash or a closed browser loses nothing.

Three tables: `sessions` (one row per session: panel, level, seed, settings, LLM backend and
model), `turns` (one row per prompt put to the candidate, filled in with the answer and its
scorecard once answered) and `signal_reviews` (each answer's level on the signals its turn asked
about, from which the weak-signal schedule is replayed; see `coach.practice`). Objects are stored
as JSON from their pydantic models, so a row is readable with the sqlite3 shell. The schema is
built and upgraded by the numbered migrations in `_migrations.py`, never edited in place.

Every call opens its own connection, runs in one transaction and closes the connection before it
returns: safe across threads (the web app), nothing is left open for a killed process to lose,
and the write is on disk when the call returns. Foreign keys are enforced on every connection
(SQLite leaves them off unless asked, per connection).

Failures of the file itself become errors that say what to do: a damaged file is
`SessionsCorruptError`, a full disk or a read-only directory `StorageError`. In a read-only data
dir the sessions can still be read (listed, shown, exported); every write is refused up front. On a
full disk they can still be read too (see `_files`), and a write fails saying the disk is full.
"""

from __future__ import annotations

import contextlib
import errno
import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from coach.errors import CoachError, SessionsCorruptError, UserInputError, disk_problem, storage_error
from coach.practice import reviews
from coach.practice.schedule import Item
from coach.session import _files, _migrations
from coach.text_input import storable


_CORRUPT = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
_DISK = {sqlite3.SQLITE_FULL: "full", sqlite3.SQLITE_READONLY: "read-only", sqlite3.SQLITE_IOERR: None,
         sqlite3.SQLITE_CANTOPEN: None, sqlite3.SQLITE_PERM: None}


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
    backend: str | None = None  # the LLM backend and model the session ran with; None before migration 3
    model: str | None = None


@dataclass(frozen=True)
class TurnRow:
    idx: int
    kind: str
    question_number: int
    prompt: dict
    answer: str | None
    scorecard: dict | None
    # When the prompt was shown and answered, and how long the answer took: kept for export, not
    # part of what a turn *is* (two loads of one turn compare equal whatever the clock said).
    created_at: float | None = field(default=None, compare=False)
    answered_at: float | None = field(default=None, compare=False)
    elapsed_s: float | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Pooled:
    """A session's pooled result (its wrap-up's score, band and per-signal levels), stored with each
    answer so the list of sessions needs no scorecards. `key` names the pooling rules it was computed
    under (`coach.scoring.pooling.pooling_key`): a stored result under another key is stale."""

    key: str
    score: float | None
    band: str | None
    levels: dict[str, int | None]


_POOLED_SET = "pooled_key = ?, pooled_score = ?, pooled_band = ?, pooled_levels = ?"


def _pooled_values(p: Pooled) -> tuple:
    return (p.key, p.score, p.band, json.dumps(p.levels))


def _pooled(key: str | None, score: float | None, band: str | None, levels: str | None) -> Pooled | None:
    return None if key is None else Pooled(key, score, band, json.loads(levels) if levels else {})


_SESSION_COLUMNS = "id, panel, level, seed, config, status, created_at, updated_at, backend, model"
_TURN_COLUMNS = "idx, kind, question_number, prompt, answer, scorecard, created_at, answered_at, elapsed_s"


def _session(r: tuple) -> SessionRow:
    return SessionRow(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[7], r[8], r[9])


def _turn(t: tuple) -> TurnRow:
    return TurnRow(t[0], t[1], t[2], json.loads(t[3]), t[4], json.loads(t[5]) if t[5] else None, t[6], t[7], t[8])


def _no_session(session_id: str, where: Path) -> UserInputError:
    return UserInputError(f"No session {session_id!r} in {where}.",
                          "List the saved sessions with `coach history` (or Coach.list_sessions()) and pick an id from there.")


class SessionStore:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time):
        """`clock` gives the time written on rows (seconds since the epoch); tests pass one they control."""
        self.path = Path(path)
        self.clock = clock
        self.read_only = False
        self._open()

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.read_only = self.path.is_file() and disk_problem(self.path) == "read-only"
            try:
                with closing(self._connect()) as db:
                    # Refused before the switch to WAL, which rewrites the header of a file in another mode.
                    version = _migrations.refuse_newer(db, self.path)
                    if self.read_only and version < _migrations.LATEST:
                        raise self._refused()  # reading it needs the migrations, which write
                    if not self.read_only:
                        _files.switch_to_wal(db)
                        _migrations.apply(db, self.path)
            except sqlite3.Error as err:
                if self.read_only or not self._short_of_space(err):
                    raise
                with closing(_files.connect_without_space(self.path)) as db:
                    if _migrations.refuse_newer(db, self.path) < _migrations.LATEST:
                        raise err from None  # it needs the migrations, which need space: a failed write
                # Up to date: it is read without space, and each write says the disk is full.
        except sqlite3.Error as err:
            raise self._failure(err) or CoachError(
                f"The sessions database {self.path} cannot be opened: {err}.",
                f"Move it aside (e.g. `mv {self.path} {self.path}.broken`); a new one is created on the next run.") from err
        except OSError as err:
            raise storage_error("the sessions database", self.path, err) or CoachError(
                f"The sessions database {self.path} cannot be created: {err}.",
                "Check that COACH_DATA_DIR names a directory you can write to.") from err

    def _connect(self) -> sqlite3.Connection:
        return _files.connect(self.path, self.read_only)

    def _short_of_space(self, err: sqlite3.Error) -> bool:
        code = (getattr(err, "sqlite_errorcode", None) or 0) & 0xFF
        return code in _DISK and disk_problem(self.path) == "full"

    def _begin_read(self) -> sqlite3.Connection:
        db = self._connect()
        try:
            db.execute("PRAGMA foreign_keys = ON")
            if not self.read_only:
                db.execute("PRAGMA secure_delete = ON")
            _files.start_reading(db)
            return db
        except sqlite3.Error as err:
            db.close()
            if self.read_only or not self._short_of_space(err):
                raise
        db = _files.connect_without_space(self.path)  # a full disk: read what is saved all the same
        try:
            _files.start_reading(db)
        except BaseException:
            db.close()
            raise
        return db

    def _refused(self) -> CoachError:
        err = OSError(errno.EROFS, "read-only file system or directory")
        return storage_error("the sessions database", self.path, err, "read-only")  # type: ignore[return-value]

    def _failure(self, err: sqlite3.Error, reading: bool = False) -> CoachError | None:
        """What a failure of the database file means to the user; None for other errors (a bug)."""
        code = (getattr(err, "sqlite_errorcode", None) or 0) & 0xFF
        if code in _CORRUPT:
            p = self.path
            return SessionsCorruptError(
                f"The sessions database {p} is damaged ({err}).",
                f"Nothing was deleted. Move it aside (`mv {p} {p}.broken`); the next run starts an empty one. To get back "
                f"what is readable: `sqlite3 {p}.broken .recover | sqlite3 {p}` (the sqlite3 shell), or `coach import` "
                "a file you saved with `coach export`.",
            )
        if code in _DISK:
            found = storage_error("the sessions database", self.path, err, _DISK[code], reading=reading)
            return found or CoachError(f"The sessions database {self.path} cannot be used: {err}.",
                                       "Check the file's permissions and the disk it is on, then retry.")
        return None

    @contextmanager
    def _tx(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction on a connection of its own, closed on the way out. A write takes the
        write lock up front (IMMEDIATE), so it waits for another writer instead of failing halfway."""
        if write and self.read_only:
            raise self._refused()
        if not self.read_only and not self.path.exists():
            self._open()  # moved aside while the app ran: start the empty one now
        db = None
        try:
            if write:
                db = self._connect()
                db.execute("PRAGMA foreign_keys = ON")
                db.execute("PRAGMA secure_delete = ON")  # deleted text is overwritten, not just unlinked
                db.execute("BEGIN IMMEDIATE")
            else:
                db = self._begin_read()
            yield db
            db.execute("COMMIT")
        except BaseException as err:
            if db is not None and db.in_transaction:
                with contextlib.suppress(sqlite3.Error):  # a damaged file may refuse the rollback too
                    db.execute("ROLLBACK")
            if isinstance(err, sqlite3.Error) and (failure := self._failure(err, reading=not write)) is not None:
                raise failure from err
            raise
        finally:
            if db is not None:
                db.close()

    def transaction(self, write: bool = True) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """One transaction on this database, for the stages that keep tables of their own in it (loops, the story bank)."""
        return self._tx(write)

    def schema_version(self) -> int:
        """The highest migration applied to the file (see _migrations.MIGRATIONS)."""
        with self._tx(write=False) as db:
            return _migrations.recorded_version(db)

    def create(self, row: SessionRow) -> None:
        with self._tx() as db:
            _insert_session(db, row)

    def add_turn(self, session_id: str, idx: int, kind: str, question_number: int, prompt: dict) -> None:
        now = self.clock()
        try:
            with self._tx() as db:
                db.execute(
                    "INSERT INTO turns (session_id, idx, kind, question_number, prompt, created_at) VALUES (?,?,?,?,?,?)",
                    (session_id, idx, kind, question_number, json.dumps(prompt, ensure_ascii=False), now),
                )
                db.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now, session_id))
        except sqlite3.IntegrityError as err:
            if "FOREIGN KEY" in str(err):
                raise _no_session(session_id, self.path) from err
            raise UserInputError(f"Turn {idx} of session {session_id} already exists.",
                                 "Reload the session; another window may have moved it on.") from err

    def record_answer(self, session_id: str, idx: int, answer: str, scorecard: dict, *,
                      elapsed_s: float | None = None, pooled: Pooled | None = None) -> None:
        """`elapsed_s`: seconds the candidate took to answer, if the interface measured it; `pooled`:
        the session's pooled result with this answer counted, saved in the same transaction. The
        answer's levels on the signals the turn asked about go to the review schedule in the same
        transaction too (`coach.practice.reviews`)."""
        now = self.clock()
        with self._tx() as db:
            cur = db.execute(
                "UPDATE turns SET answer = ?, scorecard = ?, answered_at = ?, elapsed_s = ? "
                "WHERE session_id = ? AND idx = ? AND answer IS NULL",
                (answer, json.dumps(scorecard, ensure_ascii=False), now, elapsed_s, session_id, idx),
            )
            if cur.rowcount != 1:
                raise UserInputError(f"Turn {idx} of session {session_id} is already answered or does not exist.",
                                     "Reload the session; another window may have answered it.")
            panel, kind, prompt = db.execute(
                "SELECT s.panel, t.kind, t.prompt FROM turns t JOIN sessions s ON s.id = t.session_id "
                "WHERE t.session_id = ? AND t.idx = ?", (session_id, idx)).fetchone()
            reviews.record(db, session_id, idx, panel, kind, json.loads(prompt), scorecard, now)
            db.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now, session_id))
            if pooled is not None:
                db.execute(f"UPDATE sessions SET {_POOLED_SET} WHERE id = ?", (*_pooled_values(pooled), session_id))

    def set_pooled(self, results: Iterable[tuple[str, float, Pooled]]) -> int:
        """Store pooled results computed from loaded sessions, as (session id, the `updated_at` it was
        loaded at, result), in one transaction. A session changed since (another answer) keeps what
        its own write stored. Returns how many were stored."""
        with self._tx() as db:
            return sum(db.execute(f"UPDATE sessions SET {_POOLED_SET} WHERE id = ? AND updated_at = ?",
                                  (*_pooled_values(p), sid, updated)).rowcount for sid, updated, p in results)

    def set_status(self, session_id: str, status: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE sessions SET status = ?, updated_at = ? WHERE id = ?", (status, self.clock(), session_id))

    def load(self, session_id: str) -> tuple[SessionRow, list[TurnRow]]:
        if not storable(session_id):  # typed or pasted: no id holds half a surrogate pair
            raise _no_session(session_id, self.path)
        with self._tx(write=False) as db:
            row = db.execute(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                raise _no_session(session_id, self.path)
            turns = db.execute(f"SELECT {_TURN_COLUMNS} FROM turns WHERE session_id = ? ORDER BY idx", (session_id,)).fetchall()
        return _session(row), [_turn(t) for t in turns]

    def recent_questions(self, panel: str, limit: int = 200) -> list[str]:
        """The texts of the latest questions asked on `panel` in any session, newest first: what the
        interviewer should not ask again soon."""
        with self._tx(write=False) as db:
            rows = db.execute(
                "SELECT t.prompt FROM turns t JOIN sessions s ON s.id = t.session_id "
                "WHERE s.panel = ? AND t.kind = 'question' ORDER BY t.created_at DESC LIMIT ?",
                (panel, limit),
            ).fetchall()
        return [json.loads(r[0]).get("text", "") for r in rows]

    def list(self) -> list[dict]:
        """One dict per session, most recently active first: its row, how many turns were shown and
        answered, and its stored pooled result (`pooled`: a Pooled, or None when none is stored)."""
        with self._tx(write=False) as db:
            rows = db.execute(
                "SELECT s.id, s.panel, s.level, s.status, s.created_at, s.updated_at, s.backend, s.model, "
                "COUNT(t.idx), COUNT(t.answer), s.pooled_key, s.pooled_score, s.pooled_band, s.pooled_levels "
                "FROM sessions s LEFT JOIN turns t ON t.session_id = s.id GROUP BY s.id ORDER BY s.updated_at DESC"
            ).fetchall()
        keys = ("id", "panel", "level", "status", "created_at", "updated_at", "backend", "model", "turns", "answered")
        return [dict(zip(keys, r)) | {"pooled": _pooled(*r[10:])} for r in rows]

    def existing(self, session_ids: Iterable[str]) -> set[str]:
        """Which of `session_ids` are stored."""
        ids = list(dict.fromkeys(session_ids))
        found: set[str] = set()
        with self._tx(write=False) as db:
            for i in range(0, len(ids), 500):  # SQLite's limit on bound parameters
                chunk = ids[i : i + 500]
                found.update(r[0] for r in db.execute(f"SELECT id FROM sessions WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return found

    def insert(self, sessions: Iterable[tuple[SessionRow, list[TurnRow]]],
               also: Callable[[sqlite3.Connection], object] | None = None) -> tuple[list[str], list[str]]:
        """Store whole sessions (an import) in one transaction: all of them or, on any error, none;
        `also` writes the rest of the import (the stories) in the same transaction. A session whose
        id is already stored is left as it is. Returns (inserted ids, skipped ids)."""
        inserted: list[str] = []
        skipped: list[str] = []
        with self._tx() as db:
            for row, turns in sessions:
                if db.execute("SELECT 1 FROM sessions WHERE id = ?", (row.id,)).fetchone():
                    skipped.append(row.id)
                    continue
                _insert_session(db, row)
                db.executemany(
                    f"INSERT INTO turns (session_id, {_TURN_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    [(row.id, t.idx, t.kind, t.question_number, json.dumps(t.prompt, ensure_ascii=False), t.answer,
                      None if t.scorecard is None else json.dumps(t.scorecard, ensure_ascii=False),
                      row.created_at if t.created_at is None else t.created_at, t.answered_at, t.elapsed_s) for t in turns],
                )
                for t in turns:
                    at = next(x for x in (t.answered_at, t.created_at, row.updated_at) if x is not None)
                    reviews.record(db, row.id, t.idx, row.panel, t.kind, t.prompt, t.scorecard, at)
                inserted.append(row.id)
            if also is not None:
                also(db)
        return inserted, skipped

    def delete(self, session_ids: Iterable[str]) -> int:
        """Delete sessions, their turns and their rows of the review schedule in one transaction;
        returns how many sessions went. Freed pages still hold the text until `compact()`."""
        ids = list(dict.fromkeys(session_ids))
        with self._tx() as db:
            reviews.forget(db, ids)
            for sid in ids:
                db.execute("DELETE FROM turns WHERE session_id = ?", (sid,))
            return sum(db.execute("DELETE FROM sessions WHERE id = ?", (sid,)).rowcount for sid in ids)

    def review_items(self) -> list[Item]:
        """Every (panel, signal) that has been on the review schedule, replayed from the answers
        stored (see `coach.practice.schedule`), graduated ones included."""
        with self._tx(write=False) as db:
            return reviews.items(reviews.answers(db))

    def compact(self) -> None:
        """Rewrite the file without free pages and empty the write-ahead log, so text deleted
        earlier is gone from every byte on disk (VACUUM alone leaves old frames in the WAL)."""
        if self.read_only:
            raise self._refused()
        try:
            with closing(self._connect()) as db:
                _files.checkpoint(db)
                db.execute("VACUUM")
                _files.checkpoint(db)
        except sqlite3.Error as err:
            raise self._failure(err) or err



def _insert_session(db: sqlite3.Connection, row: SessionRow) -> None:
    db.execute(
        f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (row.id, row.panel, row.level, row.seed, json.dumps(row.config), row.status, row.created_at, row.updated_at,
         row.backend, row.model),
    )

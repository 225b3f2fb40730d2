"""Opening the sessions database file: the normal connection, the one for a read-only directory,
and the one for a full disk; switching a new file to WAL and emptying the WAL.

A WAL-mode file is read through a shared-memory index (the `-shm` file beside it) that SQLite
creates and sizes on the first read. On a full disk that fails (disk I/O error), so without help
even listing the sessions fails. SQLite deletes the `-wal` file when the last connection closes,
and every call of the store closes its connection, so the log is normally absent or empty: then
the file alone holds every committed change and can be read as immutable, which needs no new file
and takes no lock. A log with frames in it (left by a process that was killed) is read with an
exclusive lock instead, which keeps the index in memory rather than in `-shm`; closing it copies
the log into the file when there is room and leaves it intact when not.
"""

from __future__ import annotations

import sqlite3
import time
import urllib.parse
from pathlib import Path


def connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        return _immutable(path)  # SQLite would otherwise need to create the WAL's shared-memory file
    return sqlite3.connect(path, timeout=30, isolation_level=None)


def connect_without_space(path: Path) -> sqlite3.Connection:
    """A connection that reads every committed change without creating or growing a file."""
    wal = path.with_name(path.name + "-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        return _immutable(path)
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.execute("PRAGMA locking_mode = EXCLUSIVE")  # before the first read: the WAL index stays in memory
    return db


def _immutable(path: Path) -> sqlite3.Connection:
    uri = f"file:{urllib.parse.quote(str(path.resolve()))}?immutable=1"
    return sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)


def start_reading(db: sqlite3.Connection) -> None:
    """Begin a read transaction and read once, so a file that cannot be read fails here, before
    the caller's first query."""
    db.execute("BEGIN")
    db.execute("SELECT count(*) FROM sqlite_master").fetchone()


def switch_to_wal(db: sqlite3.Connection, wait_s: float = 30.0) -> None:
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


def checkpoint(db: sqlite3.Connection, wait_s: float = 10.0) -> None:
    """Copy the write-ahead log into the file and empty it. Another process reading at that moment
    (the web app) makes SQLite report busy instead of waiting; its reads are short, so try again."""
    deadline = time.monotonic() + wait_s
    while db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] and time.monotonic() < deadline:
        time.sleep(0.05)

"""The sessions store's parts that history relies on: backend and model per session (migration 3),
enforced foreign keys, connections closed after every call, all-or-nothing inserts, and deletes
that leave nothing of the text on disk. Fast: no models, no index."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from coach.errors import UserInputError
from coach.session.store import SessionRow, SessionStore, TurnRow

MARKER = "zebracorn-4471"


def _row(sid: str, created: float = 1.7e9, **kw) -> SessionRow:
    return SessionRow(sid, "system-design", "staff", 3, {"questions": 1, "followups": 0, "focus": None}, "active",
                      created, created, **kw)


def _open_handles(path: Path) -> list[str]:
    """This process's open file descriptors on the database or its -wal/-shm files."""
    fds = Path("/proc/self/fd")
    out = []
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(path)):
            out.append(target)
    return out


def test_backend_and_model_are_stored_per_session(tmp_path):
    store = SessionStore(tmp_path / "sessions.sqlite3")
    store.create(_row("a00000000001", backend="openai", model="llama-3.1-8b-instruct"))
    store.create(_row("a00000000002"))
    assert store.load("a00000000001")[0].backend == "openai"
    assert store.load("a00000000001")[0].model == "llama-3.1-8b-instruct"
    assert (store.load("a00000000002")[0].backend, store.load("a00000000002")[0].model) == (None, None)
    listed = {s["id"]: s for s in store.list()}
    assert (listed["a00000000001"]["backend"], listed["a00000000001"]["model"]) == ("openai", "llama-3.1-8b-instruct")


def test_foreign_keys_are_enforced(tmp_path):
    store = SessionStore(tmp_path / "sessions.sqlite3")
    with pytest.raises(UserInputError) as info:
        store.add_turn("feedc0ffee42", 0, "question", 1, {"text": "Orphan?"})
    assert "'feedc0ffee42'" in info.value.message and "coach history" in info.value.hint
    store.create(_row("a00000000003"))
    store.add_turn("a00000000003", 0, "question", 1, {"text": "Size it."})
    with pytest.raises(UserInputError, match="already exists"):
        store.add_turn("a00000000003", 0, "question", 1, {"text": "Size it again."})
    with closing(sqlite3.connect(store.path)) as raw:
        assert raw.execute("SELECT COUNT(*) FROM turns").fetchone() == (1,)
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []


def test_no_connection_stays_open_after_a_call(tmp_path):
    path = tmp_path / "sessions.sqlite3"
    store = SessionStore(path)
    store.create(_row("a00000000004"))
    store.add_turn("a00000000004", 0, "question", 1, {"text": "Size it."})
    store.record_answer("a00000000004", 0, "Ten shards.", {"overall": 40})
    store.load("a00000000004")
    store.list()
    store.recent_questions("system-design")
    store.schema_version()
    with pytest.raises(UserInputError):
        store.load("nope")
    assert _open_handles(path) == []
    # The last connection to close checkpoints the log and removes it: nothing is left open.
    assert not Path(f"{path}-wal").exists()


def test_insert_is_all_or_nothing_and_skips_stored_ids(tmp_path):
    store = SessionStore(tmp_path / "sessions.sqlite3")
    store.create(_row("a00000000005"))
    turn = TurnRow(0, "question", 1, {"text": "Size it."}, "Ten shards.", {"overall": 40}, 1.7e9, 1.7e9 + 5, 5.0)

    def failing():
        yield _row("b00000000001"), [turn]
        raise RuntimeError("the file ended half-way")

    with pytest.raises(RuntimeError):
        store.insert(failing())
    assert [s["id"] for s in store.list()] == ["a00000000005"]

    inserted, skipped = store.insert([(_row("b00000000001"), [turn]), (_row("a00000000005"), [])])
    assert (inserted, skipped) == (["b00000000001"], ["a00000000005"])
    row, turns = store.load("b00000000001")
    assert turns == [turn] and (turns[0].created_at, turns[0].answered_at, turns[0].elapsed_s) == (1.7e9, 1.7e9 + 5, 5.0)


def test_delete_then_compact_leaves_no_byte_of_the_text(tmp_path):
    path = tmp_path / "sessions.sqlite3"
    store = SessionStore(path)
    for sid in ("a00000000006", "a00000000007"):
        store.create(_row(sid))
        store.add_turn(sid, 0, "question", 1, {"text": "Size it."})
    store.record_answer("a00000000006", 0, f"We sharded by tenant, {MARKER}, at 10k writes per second.", {"overall": 60})
    store.record_answer("a00000000007", 0, "We kept one primary.", {"overall": 30})
    # A reader holding the log open, as the web app might: compaction must still get everything out.
    with closing(sqlite3.connect(path)) as reader:
        reader.execute("SELECT COUNT(*) FROM turns").fetchone()
        assert store.delete(["a00000000006"]) == 1
    store.compact()
    assert [s["id"] for s in store.list()] == ["a00000000007"]
    for f in tmp_path.iterdir():
        assert MARKER.encode() not in f.read_bytes(), f.name
    with pytest.raises(UserInputError):
        store.load("a00000000006")


def test_compact_removes_what_a_plain_delete_leaves_in_free_space(tmp_path):
    # Some SQLite builds overwrite deleted rows by default and some do not: here the delete is made
    # the plain way, so the text is still in the file's bytes until the store compacts it.
    path = tmp_path / "sessions.sqlite3"
    store = SessionStore(path)
    for i in range(10):
        store.create(_row(f"c0000000000{i}"))
        store.add_turn(f"c0000000000{i}", 0, "question", 1, {"text": "Size it."})
        store.record_answer(f"c0000000000{i}", 0, (MARKER if i == 5 else "plain") + " answer " + "x" * 200, {"overall": 1})
    with closing(sqlite3.connect(path)) as raw:
        raw.execute("PRAGMA secure_delete = OFF")
        raw.execute("DELETE FROM turns WHERE session_id = 'c00000000005'")
        raw.commit()
    assert any(MARKER.encode() in f.read_bytes() for f in tmp_path.iterdir())
    store.compact()
    assert not any(MARKER.encode() in f.read_bytes() for f in tmp_path.iterdir())
    assert len(store.list()) == 10

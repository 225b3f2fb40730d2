"""The sessions database: numbered migrations, upgrading the previous layout, and the store's calls.

Fast: no models, no index. `fixtures/sessions-v0.sqlite3` was written by the store as it was before
migrations existed (two sessions: one finished with a question and a follow-up, one active with an
unanswered question); every test works on a copy of it.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest

from coach.errors import CoachError, SessionsCorruptError, UserInputError
from coach.session import _migrations
from coach.session._migrations import LATEST, MIGRATIONS, Migration
from coach.session.store import SessionRow, SessionStore, TurnRow

VERSIONS = [m.version for m in MIGRATIONS]


FIXTURE = Path(__file__).parent / "fixtures" / "sessions-v0.sqlite3"
FINISHED, ACTIVE = "3f9c2a71b0de", "a41d07e95c3b"


def query(path: Path, sql: str, args: tuple = ()) -> list[tuple]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql, args).fetchall()


def ledger(path: Path) -> list[tuple]:
    return query(path, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version")


def columns(path: Path, table: str) -> list[str]:
    return [r[1] for r in query(path, f"PRAGMA table_info({table})")]


@pytest.fixture
def v0(tmp_path) -> Path:
    dest = tmp_path / "sessions-v0.sqlite3"
    shutil.copyfile(FIXTURE, dest)
    return dest


def test_migrations_are_numbered_from_one_without_gaps():
    assert VERSIONS == list(range(1, len(MIGRATIONS) + 1))
    assert LATEST == VERSIONS[-1] and len(MIGRATIONS) >= 2
    assert all(m.name.strip() for m in MIGRATIONS)
    assert len({m.name for m in MIGRATIONS}) == len(MIGRATIONS)


def test_migration_1_is_the_schema_the_previous_layout_wrote(tmp_path, v0):
    blank = tmp_path / "m1.sqlite3"
    with closing(sqlite3.connect(blank)) as db:
        for statement in MIGRATIONS[0].sql:
            db.execute(statement)
    schema = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
    assert query(blank, schema) == query(v0, schema)
    assert {r[1] for r in query(v0, schema)} >= {"sessions", "turns"}


def test_fresh_database_gets_every_migration_once(tmp_path):
    path = tmp_path / "new" / "sessions.sqlite3"
    store = SessionStore(path)
    first = ledger(path)
    assert [(v, n) for v, n, _ in first] == [(m.version, m.name) for m in MIGRATIONS]
    assert all(isinstance(at, float) and at > 1.6e9 for _, _, at in first)
    assert store.schema_version() == LATEST
    assert columns(path, "turns")[-1] == "elapsed_s"
    assert query(path, "SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND name = 'turns_by_session_answered'") == [("turns",)]
    assert query(path, "PRAGMA journal_mode") == [("wal",)]

    again = SessionStore(path)
    assert ledger(path) == first  # same rows, same applied_at: nothing re-applied
    assert again.schema_version() == LATEST


def test_previous_layout_is_upgraded_and_reads_back_unchanged(v0):
    assert query(v0, "SELECT name FROM sqlite_master WHERE name = 'schema_migrations'") == []
    assert "elapsed_s" not in columns(v0, "turns")
    turns_sql = "SELECT session_id, idx, kind, question_number, prompt, answer, scorecard, created_at, answered_at FROM turns ORDER BY session_id, idx"
    sessions_before = query(v0, "SELECT * FROM sessions ORDER BY id")
    turns_before = query(v0, turns_sql)
    assert [r[0] for r in sessions_before] == [FINISHED, ACTIVE]
    assert [(r[0], r[1], r[2], r[5] is not None) for r in turns_before] == [
        (FINISHED, 0, "question", True), (FINISHED, 1, "follow-up", True), (ACTIVE, 0, "question", False)
    ]

    store = SessionStore(v0)

    assert store.schema_version() == LATEST
    assert [(v, n) for v, n, _ in ledger(v0)] == [(m.version, m.name) for m in MIGRATIONS]
    assert query(v0, "SELECT id, panel, level, seed, config, status, created_at, updated_at FROM sessions ORDER BY id") == sessions_before
    assert query(v0, turns_sql) == turns_before
    assert query(v0, "SELECT elapsed_s FROM turns") == [(None,)] * 3
    assert query(v0, "SELECT backend, model FROM sessions") == [(None, None)] * 2  # not known for older sessions

    for sid in (FINISHED, ACTIVE):
        row, turns = store.load(sid)
        before = next(r for r in sessions_before if r[0] == sid)
        assert row == SessionRow(before[0], before[1], before[2], before[3], json.loads(before[4]), before[5], before[6], before[7])
        assert turns == [
            TurnRow(t[1], t[2], t[3], json.loads(t[4]), t[5], json.loads(t[6]) if t[6] else None)
            for t in turns_before if t[0] == sid
        ]
    finished, turns = store.load(FINISHED)
    assert (finished.panel, finished.status, finished.config["questions"]) == ("system-design", "finished", 1)
    assert turns[0].answer.startswith("The root problem is synchronised expiry")
    assert turns[1].prompt["signal"] == "resilience"
    assert [t.scorecard["overall"] for t in turns] == [66, 81]
    assert {(s["id"], s["status"], s["panel"]) for s in store.list()} == {
        (FINISHED, "finished", "system-design"), (ACTIVE, "active", "behavioral")
    }

    # The unanswered turn carries on in the upgraded file, with the new column.
    store.record_answer(ACTIVE, 0, "In 2022 the platform team mandated Postgres for every new service.", {"overall": 50}, elapsed_s=95.0)
    assert query(v0, "SELECT answer, elapsed_s FROM turns WHERE session_id = ?", (ACTIVE,)) == [
        ("In 2022 the platform team mandated Postgres for every new service.", 95.0)
    ]


def _stored_part(new, old):
    """`new` cut down to the keys `old` has, at every depth."""
    if isinstance(new, dict) and isinstance(old, dict):
        return {k: _stored_part(new[k], old[k]) for k in old if k in new}
    return new


def test_fixture_prompts_and_scorecards_still_validate(v0):
    try:
        from coach.interviewer.followups import FollowUp
        from coach.interviewer.questions import Question
        from coach.scoring.scorecard import Scorecard
    except ImportError as err:
        pytest.skip(f"the pydantic models cannot be imported: {err}")
    store = SessionStore(v0)
    seen = []
    for sid in (FINISHED, ACTIVE):
        for t in store.load(sid)[1]:
            model = Question if t.kind == "question" else FollowUp
            item = model.model_validate(t.prompt)
            # Newer versions add fields with defaults; every stored field must read back unchanged.
            assert _stored_part(item.model_dump(mode="json"), t.prompt) == t.prompt
            if t.scorecard is not None:
                card = Scorecard.model_validate(t.scorecard)
                assert _stored_part(card.model_dump(mode="json"), t.scorecard) == t.scorecard
            seen.append((sid, t.idx, type(item).__name__, t.scorecard is not None))
    assert seen == [(FINISHED, 0, "Question", True), (FINISHED, 1, "FollowUp", True), (ACTIVE, 0, "Question", False)]


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_database_from_a_newer_version_is_refused_and_left_alone(tmp_path, v0, journal):
    with closing(sqlite3.connect(v0)) as db:
        db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)")
        db.executemany("INSERT INTO schema_migrations VALUES (?, ?, 1.7e9)",
                       [(v, f"migration {v}") for v in range(1, LATEST + 2)])
        db.commit()
        db.execute(f"PRAGMA journal_mode={journal}")
    before = v0.read_bytes()
    files = sorted(p.name for p in tmp_path.iterdir())

    with pytest.raises(CoachError) as info:
        SessionStore(v0)

    err = info.value
    assert "newer version of the coach" in err.message
    assert str(v0) in err.message and f"schema version {LATEST + 1}" in err.message
    assert "Upgrade the coach" in err.hint and "COACH_DATA_DIR" in err.hint
    assert "Move it aside" not in err.hint  # not mistaken for a corrupt file
    assert v0.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files


def test_column_already_present_is_not_added_again(v0):
    with closing(sqlite3.connect(v0)) as db:
        db.execute("ALTER TABLE turns ADD COLUMN elapsed_s REAL")
    SessionStore(v0)
    assert columns(v0, "turns").count("elapsed_s") == 1
    assert [v for v, _, _ in ledger(v0)] == VERSIONS


def test_a_failing_migration_leaves_no_trace_and_a_later_fix_applies_once(tmp_path, monkeypatch):
    path = tmp_path / "sessions.sqlite3"
    SessionStore(path)
    broken = Migration(LATEST + 1, "broken", sql=("CREATE TABLE half_done (x INTEGER)", "CREATE TABLE oops ("))
    monkeypatch.setattr(_migrations, "MIGRATIONS", (*MIGRATIONS, broken))
    monkeypatch.setattr(_migrations, "LATEST", LATEST + 1)
    with pytest.raises(CoachError):
        SessionStore(path)
    assert [v for v, _, _ in ledger(path)] == VERSIONS
    assert query(path, "SELECT name FROM sqlite_master WHERE name = 'half_done'") == []

    fixed = Migration(LATEST + 1, "fixed", sql=("CREATE TABLE half_done (x INTEGER)",))
    monkeypatch.setattr(_migrations, "MIGRATIONS", (*MIGRATIONS, fixed))
    assert SessionStore(path).schema_version() == LATEST + 1
    assert SessionStore(path).schema_version() == LATEST + 1
    assert [(v, n) for v, n, _ in ledger(path)][-1] == (LATEST + 1, "fixed")
    assert len(ledger(path)) == len(MIGRATIONS) + 1


def test_concurrent_first_opens_apply_each_migration_once(tmp_path):
    for round_ in range(5):
        path = tmp_path / f"race{round_}.sqlite3"
        barrier, errors = threading.Barrier(4), []

        def open_store():
            barrier.wait()
            try:
                SessionStore(path)
            except Exception as err:  # noqa: BLE001 - collected and asserted on below
                errors.append(err)

        threads = [threading.Thread(target=open_store) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert [v for v, _, _ in ledger(path)] == VERSIONS


def _card(overall: int) -> dict:
    return {"panel": "system-design", "overall": overall, "band": "hire", "signals": [{"id": "capacity-math", "level": 3}]}


def test_store_round_trip(tmp_path):
    store = SessionStore(tmp_path / "sessions.sqlite3")
    row = SessionRow(id="b7e1c0a9d244", panel="system-design", level="staff", seed=11,
                     config={"questions": 1, "followups": 1, "focus": "rate limiting"}, status="active",
                     created_at=1_700_000_000.0, updated_at=1_700_000_000.0)
    store.create(row)
    store.add_turn(row.id, 0, "question", 1, {"text": "Size a per-tenant rate limiter.", "panel": "system-design"})
    store.record_answer(row.id, 0, "Token buckets in Redis, 1,000 rps per tenant.", _card(62), elapsed_s=42.5)
    store.add_turn(row.id, 1, "follow-up", 1, {"text": "What if Redis is down?", "signal": "resilience"})
    store.record_answer(row.id, 1, "Fail open with a local bucket at 1/40 of the limit.", _card(70))  # old call
    store.set_status(row.id, "finished")
    other = SessionRow(id="0c55d2e8f1a3", panel="behavioral", level="senior", seed=3, config={}, status="active",
                       created_at=1_600_000_000.0, updated_at=1_600_000_000.0)
    store.create(other)

    loaded, turns = store.load(row.id)
    assert (loaded.id, loaded.panel, loaded.level, loaded.seed, loaded.config, loaded.status, loaded.created_at) == (
        row.id, row.panel, row.level, row.seed, row.config, "finished", row.created_at)
    assert loaded.updated_at > row.updated_at
    assert turns == [
        TurnRow(0, "question", 1, {"text": "Size a per-tenant rate limiter.", "panel": "system-design"},
                "Token buckets in Redis, 1,000 rps per tenant.", _card(62)),
        TurnRow(1, "follow-up", 1, {"text": "What if Redis is down?", "signal": "resilience"},
                "Fail open with a local bucket at 1/40 of the limit.", _card(70)),
    ]
    assert query(store.path, "SELECT idx, elapsed_s FROM turns ORDER BY idx") == [(0, 42.5), (1, None)]
    listed = store.list()
    assert [(s["id"], s["status"], s["turns"], s["answered"]) for s in listed] == [
        (row.id, "finished", 2, 2), (other.id, "active", 0, 0)
    ]
    assert listed[0]["updated_at"] == loaded.updated_at


def test_answering_twice_is_refused_and_keeps_the_first_answer(tmp_path):
    store = SessionStore(tmp_path / "sessions.sqlite3")
    store.create(SessionRow("d00d5e551011", "coding", "staff", 1, {}, "active", 1.7e9, 1.7e9))
    store.add_turn("d00d5e551011", 0, "question", 1, {"text": "Reverse a linked list."})
    store.record_answer("d00d5e551011", 0, "first", _card(40), elapsed_s=10.0)
    with pytest.raises(UserInputError, match="already answered"):
        store.record_answer("d00d5e551011", 0, "second", _card(90), elapsed_s=99.0)
    with pytest.raises(UserInputError):
        store.record_answer("d00d5e551011", 5, "no such turn", _card(90))
    assert query(store.path, "SELECT answer, elapsed_s FROM turns") == [("first", 10.0)]


def test_unknown_session_is_named(tmp_path):
    store = SessionStore(tmp_path / "sessions.sqlite3")
    with pytest.raises(UserInputError) as info:
        store.load("feedc0ffee42")
    assert "'feedc0ffee42'" in info.value.message


def test_corrupt_file_says_to_move_it_aside(tmp_path):
    path = tmp_path / "sessions.sqlite3"
    garbage = random.Random(7).randbytes(8192)
    path.write_bytes(garbage)
    with pytest.raises(CoachError) as info:
        SessionStore(path)
    assert isinstance(info.value, SessionsCorruptError)
    assert "is damaged" in info.value.message
    assert "Move it aside" in info.value.hint and f"mv {path} {path}.broken" in info.value.hint
    assert path.read_bytes() == garbage


def test_each_write_is_committed_when_the_call_returns(tmp_path):
    store = SessionStore(tmp_path / "sessions.sqlite3")
    with closing(sqlite3.connect(store.path, isolation_level=None)) as other:
        def seen(sql: str) -> list[tuple]:
            return other.execute(sql).fetchall()

        store.create(SessionRow("cafe00000001", "leadership", "staff", 5, {}, "active", 1.7e9, 1.7e9))
        assert seen("SELECT id, status FROM sessions") == [("cafe00000001", "active")]
        store.add_turn("cafe00000001", 0, "question", 1, {"text": "Tell me about a reorg."})
        assert seen("SELECT idx, answer FROM turns") == [(0, None)]
        store.record_answer("cafe00000001", 0, "I split the team in two.", _card(55), elapsed_s=61.25)
        assert seen("SELECT idx, answer, elapsed_s FROM turns") == [(0, "I split the team in two.", 61.25)]
        assert json.loads(seen("SELECT scorecard FROM turns")[0][0]) == _card(55)
        store.set_status("cafe00000001", "abandoned")
        assert seen("SELECT status FROM sessions") == [("abandoned",)]

"""The data dir failing under the coach, for real: a read-only directory, a full disk (a small
tmpfs filled up), a damaged sessions database and a damaged index. Each time the user reads what
to do (CLI: the message and a non-zero exit; web: the handler's error), nothing is half-written,
the answered turns are kept, and the app goes on serving what does not need the broken part."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys

import pytest
from failing_parts import fill, last, read_only, small_disk
from history_helpers import ANSWERS, data_dir_with_index, run_main as cli, run_session, settings_for

from coach.errors import SessionsCorruptError, StorageError
from coach.root import Coach
from coach.testing import FakeBackend

gr = pytest.importorskip("gradio")
from coach.web import common, interview, progress, score, search  # noqa: E402

ANSWER = "We load-tested the new path at 30k requests per second and kept two weeks of rollback capacity."


@pytest.fixture
def served():
    """The web app's handlers serve the Coach a test hands to `common.use`."""
    yield common.use
    common.use(None)


def _coach(data) -> Coach:
    return Coach(settings_for(data), backend=FakeBackend([]))


def _answered(coach: Coach, session_id: str) -> list[str | None]:
    return [t.answer for t in coach.load_session(session_id).turns]


def test_read_only_data_dir_reads_history_and_refuses_writes_saying_why(fake_settings, tmp_path, served, monkeypatch, capsys):
    data = data_dir_with_index(fake_settings, tmp_path / "data")
    a = run_session(_coach(data), ANSWERS[:1])
    b = run_session(_coach(data), [])
    before = _answered(_coach(data), a.id)
    monkeypatch.setenv("COACH_DATA_DIR", str(data))
    monkeypatch.setenv("COACH_EMBEDDING_MODEL", fake_settings.embedding_model)
    with read_only(data):
        code, out, err = cli(["history"], monkeypatch, capsys)
        assert code == 0 and a.id in out, err  # the saved sessions can still be read
        code, out, err = cli(["retrieve", "thundering herd"], monkeypatch, capsys)  # Chroma writes even to read
        assert code == 1 and "read-only" in err and "Move" not in err, err  # not called damaged
        web = _coach(data)
        served(web)
        with pytest.raises(gr.Error, match="read-only") as shown:
            last(interview.answer(a.id, ANSWER, None))
        assert "COACH_DATA_DIR" in str(shown.value)
        with pytest.raises(StorageError, match="read-only"):
            web.start_session("coding", questions=1)
        # another session opens and shows its waiting question; scoring needs no disk
        frame = last(interview.resume(b.id))
        assert frame[0] == b.id and b.turns[0].text in str(frame[1])
        assert score.score("coding", "", ANSWER)
    assert _answered(_coach(data), a.id) == before  # nothing half-written
    assert _coach(data).load_session(a.id).answer(ANSWER).answer == ANSWER  # writable again: it carries on


def test_full_disk_reads_every_session_refuses_the_answer_and_recovers(fake_settings, tmp_path, served,
                                                                      monkeypatch, capsys):
    with small_disk(tmp_path / "disk", 8) as disk:
        data = data_dir_with_index(fake_settings, disk / "data")
        web = _coach(data)
        served(web)
        a = run_session(web, ANSWERS[:1])
        b = run_session(web, [])
        before = _answered(web, a.id)
        filler = fill(disk)
        # Reading needs no space: a store opened now, the list, a session, the CLI and the web's lists.
        fresh = _coach(data)
        assert {s["id"] for s in fresh.list_sessions()} == {a.id, b.id}
        loaded = fresh.load_session(a.id)
        assert [t.answer for t in loaded.turns] == before
        monkeypatch.setenv("COACH_DATA_DIR", str(data))
        monkeypatch.setenv("COACH_EMBEDDING_MODEL", fake_settings.embedding_model)
        for args in (["history"], ["show", a.id], ["export"]):
            code, out, err = cli(args, monkeypatch, capsys)
            assert code == 0 and a.id in out, (args, err)
        assert a.id in interview.past_sessions()[0] and a.id in str(progress.refresh())
        # A write says the disk is full and what to do, and saves nothing of the answer.
        with pytest.raises(StorageError, match="Cannot write .* the disk is full") as refused:
            loaded.answer(ANSWER)
        assert "Free some space" in str(refused.value)
        with pytest.raises(gr.Error, match="Cannot write .* the disk is full"):
            last(interview.answer(a.id, ANSWER, None))
        # Another session is served while the disk is still full.
        frame = last(interview.resume(b.id))
        assert frame[0] == b.id and b.turns[0].text in str(frame[1])
        filler.unlink()
        after = web.load_session(a.id)
        assert [t.answer for t in after.turns] == before  # nothing half-saved: the same turns, none answered since
        assert loaded.answer(ANSWER).answer == ANSWER  # the same answer, sent again, is kept
        assert before[-1] is None and _answered(web, a.id)[: len(before)] == [*before[:-1], ANSWER]
        frame = last(interview.answer(b.id, ANSWER, None))
        assert ANSWER in str(frame[0]) and not frame[-1]["visible"]


_KILLED_WRITER = """
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA wal_autocheckpoint = 0")
db.execute("UPDATE sessions SET updated_at = 12345.0 WHERE id = ?", (sys.argv[2],))
db.commit()
os._exit(0)  # killed: the change is only in the write-ahead log, never copied into the file
"""


def test_full_disk_reads_what_a_killed_process_left_in_the_write_ahead_log(fake_settings, tmp_path):
    with small_disk(tmp_path / "disk", 8) as disk:
        data = data_dir_with_index(fake_settings, disk / "data")
        a = run_session(_coach(data), [])
        db = data / "sessions.sqlite3"
        subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(db), a.id], check=True)
        wal, shm = (db.with_name(db.name + end) for end in ("-wal", "-shm"))
        assert wal.stat().st_size > 0
        shm.unlink()  # and its index gone: rebuilding that on disk needs space, so it is kept in memory
        filler = fill(disk)
        assert _coach(data).list_sessions()[0]["updated_at"] == 12345.0  # not the file's older value
        filler.unlink()
        assert _coach(data).list_sessions()[0]["updated_at"] == 12345.0


def _garbage(path):
    path.write_bytes(random.Random(3).randbytes(path.stat().st_size))


def _truncate(path):
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 3)


def _damage_pages(path):
    with path.open("r+b") as f:  # the header stays valid; the tables' pages do not
        f.seek(2 * 4096)
        f.write(random.Random(4).randbytes(6 * 4096))


@pytest.mark.parametrize("damage", [_garbage, _truncate, _damage_pages], ids=["garbage", "truncated", "pages"])
def test_damaged_sessions_database_is_named_left_alone_and_can_be_moved_aside(fake_settings, tmp_path, served,
                                                                             monkeypatch, capsys, damage):
    data = data_dir_with_index(fake_settings, tmp_path / "data")
    run_session(_coach(data), ANSWERS[:2])
    db = data / "sessions.sqlite3"
    damage(db)
    damaged = db.read_bytes()
    monkeypatch.setenv("COACH_DATA_DIR", str(data))
    monkeypatch.setenv("COACH_EMBEDDING_MODEL", fake_settings.embedding_model)
    code, out, err = cli(["history"], monkeypatch, capsys)
    assert code == 1 and "is damaged" in err and f"mv {db} {db}.broken" in err and "Traceback" not in err

    web = Coach(settings_for(data), backend=FakeBackend([]))
    served(web)
    with pytest.raises(gr.Error, match="is damaged"):
        interview.past_sessions()
    with pytest.raises((gr.Error, SessionsCorruptError)):
        last(interview.start("coding", "staff", 1, 0, 1, ""))
    assert score.score("coding", "", ANSWER)  # what needs no sessions still works
    assert db.read_bytes() == damaged  # nothing deleted or rewritten

    db.rename(db.with_name("sessions.sqlite3.broken"))  # what the hint says; the app is still running
    frame = last(interview.start("coding", "staff", 1, 0, 1, ""))
    assert frame[0] and interview.past_sessions()[0]


@pytest.mark.parametrize("damage", [_garbage, _truncate], ids=["garbage", "truncated"])
def test_damaged_index_is_named_the_same_each_time_and_sessions_go_on(fake_settings, tmp_path, served,
                                                                      monkeypatch, capsys, damage):
    data = data_dir_with_index(fake_settings, tmp_path / "data")
    damage(data / "index" / "chroma.sqlite3")
    monkeypatch.setenv("COACH_DATA_DIR", str(data))
    monkeypatch.setenv("COACH_EMBEDDING_MODEL", fake_settings.embedding_model)
    for _ in range(2):  # the second try must not meet Chroma's half-started store from the first
        code, out, err = cli(["retrieve", "thundering herd"], monkeypatch, capsys)
        assert code == 1 and "cannot be opened" in err and "coach index" in err and "Traceback" not in err, err

    web = Coach(settings_for(data), backend=FakeBackend([]))
    served(web)
    for _ in range(2):
        with pytest.raises(gr.Error, match="Move .* aside .* `coach index`"):
            search.search("thundering herd", "any", 3)
    session_id = last(interview.start("coding", "staff", 1, 1, 1, ""))[0]  # interviews do not read the index
    assert ANSWER in str(last(interview.answer(session_id, ANSWER, None))[0])

    if damage is not _garbage:
        return  # rebuilding costs seconds: once is enough
    shutil.move(data / "index", data / "index.broken")
    Coach(settings_for(data)).build_index()  # `coach index`, while the app runs
    assert "§" in search.search("thundering herd", "any", 3)  # the repaired index opens in the same process

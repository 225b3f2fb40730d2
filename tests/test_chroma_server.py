"""Client/server mode against a real `chroma run` server on 127.0.0.1."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from coach.config import Settings
from coach.retrieval.index import VectorIndex
from coach.root import Coach
from coach.testing import free_port, serve


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    cmd = [str(chroma), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with serve(cmd, f"{url}/api/v2/heartbeat", tmp_path / "chroma.log"):
        yield url


@pytest.mark.slow
def test_index_and_retrieve_through_a_chroma_server(tmp_path, chroma_server, embedder):
    settings = Settings(data_dir=tmp_path / "client", chroma_url=chroma_server)
    report = Coach(settings, embedder=embedder).build_index()
    assert report.added > 200
    again = Coach(settings, embedder=embedder).build_index()
    assert again.embedded == 0
    hits = Coach(settings, embedder=embedder).retriever.search("thundering herd after keys expire together", k=5)
    assert any(h.section == 8 for h in hits)
    assert not (tmp_path / "client" / "index").exists()  # nothing written locally in server mode


def test_unreachable_server_is_a_clear_error(tmp_path, toy_embedder):
    from coach.errors import CoachError

    settings = Settings(data_dir=tmp_path / "d", chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(CoachError, match="Chroma server"):
        Coach(settings, embedder=toy_embedder).retriever


def test_server_down_at_start_is_named_with_what_to_do(tmp_path, monkeypatch, capsys, caplog):
    import logging

    from history_helpers import run_main as cli

    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("COACH_CHROMA_URL", url)
    monkeypatch.setenv("COACH_EMBEDDING_MODEL", "fake:384")
    caplog.set_level(logging.WARNING, logger="coach.retrieval")
    code, out, err = cli(["retrieve", "thundering herd"], monkeypatch, capsys)
    assert code == 1 and f"The Chroma server at {url} is down or unreachable" in err and "chroma run" in err
    assert "Traceback" not in err
    assert any("giving up" in r.getMessage() for r in caplog.records)  # retried, bounded, logged


@pytest.mark.slow
def test_server_going_down_mid_session_fails_search_clearly_and_the_interview_goes_on(tmp_path, fake_settings, caplog):
    """A real `chroma run`, killed while the web app uses it; then started again on the same data."""
    import logging

    gr = pytest.importorskip("gradio")
    from failing_parts import last

    from coach.testing import FakeBackend
    from coach.web import common, interview, search

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    chroma = Path(sys.executable).with_name("chroma")
    cmd = [str(chroma), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)]
    settings = Settings(data_dir=tmp_path / "client", chroma_url=url, embedding_model=fake_settings.embedding_model)
    web = Coach(settings, backend=FakeBackend([]))
    common.use(web)
    caplog.set_level(logging.WARNING, logger="coach.retrieval")
    answer = "We load-tested the new path at 30k requests per second and kept two weeks of rollback capacity."
    try:
        with serve(cmd, f"{url}/api/v2/heartbeat", tmp_path / "chroma.log") as proc:
            web.build_index()
            assert "§" in search.search("thundering herd", "any", 3)
            session_id = last(interview.start("system-design", "staff", 2, 0, 1, ""))[0]
            proc.kill()
            proc.wait()
            with pytest.raises(gr.Error, match="down or unreachable") as shown:
                search.search("thundering herd", "any", 3)
            assert "chroma run" in str(shown.value)
            assert any("giving up" in r.getMessage() for r in caplog.records)  # retried, bounded, logged
            frame = last(interview.answer(session_id, answer, None))  # the interview does not need the index
            assert answer in str(frame[0]) and not frame[-1]["visible"]
        with serve(cmd, f"{url}/api/v2/heartbeat", tmp_path / "chroma-2.log"):
            assert "§" in search.search("thundering herd", "any", 3)  # back, without restarting the app
        assert [t.answer for t in web.load_session(session_id).turns] == [answer, None]
    finally:
        common.use(None)

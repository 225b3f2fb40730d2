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

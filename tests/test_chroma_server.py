"""Client/server mode against a real `chroma run` server on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from coach.config import Settings
from coach.index import VectorIndex
from coach.retrieve import Retriever


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    port = _free_port()
    chroma = Path(sys.executable).with_name("chroma")
    log = open(tmp_path / "chroma.log", "wb")
    proc = subprocess.Popen([str(chroma), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"chroma server did not start: {(tmp_path / 'chroma.log').read_text()[-2000:]}")
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.mark.slow
def test_index_and_retrieve_through_a_chroma_server(tmp_path, chroma_server, embedder):
    settings = Settings(data_dir=tmp_path / "client", chroma_url=chroma_server)
    report = VectorIndex(settings, embedder=embedder).build(progress=False)
    assert report.added > 200
    again = VectorIndex(settings, embedder=embedder).build(progress=False)
    assert again.embedded == 0
    hits = Retriever(settings, VectorIndex(settings, embedder=embedder)).search("thundering herd after keys expire together", k=5)
    assert any(h.section == 8 for h in hits)
    assert not (tmp_path / "client" / "index").exists()  # nothing written locally in server mode


def test_unreachable_server_is_a_clear_error(tmp_path, embedder):
    from coach.errors import CoachError

    settings = Settings(data_dir=tmp_path / "d", chroma_url=f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(CoachError, match="Chroma server"):
        Retriever(settings, VectorIndex(settings, embedder=embedder))

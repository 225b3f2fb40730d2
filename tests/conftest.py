"""Shared fixtures. Every test gets its own COACH_DATA_DIR; the real index is built once per run."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from coach.config import REPO_ROOT, Settings, get_settings  # noqa: E402
from coach.testing import free_port, serve  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    """No test reads or writes the user's real data dir."""
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    for key in [k for k in os.environ if k.startswith("COACH_") and k != "COACH_DATA_DIR"]:
        monkeypatch.delenv(key, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def embedder():
    from coach.embeddings import get_embedder

    return get_embedder()


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory, embedder) -> Settings:
    """A real Chroma index of the real corpus, built once and shared read-only."""
    from coach.index import VectorIndex

    data = tmp_path_factory.mktemp("built")
    settings = Settings(data_dir=data)
    VectorIndex(settings, embedder=embedder).build(progress=False)
    return settings


@pytest.fixture(scope="session")
def retriever(built_settings, embedder):
    from coach.index import VectorIndex
    from coach.retrieve import Retriever

    return Retriever(built_settings, VectorIndex(built_settings, embedder=embedder))


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A private copy of the corpus that a test may edit."""
    dest = tmp_path / "corpus"
    shutil.copytree(REPO_ROOT / "corpus", dest)
    return dest


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server on a free port, with the bundled Gemma.

    Started through coach.llm.server: the same `llama_cpp.server` with the same arguments, plus the
    AMX workaround without which it segfaults on the first request on AMX CPUs.
    """
    from coach.llm.embedded import resolve_model_path

    port = free_port()
    cmd = [sys.executable, "-m", "coach.llm.server", "--model", str(resolve_model_path(Settings())),
           "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048"]  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    with serve(cmd, f"{base}/models", tmp_path_factory.mktemp("llama-server") / "server.log"):
        yield base


@pytest.fixture(scope="session")
def corpus():
    from coach.corpus import load_corpus

    return load_corpus(REPO_ROOT / "corpus")


@pytest.fixture(scope="session")
def scorer(embedder, corpus):
    """The evidence scorer on the repository's corpus and scoring settings."""
    from coach.scoring.evidence import EvidenceScorer
    from coach.scoring.settings import load_scoring_settings

    return EvidenceScorer(embedder, load_scoring_settings(REPO_ROOT / "corpus"), corpus)

"""Shared fixtures. Every test gets its own COACH_DATA_DIR; the real index is built once per run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from coach.config import REPO_ROOT, Settings, get_settings  # noqa: E402


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

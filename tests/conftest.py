"""Shared fixtures. Every test gets its own COACH_DATA_DIR; the real index is built once per run.

Two tiers. Tests that use a real model or server (the fixtures in SLOW_FIXTURES, or an explicit
`slow` mark) are marked `slow`; the rest run on the package's own test doubles
(`coach.testing.FakeBackend`, the `fake:` embedder) and a real Chroma store:
`pytest -m "not slow"` runs them alone.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from coach.config import REPO_ROOT, Settings  # noqa: E402
from coach.root import Coach  # noqa: E402
from coach.testing import FAKE_EMBEDDING_MODEL, free_port, serve  # noqa: E402
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, open_page, private_data_dir, serve_app  # noqa: E402

# Fixtures that load the real embedding model, the real LLM or start a server.
# The browser fixtures start the app (which loads the models) and Chromium.
SLOW_FIXTURES = {"embedder", "built_settings", "coach", "retriever", "scorer", "llama_server", "app_url", "browser", "page"}


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    """No test reads or writes the user's real data dir."""
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    for key in [k for k in os.environ if k.startswith("COACH_") and k != "COACH_DATA_DIR"]:
        monkeypatch.delenv(key, raising=False)


# --- the fast tier: test doubles, real Chroma ---------------------------------------------------


@pytest.fixture(scope="session")
def fake_settings(tmp_path_factory) -> Settings:
    """Settings whose embedder is the deterministic toy one, with an index of the real corpus built
    once (in a second or two: nothing loads)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("fake-built"), embedding_model=FAKE_EMBEDDING_MODEL)
    Coach(settings).build_index()
    return settings


@pytest.fixture(scope="session")
def toy_embedder():
    from coach.testing import FakeEmbedder

    return FakeEmbedder(FAKE_EMBEDDING_MODEL)


@pytest.fixture
def fake_coach(fake_settings) -> Coach:
    """A Coach on the fake embedder and the shared fake index; give it a backend with
    `fake_coach.with_parts(backend=FakeBackend(...))`."""
    return Coach(fake_settings)


# --- the slow tier: the real models ---------------------------------------------------------------


@pytest.fixture(scope="session")
def embedder():
    from coach.retrieval.embeddings import get_embedder

    return get_embedder()


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory, embedder) -> Settings:
    """A real Chroma index of the real corpus, built once and shared read-only."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("built"))
    Coach(settings, embedder=embedder).build_index()
    return settings


@pytest.fixture(scope="session")
def coach(built_settings, embedder) -> Coach:
    """The real coach (MiniLM, the built index); its backend is the configured one unless a test
    swaps it with `coach.with_parts(backend=...)`."""
    return Coach(built_settings, embedder=embedder)


@pytest.fixture(scope="session")
def retriever(coach):
    return coach.retriever


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
    from coach.corpus.loader import load_corpus

    return load_corpus(REPO_ROOT / "corpus")


@pytest.fixture(scope="session")
def scorer(coach):
    """The evidence scorer on the repository's corpus and scoring settings."""
    return coach.evidence_scorer


# --- the browser: one app and one Chromium for the whole run (helpers in browser_helpers.py) ----------


@pytest.fixture(scope="session")
def app_url(built_settings, tmp_path_factory):
    with serve_app(private_data_dir(built_settings, tmp_path_factory)) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system` (apt-get install -y chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url):
    with open_page(browser, app_url) as pg:
        yield pg

"""The embedding model on ONNX Runtime: the vectors sentence-transformers gives, from a file exported
once per model and checked every time it is loaded."""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest

from coach.config import REPO_ROOT, Settings
from coach.errors import CoachError
from coach.retrieval import onnx_runtime
from coach.retrieval.embeddings import BUNDLED, Embedder, model_fingerprint, resolve_model_path
from coach.retrieval.onnx_runtime import OnnxEmbeddings, Unsupported

pytestmark = pytest.mark.slow  # each test loads the real model, several export it


def _texts() -> list[str]:
    """Corpus paragraphs, fixture answers and the edge cases a tokenizer gets wrong first."""
    texts: list[str] = []
    for path in sorted((REPO_ROOT / "corpus").rglob("*.md"))[:6] + sorted((REPO_ROOT / "evals/fixtures/scoring").glob("*.yaml"))[:2]:
        texts += [p for p in path.read_text().split("\n\n") if p.strip()][:25]
    long_text = " ".join(["idempotency keys and exactly-once delivery"] * 80)  # far past 256 tokens: truncated
    return texts + ["", "   padded   ", "naïve café — 40 µs, p99 ≤ 2 s", "🙂 emoji and \u200b zero width", long_text]


@pytest.fixture(scope="module")
def torch_model():
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(resolve_model_path(BUNDLED)), device="cpu", local_files_only=True)


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    """An empty cache for exported models: the test exports its own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "staff-coach" / "onnx"


def test_onnx_runtime_gives_the_vectors_sentence_transformers_gives(embedder, torch_model):
    assert embedder.runtime == "onnx"
    texts = _texts()
    got = np.asarray(embedder.lc.embed_documents(texts))
    want = torch_model.encode(texts, normalize_embeddings=True, batch_size=16)
    assert got.shape == want.shape == (len(texts), embedder.dim)
    assert np.abs(got - want).max() < 1e-5
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    # One text alone, and in any order, is the same vector: nothing depends on the batch.
    assert np.abs(np.asarray(embedder.lc.embed_query(texts[3])) - want[3]).max() < 1e-5
    assert np.abs(np.asarray(embedder.lc.embed_documents(texts[::-1]))[::-1] - want).max() < 1e-5
    # A call dominated by one long text runs on every core at once: the same vectors again.
    assert np.abs(embedder.lc.encode([texts[-1], texts[0]]) - want[[-1, 0]]).max() < 1e-5


def test_the_export_is_made_once_and_reused(own_cache, monkeypatch):
    path = resolve_model_path(BUNDLED)
    first = OnnxEmbeddings(path, model_fingerprint(BUNDLED))
    assert first.path.is_file() and first.path.is_relative_to(own_cache)
    assert first.path.with_suffix(".probe.npy").is_file()
    monkeypatch.setattr(OnnxEmbeddings, "_export", lambda self: pytest.fail("exported again"))
    again = OnnxEmbeddings(path, model_fingerprint(BUNDLED))
    assert np.abs(again.encode(["a sentence"]) - first.encode(["a sentence"])).max() == 0


@pytest.mark.parametrize("damage", ["truncated", "another model's probe"])
def test_a_damaged_or_stale_export_is_made_again(own_cache, damage, torch_model):
    path = resolve_model_path(BUNDLED)
    made = OnnxEmbeddings(path, model_fingerprint(BUNDLED))
    if damage == "truncated":
        made.path.write_bytes(made.path.read_bytes()[:100_000])
    else:
        np.save(made.path.with_suffix(".probe.npy"), -np.load(made.path.with_suffix(".probe.npy")))
    again = OnnxEmbeddings(path, model_fingerprint(BUNDLED))
    want = torch_model.encode(["We kept p99 under 40 ms."], normalize_embeddings=True)
    assert np.abs(again.encode(["We kept p99 under 40 ms."]) - want).max() < 1e-5


def test_a_model_it_cannot_run_falls_back_to_torch_with_the_same_vectors(tmp_path, own_cache, torch_model, caplog):
    """A local model with CLS pooling is not what the ONNX runner computes: torch runs it."""
    source = resolve_model_path(BUNDLED)
    model = tmp_path / "cls-model"
    shutil.copytree(source, model)
    pooling = json.loads((model / "1_Pooling" / "config.json").read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    (model / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    with pytest.raises(Unsupported):
        OnnxEmbeddings(model, "cls")
    with caplog.at_level(logging.INFO, logger="coach.retrieval"):
        emb = Embedder(str(model))
    assert emb.runtime == "torch" and "cannot run on ONNX Runtime" in caplog.text
    assert not own_cache.exists()  # nothing exported for it


def test_an_export_that_fails_is_logged_and_torch_is_used(own_cache, monkeypatch, caplog, torch_model):
    import torch

    monkeypatch.setattr(torch.onnx, "export", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("exporter broke")))
    with caplog.at_level(logging.WARNING, logger="coach.retrieval"):
        emb = Embedder(BUNDLED)
    assert emb.runtime == "torch"
    assert "ONNX Runtime failed (RuntimeError: exporter broke)" in caplog.text
    want = torch_model.encode(["A sentence."], normalize_embeddings=True)
    assert np.abs(emb.encode(["A sentence."]) - want).max() < 1e-6
    assert not list(own_cache.glob("**/*.tmp"))  # no half-written file left behind


def test_an_unwritable_cache_falls_back_to_torch_and_says_what_to_do(tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    with caplog.at_level(logging.WARNING, logger="coach.retrieval"):
        emb = Embedder(BUNDLED)
    assert emb.runtime == "torch" and emb.encode(["A sentence."]).shape == (1, emb.dim)
    assert "is writable, or set COACH_EMBEDDING_RUNTIME=torch" in caplog.text


def test_the_runtime_is_a_setting(monkeypatch):
    monkeypatch.setenv("COACH_EMBEDDING_RUNTIME", "torch")
    assert Settings().embedding_runtime == "torch"
    with pytest.raises(CoachError, match="COACH_EMBEDDING_RUNTIME"):
        Embedder(BUNDLED, runtime="tensorflow")


def test_the_cache_follows_xdg_cache_home(own_cache):
    assert onnx_runtime.cache_root() == own_cache

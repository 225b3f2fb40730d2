"""The index against a real Chroma store and the real bundled embedding model."""

from __future__ import annotations

import pytest
import yaml

from coach.config import Settings
from coach.errors import IndexCorruptError, IndexMissingError
from coach.retrieval.index import VectorIndex
from coach.root import Coach


def test_missing_index_names_coach_index(tmp_path, toy_embedder):
    settings = Settings(data_dir=tmp_path / "empty")
    with pytest.raises(IndexMissingError, match="coach index"):
        Coach(settings, embedder=toy_embedder).retriever


def test_incremental_reindex(tmp_path, corpus_copy, toy_embedder):
    settings = Settings(data_dir=tmp_path / "d", corpus_dir=corpus_copy)
    first = Coach(settings, embedder=toy_embedder).build_index()
    assert first.rebuilt and first.added > 200 and first.updated == first.removed == 0
    total = Coach(settings, embedder=toy_embedder).index.count()

    again = Coach(settings, embedder=toy_embedder).build_index()
    assert again.embedded == 0 and again.removed == 0 and again.unchanged == total

    # Edit one follow-up and drop one failure mode: only those chunks change.
    path = corpus_copy / "panels" / "coding.yaml"
    data = yaml.safe_load(path.read_text())
    data["follow_ups"][0]["text"] += " And how would you test it?"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(IndexMissingError, match="coach index"):
        Coach(settings, embedder=toy_embedder).retriever
    changed = Coach(settings, embedder=toy_embedder).build_index()
    assert changed.updated == 1 and changed.added == 0 and changed.removed == 0

    dropped = data["failure_modes"].pop()
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    removed = Coach(settings, embedder=toy_embedder).build_index()
    assert removed.removed == 1 and removed.embedded == 0
    ids = set(VectorIndex(settings, embedder=toy_embedder).collection().get()["ids"])
    assert f"panel:coding:failure-mode:{dropped['id']}" not in ids
    assert len(ids) == total - 1
    Coach(settings, embedder=toy_embedder).retriever  # current again


def test_corrupt_store_is_reported_and_kept(tmp_path, toy_embedder):
    settings = Settings(data_dir=tmp_path / "bad")
    settings.index_dir.mkdir(parents=True)
    garbage = settings.index_dir / "chroma.sqlite3"
    garbage.write_bytes(b"this is not a sqlite database" * 100)
    for attempt in (lambda: Coach(settings, embedder=toy_embedder).retriever, lambda: Coach(settings).retriever):
        with pytest.raises(IndexCorruptError) as err:  # never passed off as a missing index
            attempt()
        assert "Nothing was deleted" in str(err.value) and "coach index" in str(err.value)
    assert garbage.exists() and garbage.read_bytes().startswith(b"this is not")


def test_reading_before_any_index_names_coach_index_and_creates_nothing(tmp_path):
    settings = Settings(data_dir=tmp_path / "empty")
    with pytest.raises(IndexMissingError, match="coach index"):
        Coach(settings).retriever
    assert not settings.index_dir.exists()


def test_vectors_persist_on_disk_per_model_and_change_no_result(tmp_path, embedder, monkeypatch):
    texts = ["We sized the cache tier at 25k RPS.", "I rolled back within ten minutes."]
    cached = embedder.with_disk_cache(tmp_path / "cache")
    assert cached.with_disk_cache(tmp_path / "cache") is cached and cached.lc is embedder.lc  # one model
    first = cached.encode(texts)
    assert (tmp_path / "cache" / "embeddings.sqlite3").is_file()
    # A new process: empty in-memory memo, the vectors come from disk, bit for bit.
    cached._memo.clear()
    calls = []
    cls = type(cached.lc)
    real = cls.embed_documents
    monkeypatch.setattr(cls, "embed_documents", lambda self, docs: calls.append(docs) or real(self, docs))
    again = cached.encode(texts)
    assert calls == [] and (again == first).all()
    from coach.retrieval.embeddings import VectorCache

    other_model = VectorCache(tmp_path / "cache" / "embeddings.sqlite3", "another-model", embedder.dim)
    assert other_model.get(texts) == {}  # keyed by model: a swapped model never reads these
    cached.encode(texts + ["A new sentence."])
    assert calls == [["A new sentence."]]

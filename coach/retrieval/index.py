"""The persistent vector index: corpus documents embedded into a Chroma collection.

Incremental by construction: every document has a stable id and a content hash, so a re-index
embeds only new or changed documents and deletes the ones that no longer exist. The collection
carries a fingerprint (corpus hash, chunker settings, embedding model) so a stale index is noticed.

Failures say what to do: a Chroma server that is down is `IndexUnavailableError` (each call to it is
retried a little, bounded and logged), a local store in a read-only directory or on a full disk is
`StorageError`, and one that cannot be read is `IndexCorruptError`. Nothing is ever deleted.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

from collections.abc import Callable
from typing import TYPE_CHECKING

from coach.corpus.chunking_settings import ChunkerSettings
from coach.config import Settings
from coach.corpus.loader import Corpus
from coach.retrieval.embeddings import Embedder, model_fingerprint
from coach.errors import CoachError, IndexCorruptError, IndexMissingError, IndexUnavailableError, storage_error
from coach.retrying import bounded

if TYPE_CHECKING:
    from langchain_core.documents import Document

FINGERPRINT_KEY = "coach_fingerprint"
BATCH = 128
SERVER_ATTEMPTS = 2  # a Chroma server that refuses twice, half a second apart, is down
log = logging.getLogger("coach.retrieval")


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    rebuilt: bool = False
    reason: str = ""
    seconds: float = 0.0
    fingerprint: dict = field(default_factory=dict)

    @property
    def embedded(self) -> int:
        return self.added + self.updated


def expected_fingerprint(settings: Settings, corpus: Corpus) -> dict:
    """What an index built now from this corpus would record: corpus, chunker and model."""
    return {
        "corpus": corpus.hash,
        "chunker": ChunkerSettings(settings.chunk_size, settings.chunk_overlap).fingerprint(),
        "embedding": model_fingerprint(settings.embedding_model),
    }


def _server_down(url: str, err: BaseException, action: str = "connecting") -> IndexUnavailableError:
    return IndexUnavailableError(
        f"The Chroma server at {url} is down or unreachable ({action}, {SERVER_ATTEMPTS} attempts): "
        f"{type(err).__name__}: {err}",
        "Start it (`chroma run --path DIR --host 127.0.0.1 --port PORT`) and retry, or unset COACH_CHROMA_URL to use "
        "the local store (`coach index` builds it). Saved sessions are not affected.",
    )


def _unreachable(err: BaseException) -> bool:
    import httpx

    return isinstance(err, (httpx.TransportError, ConnectionError))


def _local_failure(path, action: str, err: BaseException) -> CoachError:
    """A local store that failed: a disk that cannot be written, or a store that cannot be read."""
    return storage_error("the index", path, err) or IndexCorruptError(
        f"The Chroma store at {path} {action} ({type(err).__name__}: {err}).",
        f"Nothing was deleted. Move {path} aside (e.g. `mv {path} {path}.broken`) and run `coach index` to rebuild it.",
    )


def make_client(settings: Settings, create: bool = True):
    """A Chroma client for the settings; with create=False a local store that does not exist yet is
    an error naming `coach index` (reading must not leave an empty store behind)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if not url.hostname:
            raise CoachError(f"COACH_CHROMA_URL {settings.chroma_url!r} is not a URL.", "Use the form http://127.0.0.1:8000.")
        try:
            return bounded(
                lambda: chromadb.HttpClient(host=url.hostname, port=url.port or 8000, ssl=url.scheme == "https",
                                            settings=chroma_settings),
                retry_on=lambda err: True, attempts=SERVER_ATTEMPTS, what=f"Chroma server at {settings.chroma_url}", log=log,
            )
        except Exception as err:
            raise _server_down(settings.chroma_url, err) from err
    path = settings.index_dir
    if not create and not (path / "chroma.sqlite3").is_file():
        raise IndexMissingError(f"No index found at {path}.", "Run `coach index` to build it.")
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as err:
        # Chroma keeps one half-started system per path and hands it out again, so the next try
        # would fail with an unrelated error; dropping it lets a repaired store open in this process.
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(str(path), None)
        raise _local_failure(path, "cannot be opened", err) from err


class VectorIndex:
    """One Chroma collection plus the knowledge of how it was built."""

    def __init__(self, settings: Settings, embedder: Embedder | Callable[[], Embedder], create: bool = True):
        """`embedder` may be a zero-argument callable: the model then loads only when something
        must be embedded, so checking or counting an index stays fast."""
        self.settings = settings
        self._embedder = embedder
        self.client = make_client(settings, create)
        self.chunker = ChunkerSettings(settings.chunk_size, settings.chunk_overlap)

    @property
    def embedder(self) -> Embedder:
        if callable(self._embedder) and not hasattr(self._embedder, "encode"):
            self._embedder = self._embedder()
        return self._embedder  # type: ignore[return-value]

    @property
    def where(self) -> str:
        return self.settings.chroma_url or str(self.settings.index_dir)

    def expected_fingerprint(self, corpus: Corpus) -> dict:
        return expected_fingerprint(self.settings, corpus)

    def guarded(self, action: str, fn):
        """Run `fn` (a call into Chroma); a failure becomes an error that names the store and what to
        do. A call to a server that cannot be reached is retried once (bounded, logged): it may be
        restarting."""
        try:
            if self.settings.chroma_url:
                return bounded(fn, retry_on=_unreachable, attempts=SERVER_ATTEMPTS,
                               what=f"Chroma server at {self.where}, {action}", log=log)
            return fn()
        except CoachError:
            raise
        except Exception as err:
            if self.settings.chroma_url and _unreachable(err):
                raise _server_down(self.where, err, action) from err
            if self.settings.chroma_url:
                raise CoachError(f"The Chroma server at {self.where} failed while {action}: {type(err).__name__}: {err}",
                                 "Check the server's log; `coach index` rebuilds the collection if it is damaged.") from err
            raise _local_failure(self.where, f"failed while {action}", err) from err

    def collection(self):
        """The existing collection, or an error that says to run `coach index`."""
        name = self.settings.collection

        def get():
            from chromadb.errors import NotFoundError

            try:
                return self.client.get_collection(name)
            except (NotFoundError, ValueError):
                return None

        col = self.guarded("opening the collection", get)
        if col is None:
            raise IndexMissingError(f"No index found at {self.where}.", "Run `coach index` to build it.")
        return col

    def stored_fingerprint(self, col=None) -> dict:
        col = col if col is not None else self.collection()
        raw = (col.metadata or {}).get(FINGERPRINT_KEY)
        return json.loads(raw) if raw else {}

    def check_current(self, corpus: Corpus) -> None:
        stored = self.stored_fingerprint()
        expected = self.expected_fingerprint(corpus)
        changed = [k for k in expected if stored.get(k) != expected[k]]
        if changed:
            raise IndexMissingError(
                f"The index at {self.where} is outdated: {', '.join(changed)} changed since it was built.",
                "Run `coach index` to update it (only changed chunks are re-embedded).",
            )

    def as_langchain(self):
        """The same collection as a langchain `VectorStore`, for composing chains and retrievers."""
        from langchain_chroma import Chroma

        return Chroma(client=self.client, collection_name=self.settings.collection, embedding_function=self.embedder.lc)

    def build(self, corpus: Corpus, progress: bool = True) -> IndexReport:
        started = time.perf_counter()
        expected = self.expected_fingerprint(corpus)
        report = IndexReport(fingerprint=expected)

        existing: dict[str, str] = {}
        try:
            col = self.collection()
        except IndexMissingError:
            col = None
            report.rebuilt, report.reason = True, "no index yet"
        if col is not None:
            stored = self.stored_fingerprint(col)
            if stored == expected:
                # Same corpus bytes, chunker and model give the same chunks: nothing to embed.
                report.unchanged = self.guarded("counting", col.count)
                report.seconds = time.perf_counter() - started
                return report
            if stored.get("embedding") != expected["embedding"] or stored.get("chunker") != expected["chunker"]:
                # Vectors from another model (or another chunking) can't be mixed with new ones.
                self.guarded("dropping the old collection", lambda: self.client.delete_collection(self.settings.collection))
                col = None
                report.rebuilt, report.reason = True, "embedding model or chunker changed"
            else:
                got = self.guarded("reading the collection", lambda: col.get(include=["metadatas"]))
                existing = {i: (m or {}).get("hash", "") for i, m in zip(got["ids"], got["metadatas"])}
        if col is None:
            col = self.guarded(
                "creating the collection",
                lambda: self.client.create_collection(self.settings.collection, metadata={"hnsw:space": "cosine"}),
            )

        from coach.corpus.chunking import corpus_documents  # heavy imports: only when something must be embedded

        docs = corpus_documents(corpus, self.chunker)
        wanted = {d.id: d for d in docs}
        todo: list[Document] = []
        for doc_id, doc in wanted.items():
            if doc_id not in existing:
                report.added += 1
                todo.append(doc)
            elif existing[doc_id] != doc.metadata["hash"]:
                report.updated += 1
                todo.append(doc)
            else:
                report.unchanged += 1
        stale = [i for i in existing if i not in wanted]
        report.removed = len(stale)

        if todo:
            self._embed_into(col, todo, progress)
        if stale:
            self.guarded("removing stale chunks", lambda: col.delete(ids=stale))
        meta = {k: v for k, v in (col.metadata or {}).items() if not k.startswith("hnsw:")}
        meta[FINGERPRINT_KEY] = json.dumps(expected, sort_keys=True)
        self.guarded("saving the fingerprint", lambda: col.modify(metadata=meta))
        report.seconds = time.perf_counter() - started
        return report

    def _embed_into(self, col, docs: list[Document], progress: bool) -> None:
        from tqdm import tqdm

        bar = tqdm(total=len(docs), desc="embedding", unit="chunk", disable=not progress)
        # Large slices keep sentence-transformers' length sorting effective; the bar still moves.
        step = max(BATCH, len(docs) // 4 + 1)
        for start in range(0, len(docs), step):
            batch = docs[start : start + step]
            vectors = self.embedder.encode([d.page_content for d in batch])
            self.guarded(
                "writing chunks",
                lambda b=batch, v=vectors: col.upsert(
                    ids=[d.id for d in b],
                    documents=[d.page_content for d in b],
                    metadatas=[d.metadata for d in b],
                    embeddings=v.tolist(),
                ),
            )
            bar.update(len(batch))
        bar.close()

    def count(self) -> int:
        return self.guarded("counting", lambda: self.collection().count())

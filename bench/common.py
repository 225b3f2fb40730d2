"""What every benchmark shares: figures, timers, percentiles, a throwaway data dir, the embedder."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np


@dataclass
class Figure:
    """One measured number. `goal` is an upper bound to compare against, never to assert."""

    key: str
    label: str
    value: float | None
    unit: str  # "s", "ms", "x" (ratio), "%"
    goal: float | None = None
    note: str = ""

    @property
    def status(self) -> str:
        if self.goal is None or self.value is None:
            return ""
        return "ok" if self.value <= self.goal else "over"

    def to_dict(self) -> dict:
        return {**asdict(self), "status": self.status}


@dataclass
class Result:
    name: str
    figures: list[Figure] = field(default_factory=list)
    info: dict = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, key: str, label: str, value: float | None, unit: str, goal: float | None = None, note: str = "") -> None:
        self.figures.append(Figure(key, label, None if value is None else round(float(value), 4), unit, goal, note))

    def to_dict(self) -> dict:
        return {
            "figures": {f.key: f.to_dict() for f in self.figures},
            "info": self.info,
            "seconds": round(self.seconds, 2),
        }


def timed(fn: Callable, *args, **kwargs) -> tuple[float, object]:
    """(seconds, return value) of one call."""
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def pct(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples, dtype=float), q))


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


@contextmanager
def temp_data_dir() -> Iterator[Path]:
    """A throwaway COACH_DATA_DIR, set in the environment while the benchmark runs."""
    old = os.environ.get("COACH_DATA_DIR")
    path = Path(tempfile.mkdtemp(prefix="coach-bench-"))
    os.environ["COACH_DATA_DIR"] = str(path)
    try:
        yield path
    finally:
        if old is None:
            os.environ.pop("COACH_DATA_DIR", None)
        else:
            os.environ["COACH_DATA_DIR"] = old
        _forget_chroma_clients()
        shutil.rmtree(path, ignore_errors=True)


def _forget_chroma_clients() -> None:
    try:
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    except Exception:  # an older or newer chromadb without it: the temp dir is removed anyway
        pass


def settings_for(data_dir: Path):
    """Settings for a local persistent store in `data_dir` (a Chroma server URL in the env is ignored)."""
    from coach.config import Settings

    return Settings(data_dir=data_dir, chroma_url=None)


_EMBEDDER_LOAD_S: dict[str, float] = {}


def warm_embedder(name: str):
    """The process-wide embedder, loaded and run once so no timed call pays for lazy set-up."""
    from coach.retrieval.embeddings import get_embedder

    if name not in _EMBEDDER_LOAD_S:
        seconds, embedder = timed(get_embedder, name)
        embedder.encode(["warm-up sentence for the embedder"])
        _EMBEDDER_LOAD_S[name] = seconds
    return get_embedder(name)


def embedder_load_seconds(name: str) -> float | None:
    return _EMBEDDER_LOAD_S.get(name)


def forget_memo(embedder) -> None:
    """Empty the embedder's memo of texts it has seen (when it keeps one), so the next call runs the model.

    A benchmark that repeats the same texts would otherwise time dictionary look-ups.
    """
    memo = getattr(embedder, "_memo", None)
    if hasattr(memo, "clear"):
        memo.clear()


def forget_disk(embedder) -> None:
    """Empty the embedder's on-disk vector cache (when it has one): a new answer is in no cache, and
    a text seen by an earlier timed call would otherwise be read back instead of embedded."""
    disk = getattr(embedder, "_disk", None)
    if disk is not None and disk.ok:
        with closing(disk._connect()) as db, db:
            db.execute("DELETE FROM vectors")


def forget_all(embedder) -> None:
    """Both caches of vectors by text, the memo and the disk."""
    forget_memo(embedder)
    forget_disk(embedder)


_BARE: dict[str, object] = {}


def bare_encoder(embedder) -> Callable[[list[str]], np.ndarray]:
    """The library the model ships for: sentence-transformers on torch from the same files, normalised
    vectors in batches of 16 (the fastest batch size on 2 cores), with nothing of the coach in between."""
    key = str(embedder.path)
    if key not in _BARE:
        from sentence_transformers import SentenceTransformer

        _BARE[key] = SentenceTransformer(key, device="cpu", local_files_only=True)
        _BARE[key].encode(["warm-up sentence for the embedder"])
    model = _BARE[key]
    return lambda texts: model.encode(list(texts), show_progress_bar=False, normalize_embeddings=True, batch_size=16)


def bare_onnx(embedder) -> Callable[[list[str]], np.ndarray] | None:
    """The runtime underneath the coach's default embedder: onnxruntime alone on the same exported
    file with its default session options (all cores), one text per run, mean-pooled and normalised
    in numpy. None when the embedder does not run on ONNX Runtime."""
    if getattr(embedder, "runtime", None) != "onnx":
        return None
    import onnxruntime as ort

    lc = embedder.lc
    session = ort.InferenceSession(str(lc.path), providers=["CPUExecutionProvider"])

    def encode(texts):
        out = []
        for text in texts:
            ids = np.asarray([lc.tokenizer.encode(text.strip()).ids], dtype=np.int64)
            hidden = session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)})[0][0]
            vec = hidden.mean(axis=0)
            out.append(vec / np.linalg.norm(vec))
        return np.stack(out)

    encode(["warm-up sentence for the embedder"])
    return encode


def build_index(settings, embedder):
    """A full in-process build into `settings.data_dir`: (Coach, IndexReport)."""
    from coach.root import Coach

    forget_memo(embedder)
    coach = Coach(settings, embedder=embedder)
    report = coach.build_index()
    return coach, report


def coach_command() -> list[str]:
    """The `coach` console script of this interpreter's environment, or `python -m coach`."""
    script = Path(sys.executable).parent / "coach"
    return [str(script)] if script.exists() else [sys.executable, "-m", "coach"]


def subprocess_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "COACH_CHROMA_URL"}
    env.update(COACH_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    return env

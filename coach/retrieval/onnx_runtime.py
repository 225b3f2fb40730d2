"""The sentence-transformers model run by ONNX Runtime: the same weights, the same vectors, about
1.5x faster than torch on 2 CPU cores.

Measured on 2 cores, 39 answers of ~440 words (23 sentences, ~660 tokens) each: torch through
sentence-transformers p50 414 ms; ONNX Runtime, one sentence at a time on each of two threads,
p50 250-270 ms; largest difference from the torch vectors 1.5e-7. Per token the model costs
0.41-0.47 ms on two threads whatever the sequence length from 16 to 256 tokens, so batching or
packing sentences gains nothing: padding a batch to its longest sentence only adds work (the same
answers at 16 sentences a batch: p50 347 ms). Dynamic int8 quantisation was no faster and moved
vectors (cosine to the original down to 0.945); OpenVINO was slower (p50 286-352 ms).

One text alone (a search query, a question with its whole answer) cannot be split that way: it
runs on a second session whose operators use every core (a 256-token text: 112-120 ms against
~200 ms on one thread; the second session costs about 110 MB).

sentence-transformers' own ONNX backend needs `optimum`, whose ONNX package pins transformers
below 4.58, so the model is exported here, once per set of weights, with `torch.onnx`, into the
user's cache (`$XDG_CACHE_HOME/staff-coach/onnx/`). The export is checked against the torch model
before it is kept, and each load checks it again on a fixed sentence, so a damaged or stale file
is exported afresh rather than used.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

log = logging.getLogger("coach.retrieval")

# Vectors from ONNX Runtime and torch differ by float rounding only (1.5e-7 measured); anything
# larger means the file is not this model.
TOLERANCE = 1e-4
PROBE = "We sharded the ledger by account id and kept p99 write latency under 40 ms."
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class Unsupported(Exception):
    """This model cannot run here the way sentence-transformers runs it; use torch."""


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "staff-coach" / "onnx"


def _pipeline(model_dir: Path) -> int:
    """The model's max sequence length, when it is a Transformer, mean pooling and (optionally)
    normalisation, which is all this runner does; Unsupported otherwise."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text())
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = json.loads((model_dir / modules[1]["path"] / "config.json").read_text()) if len(modules) > 1 else {}
        config = json.loads((model_dir / "sentence_bert_config.json").read_text())
    except (OSError, ValueError, KeyError, IndexError) as err:
        raise Unsupported(f"not a sentence-transformers model directory ({err})") from err
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        raise Unsupported(f"modules {kinds}")
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
    if modes != ["pooling_mode_mean_tokens"] or config.get("do_lower_case"):
        raise Unsupported(f"pooling {modes}")
    return int(config.get("max_seq_length") or 512)


class OnnxEmbeddings(Embeddings):
    """langchain Embeddings over the exported model: L2-normalised mean-pooled vectors, as
    sentence-transformers computes them with `normalize_embeddings=True`."""

    def __init__(self, model_dir: Path, fingerprint: str, workers: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir)
        self.max_length = _pipeline(self.model_dir)
        self.tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_length)
        self.path = cache_root() / fingerprint.replace(":", "-") / "model.onnx"
        self.encode_kwargs: dict = {"normalize_embeddings": True}
        # Sentences are encoded one at a time (no padding) on one thread each, `workers` at once:
        # ONNX Runtime runs a call on the calling thread and lets go of the GIL meanwhile.
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._ort = ort
        self._options = self._session_options(threads=1)
        self.session = self._load_checked()
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="embed") if self.workers > 1 else None
        self._wide = None  # every core on one text: made on first need
        self._lock = threading.Lock()

    def _session_options(self, threads: int):
        options = self._ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        return options

    # -- loading ---------------------------------------------------------------------------------

    def _load_checked(self):
        expected = self.path.with_suffix(".probe.npy")
        if self.path.is_file() and expected.is_file():
            try:
                session = self._session()
                if _close(self._vector(session, PROBE), np.load(expected)):
                    return session
            except Exception as err:  # a damaged file: export it again
                log.warning("The ONNX embedding model at %s could not be used (%s); exporting it again.", self.path, err)
        self._export()
        return self._session()

    def _session(self):
        return self._ort.InferenceSession(str(self.path), self._options, providers=["CPUExecutionProvider"])

    def _export(self) -> None:
        """Export the torch model to ONNX and keep it only when it gives the torch vectors."""
        import torch
        from sentence_transformers import SentenceTransformer

        st = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
        bert = st[0].auto_model.eval()

        class Wrapped(torch.nn.Module):
            def __init__(self, model):
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask, token_type_ids):
                out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
                return out.last_hidden_state

        example = self._inputs("two short sentences to trace the graph")
        axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".onnx.tmp")
        os.close(fd)
        try:
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")
                torch.onnx.export(Wrapped(bert), tuple(torch.from_numpy(example[k]) for k in INPUTS), tmp,
                                  input_names=list(INPUTS), output_names=["last_hidden_state"], dynamic_axes=axes,
                                  opset_version=17, dynamo=False)
            session = self._ort.InferenceSession(tmp, self._options, providers=["CPUExecutionProvider"])
            want = st.encode([PROBE, "", "x " * (self.max_length + 20)], normalize_embeddings=True)
            got = np.stack([self._vector(session, t) for t in (PROBE, "", "x " * (self.max_length + 20))])
            if not _close(got, want):
                raise Unsupported(f"the exported model differs from torch by {np.abs(got - want).max():.2g}")
            os.replace(tmp, self.path)  # atomic: another process sees the whole file or none
            np.save(self.path.with_suffix(".probe.npy"), want[0])
        finally:
            Path(tmp).unlink(missing_ok=True)

    # -- encoding --------------------------------------------------------------------------------

    def _inputs(self, text: str) -> dict[str, np.ndarray]:
        enc = self.tokenizer.encode(text.strip())  # sentence-transformers strips each text too
        ids = np.asarray([enc.ids], dtype=np.int64)
        return {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}

    def _vector(self, session, text: str) -> np.ndarray:
        hidden = session.run(None, self._inputs(text))[0][0]
        vec = hidden.mean(axis=0)
        return (vec / max(float(np.linalg.norm(vec)), 1e-12)).astype(np.float32)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        if self._pool is None:
            return np.stack([self._vector(self.session, t) for t in texts])
        lengths = [len(t) for t in texts]
        if len(texts) < self.workers or max(lengths) * self.workers > 1.2 * sum(lengths):
            # One text would keep one worker busy while the others wait: all cores on each text.
            with self._lock:
                if self._wide is None:
                    self._wide = self._ort.InferenceSession(str(self.path), self._session_options(self.workers),
                                                            providers=["CPUExecutionProvider"])
                return np.stack([self._vector(self._wide, t) for t in texts])
        # Longest first, each to the least-loaded worker: the workers finish together.
        shares: list[list[int]] = [[] for _ in range(min(self.workers, len(texts)))]
        load = [0] * len(shares)
        for i in sorted(range(len(texts)), key=lambda i: -lengths[i]):
            w = load.index(min(load))
            shares[w].append(i)
            load[w] += lengths[i]
        out: list[np.ndarray | None] = [None] * len(texts)
        with self._lock:
            done = self._pool.map(lambda share: [self._vector(self.session, texts[i]) for i in share], shares)
            for share, vecs in zip(shares, done):
                for i, v in zip(share, vecs):
                    out[i] = v
        return np.stack(out)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and float(np.abs(a - b).max()) <= TOLERANCE

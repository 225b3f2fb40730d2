"""Test doubles and test helpers that ship with the package, so every test (and downstream tool) uses one copy.

    backend = FakeBackend(["What breaks first at 10x?"])
    gen = backend.generate(rendered, Sampling(seed=1))
    backend.calls[0].prompt.text  # what the code under test asked

    coach = Coach(Settings(embedding_model="fake:384"), backend=backend)  # no model loads at all
"""

from __future__ import annotations

import hashlib
import re
import socket
import subprocess
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import numpy as np

from coach.corpus.schema import Panel
from coach.errors import BackendError
from coach.llm import streaming
from coach.llm.base import LLMBackend, RenderedPrompt, Sampling, Style
from coach.scoring.scorecard import Scorecard, ScorerInfo, SignalResult

__test__ = False  # not a test module, despite the name

Reply = Callable[[RenderedPrompt, Sampling], str]


class Call(NamedTuple):
    """One recorded call; unpacks as (prompt, sampling)."""

    prompt: RenderedPrompt
    sampling: Sampling


class FakeBackend(LLMBackend):
    """Replies from a queue (or a function of prompt and sampling) and records every call.

    Runs out -> BackendError, like a real backend failing: a test never gets invented text.
    """

    __test__ = False
    name = "fake"

    def __init__(
        self,
        replies: Iterable[str] | Reply,
        style: Style = "completion",
        model: str = "fake-model",
        endpoint: str = "in-memory",
    ):
        self.style = style
        self._model = model
        self._endpoint = endpoint  # e.g. a remote URL, to test what guards calls that leave the machine
        self._reply: Reply | None = replies if callable(replies) else None
        self._queue: deque[str] = deque() if callable(replies) else deque(replies)
        self.calls: list[Call] = []

    @property
    def model(self) -> str:
        return self._model

    @property
    def endpoint(self) -> str:
        return self._endpoint

    @property
    def remaining(self) -> int:
        return len(self._queue)

    def _generate(self, prompt: RenderedPrompt, sampling: Sampling) -> tuple[str, int]:
        self.calls.append(Call(prompt, sampling))
        if self._reply is not None:
            text = self._reply(prompt, sampling)
        elif self._queue:
            text = self._queue.popleft()
        else:
            raise BackendError(
                f"The fake backend has no replies left (call {len(self.calls)}, prompt {prompt.prompt_id!r}).",
                "Give FakeBackend more replies, or check why the code under test calls the model again.",
            )
        if streaming.streams():  # as a real backend streams: a piece per word
            return streaming.relay(re.findall(r"\S+\s*|\s+", text), streaming.active(), prompt.prompt_id)
        return text, len(text.split())


class FakeScorer:
    """A scorer double for tests of what consumes scorecards (sessions, the review schedule): every
    signal of the panel gets the level `level_of(answer)` gives, None meaning the scorer abstains.

    The real scorer on the toy embedder abstains on every answer (the toy knows no meaning), so a
    fast test that needs levels injects this with `coach.with_parts(evidence_scorer=FakeScorer(...))`.
    """

    __test__ = False

    def __init__(self, level_of: Callable[[str], int | None]):
        self.level_of = level_of

    def prepare_question(self, question: str, asks: list[str] | None = None) -> None:
        """Nothing to prepare: levels come from the answer alone."""

    def score(self, panel: Panel, answer: str, question: str = "", *, asks: list[str] | None = None,
              probed: str | None = None) -> Scorecard:
        level = self.level_of(answer)
        status = "insufficient evidence" if level is None else "evidenced" if level >= 3 else "weak" if level else "missing"
        signals = [SignalResult(id=s.id, name=s.name, level=level, status=status) for s in panel.signals]
        return Scorecard(panel=panel.slug, question=question, overall=None if level is None else 25 * level,
                         band=None if level is None else ("no-hire", "no-hire", "lean-no", "hire", "strong-hire")[level],
                         abstained=level is None, signals=signals, scorer=ScorerInfo(name="fake", version="1"),
                         answered="not checked" if level is None else "yes", probed_signal=probed)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for servers started in tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StalledServer:
    """Accepts TCP connections on loopback and never answers, as a wedged server does; `accepted`
    counts the connections (one per try)."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                self.accepted.append(self.sock.accept()[0])
            except OSError:
                continue

    def close(self):
        self._stop.set()
        self._thread.join(2)
        for conn in self.accepted:
            conn.close()
        self.sock.close()


class TricklingServer:
    """An OpenAI-compatible completions endpoint on loopback that streams one token every
    `every_s` seconds and never finishes, as an overloaded server does."""

    def __init__(self, every_s: float = 0.2):
        import http.server
        import json as _json

        outer = self
        self.closed = threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                chunk = {"id": "c", "object": "text_completion", "created": 0, "model": "m",
                         "choices": [{"text": " and", "index": 0, "logprobs": None, "finish_reason": None}]}
                try:
                    while not outer.closed.is_set():
                        self.wfile.write(f"data: {_json.dumps(chunk)}\n\n".encode())
                        self.wfile.flush()
                        time.sleep(every_s)
                except OSError:  # the client hung up
                    pass

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self):
        self.closed.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def serve(cmd: list[str], ready_url: str, log_path: Path, timeout_s: float = 60, **popen) -> Iterator[subprocess.Popen]:
    """Run a server process started by a test until `ready_url` answers 200; stop it afterwards.

    Its output goes to `log_path` (a pipe nobody reads would fill up and stall it); the log's tail
    is in the error when the process exits early or never answers.
    """
    with Path(log_path).open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, **popen)
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"{cmd[0]} exited with {proc.returncode}:\n{Path(log_path).read_text()[-3000:]}")
                try:
                    with urllib.request.urlopen(ready_url, timeout=5) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{ready_url} did not answer within {timeout_s:g} s:\n{Path(log_path).read_text()[-3000:]}")
                time.sleep(0.3)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


FAKE_EMBEDDING_MODEL = "fake:384"
_TOKEN = re.compile(r"[a-z0-9]+")
_VOWEL = re.compile(r"[aeiouy]")


class _Pronounceable:
    """The fake's 'vocabulary': any word with a vowel. Enough for the gibberish check to tell
    'qwrtzp xkcdvb' from prose, without shipping a word list."""

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and bool(_VOWEL.search(word))


class FakeEmbedder:
    """A deterministic toy embedder with the real one's interface, selected by
    COACH_EMBEDDING_MODEL=fake:<dim>. Each text is a bag of its words and word pairs hashed into
    `dim` signed buckets and L2-normalised: texts that share words are similar, unrelated texts
    are near 0. Nothing loads, so tests of logic run in milliseconds. It knows no meaning: a
    paraphrase with other words is unrelated to it, so calibrated thresholds do not transfer."""

    __test__ = False

    def __init__(self, name: str = "fake:384"):
        self.name = name
        self.dim = int(name.split(":", 1)[1] or 384) if ":" in name else 384
        self.fingerprint = f"fake-hash:{self.dim}"
        self.path = None
        self.encoded = 0  # texts encoded so far, for tests that check what was (not) embedded

    def with_disk_cache(self, cache_dir: Path) -> FakeEmbedder:
        return self  # computing a vector is cheaper than reading one

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        words = _TOKEN.findall(text.lower())
        for token in words + [f"{a} {b}" for a, b in zip(words, words[1:])]:
            h = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "big")
            vec[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def encode(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        self.encoded += len(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def vocabulary(self) -> _Pronounceable:
        return _Pronounceable()

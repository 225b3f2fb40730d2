"""Test doubles and test helpers that ship with the package, so every test (and downstream tool) uses one copy.

    backend = FakeBackend(["What breaks first at 10x?"])
    gen = backend.generate(rendered, Sampling(seed=1))
    backend.calls[0].prompt.text  # what the code under test asked
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from .errors import BackendError
from .llm.base import LLMBackend, RenderedPrompt, Sampling, Style

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
    ):
        self.style = style
        self._model = model
        self._reply: Reply | None = replies if callable(replies) else None
        self._queue: deque[str] = deque() if callable(replies) else deque(replies)
        self.calls: list[Call] = []

    @property
    def model(self) -> str:
        return self._model

    @property
    def endpoint(self) -> str:
        return "in-memory"

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
        return text, len(text.split())


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for servers started in tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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

"""What every tab of the web app shares: the one Coach of the process and how errors are shown."""

from __future__ import annotations

import inspect
import queue
import threading
import time
from collections.abc import Callable, Generator
from functools import wraps
from typing import TypeVar

import gradio as gr

from coach.errors import BackendError, CoachError
from coach.llm import streaming
from coach.render.markdown import backend_failure
from coach.root import Coach

# One Coach for the process, shared by every browser tab: the embedder, the index and the LLM load
# once, on first use. `coach.web.build` sets it; tests may build the UI around their own Coach.
COACH: Coach | None = None

# One model, one generation at a time: every handler that may call the LLM queues on this.
LLM_QUEUE = {"concurrency_id": "llm", "concurrency_limit": 1}


def coach() -> Coach:
    global COACH
    if COACH is None:
        COACH = Coach.from_env()
    return COACH


def use(c: Coach | None) -> None:
    """Serve `c` instead of the Coach built from the environment (tests, embedding the app)."""
    global COACH
    COACH = c


def _shown(err: CoachError) -> gr.Error:
    if isinstance(err, BackendError):
        backend = coach().settings.backend
        return gr.Error(backend_failure(err, backend), title=f"{backend} LLM backend failed", duration=None)
    return gr.Error(str(err), title=type(err).__name__)


def shows_errors(fn):
    """A CoachError becomes a visible error naming what failed, with its hint; never a made-up result.
    Works on handlers that return and on handlers that yield (streaming)."""
    if inspect.isgeneratorfunction(fn):

        @wraps(fn)
        def streamed(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except CoachError as err:
                raise _shown(err) from err

        return streamed

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CoachError as err:
            raise _shown(err) from err

    return wrapper


T = TypeVar("T")
_DONE = object()
FRAME_S = 0.08  # at most ~12 screen updates a second while text streams in


def streaming_work(work: Callable[[], T], frame: Callable[[str, int], tuple]) -> Generator[tuple, None, T]:
    """Run `work` (which may have an LLM write the interviewer's words) in a worker thread, and yield
    `frame(text so far, candidate number)` as the words arrive; returns what `work` returned, or
    raises what it raised. Use as `result = yield from streaming_work(...)` in a handler that yields."""
    events: queue.Queue = queue.Queue()
    outcome: dict = {}

    def run() -> None:
        try:
            with streaming.to(events.put):
                outcome["value"] = work()
        except BaseException as err:  # handed to the handler's thread, which shows it
            outcome["error"] = err
        finally:
            events.put(_DONE)

    threading.Thread(target=run, name="coach-web-work", daemon=True).start()
    text, candidate, shown_at = "", 0, 0.0
    while (event := events.get()) is not _DONE:
        if isinstance(event, streaming.Start):
            text, candidate = "", candidate + 1
        else:
            text += event
        if text.strip() and time.monotonic() - shown_at >= FRAME_S:
            shown_at = time.monotonic()
            yield frame(text, candidate)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]

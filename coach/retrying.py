"""One bounded retry loop for every call to a server (LLM backends, the Chroma server).

A failure worth another try (a refused connection, a timeout, a 5xx) is retried a fixed number of
times with a doubling pause, and each retry is logged under the caller's `coach.*` logger, so a
flaky server shows in the log instead of as a slow screen. Any other failure, and the last one,
propagates at once: the caller turns it into an error that says what to do.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def bounded(call: Callable[[], T], *, retry_on: Callable[[BaseException], bool], attempts: int, what: str,
            log: logging.Logger, backoff_s: float = 0.5) -> T:
    """`call()`, tried at most `attempts` times while the failure passes `retry_on`."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Exception as err:
            if not retry_on(err):
                raise
            if attempt == attempts:
                log.warning("%s failed (attempt %d of %d): %s: %s; giving up", what, attempt, attempts,
                            type(err).__name__, _short(err))
                raise
            pause = backoff_s * 2 ** (attempt - 1)
            log.warning("%s failed (attempt %d of %d): %s: %s; retrying in %.1f s", what, attempt, attempts,
                        type(err).__name__, _short(err), pause)
            time.sleep(pause)
    raise AssertionError("unreachable")  # the loop returns or raises


def _short(err: BaseException, limit: int = 200) -> str:
    text = " ".join(str(err).split())
    return text if len(text) <= limit else text[:limit] + "…"

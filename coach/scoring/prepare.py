"""Work done while the candidate reads a prompt. Scoring an answer embeds the question's asks in
context and the whole question besides the answer's sentences: for a system-design question about
140 tokens of ~750, some 55 ms of the model on 2 cores. The question is known as soon as it is
shown, so a background thread embeds its part then, and the wait after the answer is sent holds
only the answer's own work. Nothing is lost when it has not finished (scoring waits on the same
embedder) or failed (scoring embeds the texts itself and reports any error)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger("coach.scoring")
_POOL = ThreadPoolExecutor(1, thread_name_prefix="prepare-scoring")


def in_background(prepare: Callable[[str, list[str] | None], None], question: str, asks: list[str] | None) -> Future:
    def run() -> None:
        try:
            prepare(question, asks)
        except Exception as err:  # scoring will embed these texts itself and say what failed
            log.debug("Preparing to score failed: %s", err)

    return _POOL.submit(run)

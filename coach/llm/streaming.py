"""Showing the interviewer's words as an LLM produces them.

An interface that can show text as it arrives opens a sink (`to(sink)`) around the call that may
generate; the interviewer marks the generations that are words the candidate will read
(`speech()`, around a rewrite). A backend streams only when both hold, so a judge's JSON or a
scorer's call never reaches the screen. The sink is told when a candidate starts (`Start`) and
gets its text in pieces (`str`); the gate decides afterwards which text is shown, so the screen
labels streamed text as a draft in progress until the final message replaces it.

`stop_when(check)` lets the caller end a generation as soon as the text so far shows it will be
rejected anyway (a backend that can stream then streams even with no sink to show it to).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from coach.errors import BackendError


@dataclass(frozen=True)
class Start:
    """A new candidate begins (the rewrite draws several)."""

    prompt_id: str


Event = Start | str
Sink = Callable[[Event], None]

_sink: ContextVar[Sink | None] = ContextVar("coach_stream_sink", default=None)
_speech: ContextVar[bool] = ContextVar("coach_stream_speech", default=False)
_stop: ContextVar[Callable[[str], bool] | None] = ContextVar("coach_stream_stop", default=None)


@contextmanager
def to(sink: Sink) -> Iterator[None]:
    """Send the interviewer's generated words to `sink` while the block runs (this thread/context)."""
    token = _sink.set(sink)
    try:
        yield
    finally:
        _sink.reset(token)


@contextmanager
def speech() -> Iterator[None]:
    """Mark the generations in the block as words the candidate will read."""
    token = _speech.set(True)
    try:
        yield
    finally:
        _speech.reset(token)


@contextmanager
def stop_when(check: Callable[[str], bool]) -> Iterator[None]:
    """Within the block, a streamed generation of speech ends once `check(text so far)` is true;
    the caller gets the text up to there and judges it as it would the whole."""
    token = _stop.set(check)
    try:
        yield
    finally:
        _stop.reset(token)


def streams() -> bool:
    """Whether a generation now should stream: to show its words, or to stop it early."""
    return _speech.get() and (_sink.get() is not None or _stop.get() is not None)


def active() -> Sink | None:
    """The sink to stream to, or None when this generation must not be streamed."""
    return _sink.get() if _speech.get() else None


def relay(pieces: Iterable[str], sink: Sink | None, prompt_id: str, deadline_s: float | None = None, who: str = "") -> tuple[str, int]:
    """Pass a backend's pieces of text to `sink` (if any) as they come; returns the whole text and
    the number of pieces (llama.cpp and OpenAI-compatible servers send one token per piece). The
    rest of the reply is abandoned once the `stop_when` check in force (if any) is true.

    A server's read timeout restarts with every piece, so one that trickles tokens would never
    time out: `deadline_s` bounds the whole reply, and the rest of it is abandoned when it passes."""
    if sink is not None:
        sink(Start(prompt_id))
    stop = _stop.get()
    parts = []
    started = time.monotonic()
    for piece in pieces:
        if piece:
            parts.append(piece)
            if sink is not None:
                sink(piece)
            if stop is not None and stop("".join(parts)):
                getattr(pieces, "close", lambda: None)()
                break
        if deadline_s is not None and time.monotonic() - started > deadline_s:
            getattr(pieces, "close", lambda: None)()
            raise BackendError(
                f"The {who or 'LLM backend'} was still sending its reply after {deadline_s:g} s "
                f"({len(parts)} pieces so far), so it was cut off.",
                "Check the server is not overloaded, raise COACH_LLM_REPLY_TIMEOUT_S, or set COACH_BACKEND=embedded.",
            )
    return "".join(parts), len(parts)

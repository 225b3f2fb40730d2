"""What the interview screen shows beside the chat: the signal levels as charts, the last answer with
its evidence marked, the answer timer, and which backend and model are in use.

Pure functions of a session; the web app only puts their results into components.
"""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING

import pandas as pd

from coach.render.scorecard import duration
from coach.scoring.scorecard import Scorecard

if TYPE_CHECKING:
    from coach.config import Settings
    from coach.session.mock import MockSession

LEVEL_COLUMNS = ["signal", "level"]


def _short(name: str, width: int = 28) -> str:
    return name if len(name) <= width else name[: width - 1].rstrip() + "…"


def last_answer_levels(session: MockSession) -> pd.DataFrame:
    """Per signal, the level the last scored answer showed (an abstained signal is left out)."""
    scored = [t.scorecard for t in session.turns if t.scorecard is not None]
    if not scored:
        return pd.DataFrame(columns=LEVEL_COLUMNS)
    rows = [(_short(s.name), s.level) for s in scored[-1].signals if s.level is not None]
    return pd.DataFrame(rows, columns=LEVEL_COLUMNS)


def last_answer_title(session: MockSession) -> str:
    """The last-answer chart's title; an answer that missed its question says so, because its levels
    count for nothing in the interview's."""
    scored = [t.scorecard for t in session.turns if t.scorecard is not None]
    if scored and (scored[-1].abstained or scored[-1].overall is None):
        return "Last answer (not scored)"
    if scored and scored[-1].answered == "no":
        return "Last answer (did not answer the question: not counted)"
    return "Last answer"


def session_levels(session: MockSession) -> pd.DataFrame:
    """Per signal, the interview's pooled level so far: the best any answer showed."""
    if not any(t.scorecard is not None for t in session.turns):
        return pd.DataFrame(columns=LEVEL_COLUMNS)
    rows = [(_short(p.name), p.level) for p in session.score().signals if p.level is not None]
    return pd.DataFrame(rows, columns=LEVEL_COLUMNS)


def _find(text: str, quote: str) -> tuple[int, int] | None:
    """Where a quote sits in the answer: verbatim first, then ignoring case and runs of whitespace
    (quotes are cut from sentences the scorer normalised)."""
    at = text.find(quote)
    if at >= 0:
        return at, at + len(quote)
    words = quote.split()
    if not words:
        return None
    m = re.search(r"\s+".join(map(re.escape, words)), text, re.IGNORECASE)
    return (m.start(), m.end()) if m else None


def evidence_spans(answer: str, card: Scorecard | None) -> list[tuple[str, str | None]]:
    """The answer cut into pieces, each evidence quote labelled with the signal it counted for;
    the rest unlabelled. Where two quotes overlap, the one that starts first keeps the text."""
    if not answer:
        return []
    marks: list[tuple[int, int, str]] = []
    for signal in card.signals if card else []:
        for quote in signal.evidence:
            span = _find(answer, quote)
            if span:
                marks.append((*span, signal.name))
    pieces: list[tuple[str, str | None]] = []
    at = 0
    for start, end, label in sorted(marks, key=lambda m: (m[0], -m[1])):
        if start < at:
            continue  # overlaps a quote already marked
        if start > at:
            pieces.append((answer[at:start], None))
        pieces.append((answer[start:end], label))
        at = end
    if at < len(answer):
        pieces.append((answer[at:], None))
    return pieces


def last_answer_spans(session: MockSession) -> list[tuple[str, str | None]]:
    answered = [t for t in session.turns if t.answer is not None]
    return evidence_spans(answered[-1].answer, answered[-1].scorecard) if answered else []


def timer_html(session: MockSession | None) -> str:
    """The answer timer. The page counts the seconds itself (a script in the page head reads
    `data-timer`): no request per tick. A new key restarts it; a stopped timer shows the time the
    last answer took."""
    pending = session.pending if session is not None else None
    if pending is not None:
        key = escape(f"{session.id}:{pending.index}")
        return (f'<div class="answer-timer">Answer time <span data-timer="{key}">0:00</span>'
                " <small>(interviews are timed; it is saved with your answer)</small></div>")
    took = next((duration(t.elapsed_s) for t in reversed(session.turns) if t.elapsed_s is not None), "") if session else ""
    last = f"Last answer took {took}." if took else "No answer is being timed."
    return f'<div class="answer-timer">{escape(last)}</div>'


# Long answers wrap between words, not inside them (the component's default breaks anywhere).
SCREEN_CSS = "#mock-marked .text, #mock-marked .token { word-break: normal !important; overflow-wrap: break-word; }"

# Counts up in every element carrying data-timer, from the moment the page first saw its key.
TIMER_SCRIPT = """<script>
(() => {
  const started = new Map();
  const fmt = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  setInterval(() => {
    document.querySelectorAll("[data-timer]").forEach((el) => {
      const key = el.dataset.timer;
      if (!started.has(key)) started.set(key, Date.now());
      el.textContent = fmt(Math.floor((Date.now() - started.get(key)) / 1000));
    });
  }, 1000);
})();
</script>"""


def backend_line(settings: Settings, session: MockSession | None = None) -> str:
    """Which backend and model speak and score, as Markdown: the session's own record when there is
    one (it says what the session ran with), otherwise the configuration."""
    backend = (session.backend if session else None) or settings.backend
    model = (session.model if session else None) or "model not loaded yet"
    words = {"auto": "LLM rewrite only with a chat backend", "on": "LLM rewrite on (gated)", "off": "LLM rewrite off"}
    return (f"Interviewer: composed from the corpus ({words.get(settings.rewrite, settings.rewrite)}) · "
            f"LLM backend `{escape(backend)}` · model `{escape(str(model))}` · scorer `{escape(settings.scorer)}`")

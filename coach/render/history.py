"""The list of saved sessions (`coach history`, the web app's past sessions) as text and Markdown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from coach.render.scorecard import one_line

if TYPE_CHECKING:
    from coach.history.listing import HistoryRow

EMPTY = "No saved sessions yet. Start one with `coach mock` or in the web app."
_COLUMNS = ("date", "session", "panel", "level", "score", "band", "status")


def _cells(r: HistoryRow) -> tuple[str, ...]:
    score = "—" if r.score is None else f"{r.score:g}"
    status = r.status if r.status == "finished" else f"{r.status} ({r.answered} answered)"
    return (r.date, r.id, r.panel, r.level, score, r.band or "—", status)


def history_text(rows: Sequence[HistoryRow]) -> str:
    """An aligned table, newest first, and how to resume when a session can be resumed."""
    if not rows:
        return EMPTY + "\n"
    table = [_COLUMNS, *(_cells(r) for r in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(_COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table]
    if any(r.resumable for r in rows):
        lines += ["", "Continue an active session with `coach resume SESSION`; read one with `coach show SESSION`."]
    return "\n".join(lines) + "\n"


def history_markdown(rows: Sequence[HistoryRow], limit: int | None = None) -> str:
    """A table, newest first; with `limit`, the newest `limit` rows and a line saying how many more."""
    if not rows:
        return f"*{EMPTY}*"
    shown = rows if limit is None else rows[:limit]
    lines = ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
    lines += ["| " + " | ".join(one_line(c) for c in _cells(r)) + " |" for r in shown]
    if len(shown) < len(rows):
        lines += ["", f"*The newest {len(shown)} of {len(rows):,} sessions; `coach history` lists them all.*"]
    return "\n".join(lines)


def session_choices(rows: Sequence[HistoryRow]) -> list[tuple[str, str]]:
    """(label, session id) for every session, newest first: the picker of transcripts."""
    return [(" · ".join(_cells(r)), r.id) for r in rows]


def resume_choices(rows: Sequence[HistoryRow]) -> list[tuple[str, str]]:
    """(label, session id) for each session that can be resumed, newest first: a picker's options."""
    return [(f"{r.date} · {r.panel} · {r.level} · {r.answered} answered · {r.id}", r.id) for r in rows if r.resumable]

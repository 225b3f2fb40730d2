"""The review schedule (`coach due`, the Practice tab) and a drill's transcript, as text and Markdown."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from coach.render.markdown import session_status, transcript
from coach.render.scorecard import escape, one_line

if TYPE_CHECKING:
    from coach.practice.drill import DueEntry, Drill

_COLUMNS = ("panel", "signal", "last level", "due", "interval")
NOTHING = "Nothing is due for review."
EMPTY = "No signal is on the review schedule yet: one goes on it when an answer scores it at level 1 or lower."


def when(at: float) -> str:
    """Local time, "YYYY-MM-DD HH:MM"."""
    return datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M")


def _interval(days: int) -> str:
    return "new" if days == 0 else f"{days} day{'' if days == 1 else 's'}"


def _cells(e: DueEntry) -> tuple[str, ...]:
    return (e.panel, e.name, f"{e.last_level}/4", when(e.due_at), _interval(e.interval_days))


def nothing_due(upcoming: DueEntry | None) -> str:
    """What to say when nothing is due: when the next item is, or that the schedule is empty."""
    if upcoming is None:
        return EMPTY
    return f"{NOTHING} Next: {upcoming.name} ({upcoming.panel}), due {when(upcoming.due_at)}."


def due_text(entries: Sequence[DueEntry], upcoming: DueEntry | None = None) -> str:
    """An aligned table, most overdue first, and how to drill them; or when the next one falls due."""
    if not entries:
        return nothing_due(upcoming) + "\n"
    table = [_COLUMNS, *(_cells(e) for e in entries)]
    widths = [max(len(row[i]) for row in table) for i in range(len(_COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table]
    lines += ["", "Practise them with `coach drill` (-n N questions, the most overdue first)."]
    return "\n".join(lines) + "\n"


def due_markdown(entries: Sequence[DueEntry], upcoming: DueEntry | None = None) -> str:
    if not entries:
        return f"*{escape(nothing_due(upcoming))}*"
    lines = ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
    lines += ["| " + " | ".join(one_line(c) for c in _cells(e)) + " |" for e in entries]
    return "\n".join(lines)


def drill_messages(drill: Drill) -> list[dict]:
    """The drill as chat messages: each panel's session in turn, under a line naming the panel."""
    messages: list[dict] = []
    for n, session in enumerate(drill.sessions, 1):
        messages.append({"role": "assistant", "content": f"**Drill, part {n} of {len(drill.parts)}: {one_line(session.panel_name)}**"})
        messages += transcript(session)  # a finished part ends with its wrap-up
    if drill.finished:
        messages.append({"role": "assistant", "content": "That is the end of the drill. The schedule is updated from your answers."})
    return messages


def drill_status(drill: Drill) -> str:
    """One line above the chat."""
    answered = sum(1 for s in drill.sessions for t in s.turns if t.answer is not None)
    where = "finished" if drill.finished else session_status(drill.current)
    return f"Drill · {answered} of {drill.questions} answered · {where}"

"""Which answers feed the review schedule, and the table that keeps them (`signal_reviews`, made by
migration 5 of the sessions database).

One row per answered turn and signal it asked about: the question's target signals, or the signal
a follow-up probed. An answer is not marked down on a signal it was never asked about, and an
abstained scorecard (level null) adds nothing. The row's key is (session, turn, signal), so
recording a turn twice (a reload, an import of a saved session) changes nothing.

The schedule itself is never stored: it is replayed from these rows (`coach.practice.schedule`),
so deleting a session's rows (`coach forget`) leaves exactly the schedule its other sessions make.
The functions here run on a connection inside the caller's transaction (the session store's).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from coach.practice.schedule import Answer, Item, replay

TABLE = "signal_reviews"


def asked_levels(kind: str, prompt: dict, scorecard: dict | None) -> list[tuple[str, int]]:
    """(signal id, level) for each signal the turn asked about that its scorecard scored."""
    if not scorecard:
        return []
    if kind == "follow-up":
        asked = [prompt.get("signal")]
    else:
        asked = (prompt.get("provenance") or {}).get("signals") or []
    levels = {s.get("id"): s.get("level") for s in scorecard.get("signals") or []}
    return [(sid, levels[sid]) for sid in dict.fromkeys(asked)
            if isinstance(levels.get(sid), int) and not isinstance(levels[sid], bool)]


def record(db: sqlite3.Connection, session_id: str, idx: int, panel: str, kind: str, prompt: dict,
           scorecard: dict | None, at: float) -> int:
    """Add the turn's answers to the table (those already there are kept as they are); returns how
    many rows are new."""
    rows = [(session_id, idx, panel, sid, level, at) for sid, level in asked_levels(kind, prompt, scorecard)]
    before = db.total_changes
    db.executemany(f"INSERT OR IGNORE INTO {TABLE} (session_id, turn_idx, panel, signal, level, answered_at) "
                   "VALUES (?,?,?,?,?,?)", rows)
    return db.total_changes - before


def forget(db: sqlite3.Connection, session_ids: Iterable[str]) -> None:
    for sid in session_ids:
        db.execute(f"DELETE FROM {TABLE} WHERE session_id = ?", (sid,))


def answers(db: sqlite3.Connection) -> dict[tuple[str, str], list[Answer]]:
    """Every stored answer, grouped by (panel, signal), oldest first."""
    grouped: dict[tuple[str, str], list[Answer]] = {}
    for order, session_id, idx, panel, signal, level, at in db.execute(
        f"SELECT rowid, session_id, turn_idx, panel, signal, level, answered_at FROM {TABLE} ORDER BY answered_at, rowid"
    ):
        grouped.setdefault((panel, signal), []).append(Answer(at, level, session_id, idx, order))
    return grouped


def items(grouped: dict[tuple[str, str], list[Answer]]) -> list[Item]:
    """Every (panel, signal) that has been on the schedule, graduated ones included."""
    found = (replay(panel, signal, rows) for (panel, signal), rows in grouped.items())
    return [item for item in found if item is not None]

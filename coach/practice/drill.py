"""What is due, and drills: short sessions of questions aimed at the signals due for review.

    entries = due_list(coach)                    # due now, most overdue first
    drill = Drill.start(coach, n=3, level="staff")
    while not drill.finished:
        print(drill.current_prompt.text)
        drill.answer(read_answer())

A drill asks one question for each of the `n` most overdue signals, composed for that signal, with
no follow-ups. The questions of one panel make one mock session (saved turn by turn, listed by
`coach history`, resumable like any other); panels come in the order of their most overdue signal.
Each answer updates the schedule as every scored answer does (`SessionStore.record_answer`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from coach.errors import UserInputError
from coach.practice import schedule
from coach.practice.schedule import DAY, Item

if TYPE_CHECKING:
    from coach.root import Coach
    from coach.session.mock import MockSession, Turn

DEFAULT_QUESTIONS = 3
MAX_QUESTIONS = 20


class DueEntry(BaseModel):
    """One (panel, signal) on the schedule, as `coach due` lists it."""

    panel: str
    signal: str
    name: str = Field(description="the signal's name in the corpus (its id if the corpus no longer has it)")
    last_level: int
    due_at: float = Field(description="seconds since the epoch")
    due: str = Field(description="due_at as an ISO 8601 time in UTC")
    interval_days: int
    overdue_days: float = Field(description="how long it has been due (negative: not due yet)")
    ease: float
    repetitions: int
    reviews: int
    lapses: int
    drillable: bool = Field(description="the corpus still has this panel and signal, so a question can be composed")


def _entry(coach: Coach, item: Item, now: float) -> DueEntry:
    try:
        name, drillable = coach.panel(item.panel).signal(item.signal).name, True
    except (UserInputError, KeyError):
        name, drillable = item.signal, False
    return DueEntry(panel=item.panel, signal=item.signal, name=name, last_level=item.last_level, due_at=item.due_at,
                    due=datetime.fromtimestamp(item.due_at, timezone.utc).isoformat(timespec="seconds"),
                    interval_days=item.interval_days, overdue_days=round(item.overdue_days(now), 3), ease=item.ease,
                    repetitions=item.repetitions, reviews=item.reviews, lapses=item.lapses, drillable=drillable)


def due_list(coach: Coach, now: float | None = None) -> list[DueEntry]:
    """The items due at `now` (default: the store's clock), most overdue first."""
    now = coach.store.clock() if now is None else now
    return [_entry(coach, item, now) for item in schedule.due(coach.store.review_items(), now)]


def next_due(coach: Coach, now: float | None = None) -> DueEntry | None:
    """The item that falls due first (due or not); None when nothing is on the schedule."""
    now = coach.store.clock() if now is None else now
    item = schedule.next_due(coach.store.review_items())
    return _entry(coach, item, now) if item else None


def plan(entries: list[DueEntry], n: int) -> list[tuple[str, list[str]]]:
    """(panel, signal ids) per session: the `n` most overdue drillable entries, grouped by panel in
    the order of each panel's most overdue one."""
    parts: dict[str, list[str]] = {}
    for e in [e for e in entries if e.drillable][:n]:
        parts.setdefault(e.panel, []).append(e.signal)
    return list(parts.items())


class Drill:
    """A drill in progress: its plan and the sessions started so far. `state()` and `resume` carry
    it between requests (the web app) as plain data."""

    def __init__(self, coach: Coach, parts: list[tuple[str, list[str]]], level: str, seed: int | None,
                 session_ids: list[str] | None = None):
        self.coach, self.parts, self.level, self.seed = coach, parts, level, seed
        self.sessions: list[MockSession] = [coach.load_session(sid) for sid in session_ids or []]
        self._advance()

    @classmethod
    def start(cls, coach: Coach, n: int = DEFAULT_QUESTIONS, level: str = "staff", seed: int | None = None,
              now: float | None = None) -> Drill:
        """A drill on the `n` signals most overdue at `now`. Nothing due is an error saying when the
        next item falls due."""
        if not 1 <= n <= MAX_QUESTIONS:
            raise UserInputError(f"A drill of {n} questions is out of range.", f"Use 1-{MAX_QUESTIONS} questions.")
        parts = plan(due_list(coach, now), n)
        if not parts:
            raise UserInputError("Nothing is due for review.", nothing_due_hint(next_due(coach, now)))
        return cls(coach, parts, level, seed)

    @classmethod
    def resume(cls, coach: Coach, state: dict) -> Drill:
        return cls(coach, [(p, list(s)) for p, s in state["parts"]], state["level"], state.get("seed"), state["sessions"])

    def state(self) -> dict:
        return {"parts": [[p, s] for p, s in self.parts], "level": self.level, "seed": self.seed,
                "sessions": [s.id for s in self.sessions]}

    def _advance(self) -> None:
        """Start the next panel's session once the current one is done (or none has started). A
        backend failure here raises BackendError; the next call tries again."""
        if (not self.sessions or self.current.finished) and len(self.sessions) < len(self.parts):
            panel, signals = self.parts[len(self.sessions)]
            self.sessions.append(self.coach.start_session(panel, self.level, targets=signals, followups=0, seed=self.seed))

    @property
    def questions(self) -> int:
        return sum(len(s) for _, s in self.parts)

    @property
    def current(self) -> MockSession:
        return self.sessions[-1]

    @property
    def finished(self) -> bool:
        return len(self.sessions) == len(self.parts) and self.current.finished

    @property
    def current_prompt(self) -> Turn | None:
        """The question awaiting an answer, generated now if an earlier attempt failed; None once finished."""
        self._advance()
        return None if self.finished else self.current.current_prompt

    @property
    def waiting(self) -> bool:
        """Whether a question is shown and awaits its answer (False after a failed generation)."""
        turns = self.current.turns if self.sessions else []
        return bool(turns) and turns[-1].answer is None

    def answer(self, text: str, elapsed_s: float | None = None) -> Turn:
        """Answer the current question; when that ends its panel's session, the next panel's starts.
        `elapsed_s`: the seconds the candidate took, as the interface timed it (None: untimed)."""
        turn = self.current.answer(text, elapsed_s=elapsed_s)
        self._advance()
        return turn


def nothing_due_hint(upcoming: DueEntry | None) -> str:
    if upcoming is None:
        return "No signal is on the schedule: a signal goes on it when an answer scores it at level 1 or lower."
    days = -upcoming.overdue_days
    when = f"in {days:.1f} days" if days >= 1 else f"in {max(days * DAY / 3600, 0):.1f} hours"
    return f"The next, {upcoming.name} ({upcoming.panel}), falls due {when}."

"""The review schedule of weak signals: SM-2 (SuperMemo 2) adapted to the scorer's levels.

Pure: every function takes the time it should use (`at`, `now`, seconds since the epoch); nothing
here reads a clock. The schedule of one (panel, signal) is a fold over the answers that scored it,
oldest first, so it can be rebuilt at any time from the stored answers (`replay`).

The rule:
- An item goes on the schedule when an answer scores its signal at level 1 or lower. It is due at
  once (practise it now), with ease 2.5 and no repetitions.
- Each later answer on the signal is a review. Quality q = level + 1 (level 0-4 -> q 1-5); the ease
  moves by SM-2's formula, ease + 0.1 - (5 - q) * (0.08 + (5 - q) * 0.02), and never falls below
  1.3: level 4 raises it by 0.1, level 3 keeps it, level 2 lowers it by 0.14, level 1 by 0.32,
  level 0 by 0.54.
- A poor answer (level <= 1) is a lapse: repetitions go back to 0 and the item is due in 1 day.
- A pass (level >= 2) given when the item is due adds a repetition: the interval is 1 day after
  the first, 6 days after the second, then the previous interval times the new ease (rounded to
  whole days). A pass given before the item is due (say, in an ordinary mock interview the day
  after a lapse) is noted as the last level but moves nothing: it recalled over a shorter gap than
  the schedule asks for.
- Three good answers (level >= 3) in a row, each given when due, take the item off the schedule
  (graduated). A later poor answer puts it back on as a new item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

DAY = 86_400.0
START_EASE = 2.5
MIN_EASE = 1.3
POOR = 1  # a level at or below this is a poor answer (a lapse)
GOOD = 3  # a level at or above this is a good answer (counts towards graduating)
GRADUATE_AFTER = 3  # good answers in a row, each given when due, that take an item off the schedule


@dataclass(frozen=True)
class Answer:
    """One answer that scored the signal: when, at which level, and where it came from."""

    at: float
    level: int
    session_id: str = ""
    turn: int = 0
    order: int = 0  # when stored, for answers given at the same moment: the one saved first comes first


@dataclass(frozen=True)
class Item:
    """The state of one (panel, signal) on the schedule."""

    panel: str
    signal: str
    added_at: float
    due_at: float
    interval_days: int
    ease: float
    repetitions: int  # passes given when due since the last lapse
    streak: int  # good answers in a row given when due
    last_level: int
    last_at: float
    reviews: int  # answers since the item went on the schedule, the first one included
    lapses: int
    graduated_at: float | None = None
    sessions: tuple[str, ...] = ()  # the sessions whose answers shaped this state

    @property
    def active(self) -> bool:
        return self.graduated_at is None

    def is_due(self, now: float) -> bool:
        return self.active and self.due_at <= now

    def overdue_days(self, now: float) -> float:
        return (now - self.due_at) / DAY


def quality(level: int) -> int:
    """SM-2's quality of recall, 1-5, for a level 0-4."""
    if not 0 <= level <= 4:
        raise ValueError(f"level {level} is outside 0-4")
    return level + 1


def next_ease(ease: float, level: int) -> float:
    q = quality(level)
    return round(max(MIN_EASE, ease + 0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)), 4)


def start(panel: str, signal: str, answer: Answer) -> Item:
    """A new item, from the poor answer that puts it on the schedule: due at once."""
    return Item(panel=panel, signal=signal, added_at=answer.at, due_at=answer.at, interval_days=0, ease=START_EASE,
                repetitions=0, streak=0, last_level=answer.level, last_at=answer.at, reviews=1, lapses=0,
                sessions=(answer.session_id,) if answer.session_id else ())


def review(item: Item | None, panel: str, signal: str, answer: Answer) -> Item | None:
    """The item after one more answer on its signal; None while the signal has never been poor."""
    if item is None or not item.active:
        return start(panel, signal, answer) if answer.level <= POOR else item
    seen = dict(last_level=answer.level, last_at=answer.at, reviews=item.reviews + 1,
                sessions=tuple(dict.fromkeys((*item.sessions, answer.session_id))) if answer.session_id else item.sessions)
    if answer.level <= POOR:
        return replace(item, **seen, ease=next_ease(item.ease, answer.level), repetitions=0, streak=0, interval_days=1,
                       due_at=answer.at + DAY, lapses=item.lapses + 1)
    if answer.at < item.due_at:
        return replace(item, **seen)  # early: recalled over a shorter gap than scheduled
    ease = next_ease(item.ease, answer.level)
    repetitions = item.repetitions + 1
    interval = 1 if repetitions == 1 else 6 if repetitions == 2 else max(1, round(item.interval_days * ease))
    streak = item.streak + 1 if answer.level >= GOOD else 0
    return replace(item, **seen, ease=ease, repetitions=repetitions, streak=streak, interval_days=interval,
                   due_at=answer.at + interval * DAY, graduated_at=answer.at if streak >= GRADUATE_AFTER else None)


def replay(panel: str, signal: str, answers: Iterable[Answer]) -> Item | None:
    """The item's state after every answer, taken oldest first (ties in the order they were saved)."""
    item = None
    for answer in sorted(answers, key=lambda a: (a.at, a.order)):
        item = review(item, panel, signal, answer)
    return item


def due(items: Iterable[Item], now: float) -> list[Item]:
    """The items due at `now`, most overdue first (ties: panel, then signal)."""
    return sorted((i for i in items if i.is_due(now)), key=lambda i: (i.due_at, i.panel, i.signal))


def next_due(items: Iterable[Item]) -> Item | None:
    """The item on the schedule that falls due first, due or not."""
    return min((i for i in items if i.active), key=lambda i: (i.due_at, i.panel, i.signal), default=None)

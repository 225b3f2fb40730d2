"""The review schedule's rule (coach/practice/schedule.py) on a clock the test controls."""

from __future__ import annotations

import pytest

from coach.practice.schedule import DAY, GRADUATE_AFTER, MIN_EASE, START_EASE, Answer, due, next_due, replay, review

T0 = 1_700_000_000.0


class Clock:
    def __init__(self, at: float = T0):
        self.at = at

    def days(self, n: float) -> float:
        self.at += n * DAY
        return self.at


def run(levels_at: list[tuple[float, int]]):
    return replay("system-design", "capacity-math", [Answer(at, level, "s", n) for n, (at, level) in enumerate(levels_at)])


def test_a_signal_goes_on_the_schedule_only_when_an_answer_is_poor():
    assert run([(T0, 2), (T0 + DAY, 4)]) is None
    item = run([(T0, 2), (T0 + DAY, 1)])
    assert item.due_at == T0 + DAY and item.interval_days == 0 and item.ease == START_EASE  # new: due at once
    assert item.is_due(T0 + DAY) and not item.is_due(T0 + DAY - 1)


def test_intervals_grow_one_day_six_days_then_times_the_ease():
    clock = Clock()
    item = review(None, "p", "s", Answer(clock.at, 0))
    intervals, eases = [], []
    for _ in range(5):
        item = review(item, "p", "s", Answer(item.due_at, 2))  # a pass, given exactly when due
        intervals.append(item.interval_days)
        eases.append(item.ease)
        assert item.due_at == item.last_at + item.interval_days * DAY
    assert intervals[:2] == [1, 6]
    for before, after, ease in zip(intervals[1:], intervals[2:], eases[2:]):
        assert after == round(before * ease) and after > before
    assert eases == sorted(eases, reverse=True) and eases[0] == pytest.approx(START_EASE - 0.14)  # level 2: lower ease


def test_a_poor_answer_resets_the_interval_to_one_day():
    clock = Clock()
    item = review(None, "p", "s", Answer(clock.at, 1))
    for level in (3, 2, 3):  # passes, not yet three good ones in a row
        item = review(item, "p", "s", Answer(clock.days(30), level))
    assert item.active and item.repetitions == 3 and item.interval_days > 6
    lapsed = review(item, "p", "s", Answer(clock.days(1), 1))
    assert (lapsed.repetitions, lapsed.interval_days, lapsed.lapses) == (0, 1, 1)
    assert lapsed.due_at == clock.at + DAY and lapsed.ease == pytest.approx(item.ease - 0.32)


def test_the_ease_never_falls_below_the_floor():
    clock = Clock()
    item = review(None, "p", "s", Answer(clock.at, 0))
    for _ in range(10):
        item = review(item, "p", "s", Answer(clock.days(1), 0))
    assert item.ease == MIN_EASE
    raised = review(item, "p", "s", Answer(clock.days(1), 4))
    assert raised.ease == pytest.approx(MIN_EASE + 0.1) and raised.interval_days == 1


def test_a_pass_before_the_item_is_due_moves_nothing_but_the_last_level():
    clock = Clock()
    item = review(review(None, "p", "s", Answer(clock.at, 0)), "p", "s", Answer(clock.days(0.01), 1))  # lapse: due in a day
    early = review(item, "p", "s", Answer(clock.days(0.5), 4))
    assert (early.due_at, early.interval_days, early.ease, early.repetitions) == (item.due_at, 1, item.ease, 0)
    assert early.last_level == 4 and early.reviews == item.reviews + 1


def test_good_answers_in_a_row_take_the_item_off_and_a_poor_one_puts_it_back():
    clock = Clock()
    item = review(None, "p", "s", Answer(clock.at, 0))
    for n in range(GRADUATE_AFTER):
        assert item.active
        item = review(item, "p", "s", Answer(clock.days(item.interval_days), 3))
    assert not item.active and item.graduated_at == clock.at and not item.is_due(clock.days(365))
    assert next_due([item]) is None
    again = review(item, "p", "s", Answer(clock.days(1), 1))
    assert again.active and again.added_at == clock.at and again.ease == START_EASE and again.is_due(clock.at)
    # A level-2 pass breaks the run of good answers.
    item = review(None, "p", "s", Answer(clock.at, 0))
    for level in (3, 3, 2, 3, 3):
        item = review(item, "p", "s", Answer(clock.days(item.interval_days), level))
    assert item.active and item.streak == 2


def test_due_lists_the_most_overdue_first_and_replay_is_order_independent():
    clock = Clock()
    a = replay("coding", "testing", [Answer(clock.at, 0)])
    b = replay("leadership", "influence", [Answer(clock.at - 3 * DAY, 1)])
    c = replay("behavioral", "ownership", [Answer(clock.at + DAY, 0)])  # not due yet
    assert due([a, b, c], clock.at) == [b, a]
    assert next_due([a, c]) == a and next_due([c]) == c
    assert due([a, b, c], clock.days(2)) == [b, a, c]
    answers = [Answer(T0 + n * DAY, level, "s", n) for n, level in enumerate([0, 2, 3, 1, 4])]
    assert replay("p", "s", answers) == replay("p", "s", list(reversed(answers)))
    # Answers given at the same moment count in the order they were saved.
    assert replay("p", "s", [Answer(T0, 4, "b", 0, order=2), Answer(T0, 0, "a", 0, order=1)]).repetitions == 1
    assert replay("p", "s", [Answer(T0, 4, "b", 0, order=1), Answer(T0, 0, "a", 0, order=2)]).repetitions == 0

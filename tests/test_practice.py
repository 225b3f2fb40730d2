"""The weak-signal schedule kept with the sessions: written as answers are scored (once per turn),
filled by migration 5 from sessions saved before it, rebuilt after `forget`, and drills aimed at
what is due. Fast: the toy embedder, the fake backend and a scorer double whose levels the test sets
(the real scorer abstains on the toy embedder), on a clock the test controls."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

import pytest
from history_helpers import data_dir_with_index, run_session, settings_for

from coach.errors import UserInputError
from coach.history.exchange import export_history, import_history
from coach.history.forget import forget
from coach.practice.drill import Drill, due_list, next_due, plan
from coach.practice.schedule import DAY
from coach.root import Coach
from coach.session._migrations import LATEST
from coach.session.store import SessionStore
from coach.testing import FakeBackend, FakeScorer

T0 = 1_700_000_000.0


class Clock:
    def __init__(self):
        self.at = T0

    def __call__(self) -> float:
        return self.at


def level_of(answer: str) -> int | None:
    """'level 3: ...' scores every signal 3; anything else abstains."""
    return int(answer[6]) if answer.startswith("level ") else None


def make_coach(data, clock) -> Coach:
    settings = settings_for(data)
    c = Coach(settings, store=SessionStore(settings.sessions_db, clock=clock), backend=FakeBackend(lambda p, s: " And then?"))
    return c.with_parts(evidence_scorer=FakeScorer(level_of))


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def coach(fake_settings, tmp_path, clock) -> Coach:
    return make_coach(data_dir_with_index(fake_settings, tmp_path / "data"), clock)


def rows(coach: Coach) -> list[tuple]:
    with closing(sqlite3.connect(coach.settings.sessions_db)) as db:
        return db.execute("SELECT session_id, turn_idx, panel, signal, level, answered_at FROM signal_reviews "
                          "ORDER BY session_id, turn_idx, signal").fetchall()


def asked(session) -> list[tuple[int, str]]:
    return [(t.index, sid) for t in session.turns if t.answer is not None for sid in t.signals]


def test_each_answer_records_its_level_on_the_signals_its_turn_asked_about(coach):
    s = run_session(coach, ["level 1: vague", "level 3: better", "no level: abstains"], questions=2, followups=1)
    recorded = [(r[1], r[3], r[4]) for r in rows(coach)]
    expected = [(i, sid, lvl) for (i, sid), lvl in zip(asked(s), (1, 3))]  # the abstained answer adds nothing
    assert recorded == expected and len(asked(s)) == 3
    assert {r[2] for r in rows(coach)} == {"system-design"} and {r[5] for r in rows(coach)} == {T0}
    # Loading the session again, or many times, records nothing more.
    for _ in range(3):
        coach.load_session(s.id).summary()
    assert [(r[1], r[3], r[4]) for r in rows(coach)] == expected


def test_a_weak_signal_is_due_at_once_and_the_next_answers_move_it(coach, clock):
    s = run_session(coach, ["level 0: nothing"], questions=1, followups=0)
    [(_, target)] = asked(s)
    [entry] = due_list(coach)
    assert (entry.panel, entry.signal, entry.last_level, entry.interval_days, entry.due_at) == ("system-design", target, 0, 0, T0)
    assert entry.name == coach.panel("system-design").signal(target).name and entry.drillable

    drill = Drill.start(coach, n=3)
    assert drill.parts == [("system-design", [target])] and drill.questions == 1
    assert drill.current_prompt.question.provenance.signals == [target]
    drill.answer("level 4: strong")
    assert drill.finished and due_list(coach) == []
    upcoming = next_due(coach)
    assert (upcoming.signal, upcoming.interval_days, upcoming.due_at, upcoming.repetitions) == (target, 1, T0 + DAY, 1)
    with pytest.raises(UserInputError) as info:
        Drill.start(coach)
    assert "falls due in 1.0 days" in info.value.hint
    clock.at += DAY
    assert [e.signal for e in due_list(coach)] == [target]


def test_a_drill_asks_the_most_overdue_signals_across_panels(coach, clock):
    sd = run_session(coach, ["level 1: a"], questions=1, followups=0, seed=1)
    clock.at += 3600
    beh = run_session(coach, ["level 0: b", "level 0: c"], panel="behavioral", questions=2, followups=0, seed=2)
    clock.at += 3600
    sd2 = run_session(coach, ["level 1: d"], questions=1, followups=0, seed=5)
    order = [("system-design", asked(sd)[0][1]), *[("behavioral", sid) for _, sid in asked(beh)], ("system-design", asked(sd2)[0][1])]
    order = list(dict.fromkeys(order))
    assert [(e.panel, e.signal) for e in due_list(coach)] == order

    drill = Drill.start(coach, n=len(order))
    assert [(p, sid) for p, sids in drill.parts for sid in sids] == sorted(order, key=lambda x: x[0] != "system-design")
    targeted = []
    while not drill.finished:
        turn = drill.current_prompt
        targeted.append((turn.question.panel, *turn.question.provenance.signals))
        drill.answer("level 2: passable")
    assert sorted(targeted) == sorted(order) and len(drill.sessions) == 2
    assert all(s.config["targets"] and s.followups_per_question == 0 for s in drill.sessions)
    assert due_list(coach) == []
    later = due_list(coach, clock.at + DAY)  # one pass each, at the same moment: all due again in a day
    assert len(later) == len(order) and {e.interval_days for e in later} == {1}
    assert plan(later, 1) == [(later[0].panel, [later[0].signal])]


def test_asking_for_a_named_signal_and_an_unknown_one(coach):
    panel = coach.panel("leadership")
    for signal in panel.signals:
        assert coach.ask(panel, seed=4, target=signal.id).provenance.signals == [signal.id]
    with pytest.raises(UserInputError) as info:
        coach.ask(panel, target="capacity-math")
    assert panel.signals[0].id in info.value.hint
    with pytest.raises(UserInputError):
        coach.start_session(panel, targets=["no-such-signal"])


def test_migration_5_fills_the_schedule_from_sessions_saved_before_it(coach, clock):
    run_session(coach, ["level 1: a", "level 3: b", "level 0: c", "level 4: d"], questions=2, followups=1)
    run_session(coach, ["level 2: e", "no level"], panel="coding", questions=1, followups=1)
    written, schedule = rows(coach), coach.store.review_items()
    assert written and schedule
    path = coach.settings.sessions_db
    with closing(sqlite3.connect(path)) as db, db:  # the database as version 4 left it
        db.execute("DROP TABLE signal_reviews")
        db.execute("DELETE FROM schema_migrations WHERE version >= 5")  # the later ones re-run as no-ops
        db.execute("UPDATE turns SET scorecard = 'not json' WHERE idx = 3")  # a damaged row is skipped, not fatal
    reopened = make_coach(coach.settings.data_dir, clock)
    assert reopened.store.schema_version() == LATEST
    assert rows(reopened) == [r for r in written if r[1] != 3]


def test_import_records_the_schedule_once_and_forget_rebuilds_it_from_the_other_sessions(coach, fake_settings, tmp_path, clock):
    only_a = run_session(coach, ["level 0: a"], questions=1, followups=0, seed=1)
    [(_, x)] = asked(only_a)
    clock.at += 60
    b = coach.start_session("system-design", questions=2, followups=0, seed=2, targets=[x, coach.panel("system-design").signals[-1].id])
    b.answer("level 1: b")
    b.answer("level 0: c")
    y = b.turns[1].question.provenance.signals[0]
    assert [e.signal for e in due_list(coach)] == [y]  # x lapsed again: due in a day
    item_x = {i.signal: i for i in coach.store.review_items()}[x]
    assert item_x.sessions == (only_a.id, b.id) and item_x.lapses == 1

    other = make_coach(data_dir_with_index(fake_settings, tmp_path / "other"), clock)
    (tmp_path / "h.json").write_text(json.dumps(export_history(coach.store)))
    import_history(other.store, tmp_path / "h.json")
    import_history(other.store, tmp_path / "h.json")  # already saved: skipped, nothing counted twice
    assert rows(other) == rows(coach) and other.store.review_items() == coach.store.review_items()

    forget(coach, [only_a.id])
    items = {i.signal: i for i in coach.store.review_items()}
    assert {r[0] for r in rows(coach)} == {b.id}
    assert items[x].sessions == (b.id,) and items[x].lapses == 0 and items[x].added_at == T0 + 60  # replayed from b alone
    assert y in items
    forget(coach, [b.id])
    assert coach.store.review_items() == [] and rows(coach) == []


def test_a_drill_saves_the_answer_time_with_the_turn(fake_settings, tmp_path, clock, monkeypatch):
    from coach.web import common, practice

    local = make_coach(data_dir_with_index(fake_settings, tmp_path / "data"), clock)
    local.start_session("system-design", questions=2, followups=0, seed=6).answer("level 0: a")
    drill = Drill.start(local, 1, "staff")
    drill.answer("level 3: b", elapsed_s=61.0)
    assert local.load_session(drill.sessions[0].id).turns[0].elapsed_s == pytest.approx(61.0)

    clock.at += 2 * DAY
    monkeypatch.setattr(common, "COACH", local)
    state, *_, timer, shown_at = practice.start(1, "staff")
    assert "data-timer" in timer and shown_at > 0  # the tab counts the answer time
    state, *_, timer, _, box = practice.answer(state, "level 4: c", shown_at - 30)
    assert local.load_session(state["sessions"][0]).turns[0].elapsed_s == pytest.approx(30, abs=5)
    assert "Last answer took 0:3" in timer


def test_the_practice_tab_lists_what_is_due_and_drills_it(coach, clock, monkeypatch):
    from coach.web import common, practice

    monkeypatch.setattr(common, "COACH", coach)
    assert "No signal is on the review schedule yet" in practice.schedule()
    s = coach.start_session("system-design", questions=2, followups=0, seed=6)
    s.answer("level 0: a")
    clock.at += 60
    s.answer("level 1: b")
    names = [coach.panel("system-design").signal(sid).name for _, sid in asked(s)]
    table = practice.schedule()
    assert all(n in table for n in names) and table.index(names[0]) < table.index(names[1])

    state, chat, coverage, card, status, due, _, _ = practice.start(1, "staff")
    assert "Drill · 0 of 1 answered" in status and "part 1 of 1" in chat[0]["content"]
    assert coach.load_session(state["sessions"][0]).turns[0].question.provenance.signals == [asked(s)[0][1]]
    state, chat, coverage, card, status, due, _, _, box = practice.answer(state, "level 4: <img src=x onerror=alert(1)>")
    assert box == "" and "finished" in status and "end of the drill" in chat[-1]["content"]
    assert "&lt;img" in "".join(m["content"] for m in chat) and "<img" not in "".join(m["content"] for m in chat)
    assert names[1] in due and names[0] not in due  # passed: due again in a day
    with pytest.raises(Exception, match="finished"):
        practice.answer(state, "again")

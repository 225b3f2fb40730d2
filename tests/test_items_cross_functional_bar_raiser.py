"""The cross-functional and bar-raiser item banks: they load, cover every signal at every level with
stems and follow-up frames, every question they can compose reads as one clean question, their
constraint coding keeps combinations sensible, and they offer enough variety."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from coach.corpus.combinations import count_combinations
from coach.corpus.schema import LEVELS
from coach.interviewer._answer_text import say_back
from coach.interviewer._checks import surface_problem
from coach.interviewer._plan import choose_target
from coach.interviewer.compose import all_composed, compose
from coach.interviewer.followups import frames_for
from coach.seeding import rng

PANELS = ["cross-functional", "bar-raiser"]


@pytest.fixture(scope="module", params=PANELS)
def panel_bank(request, corpus):
    return request.param, corpus.panel(request.param), corpus.items[request.param]


@pytest.fixture(scope="module")
def questions(corpus):
    return {slug: list(all_composed(corpus.items[slug])) for slug in PANELS}


def _rng(slug: str, seed: int, level: str, signal: str = ""):
    return rng(seed, slug, "compose", level, signal)


def test_both_banks_load_with_their_panel(corpus):
    for slug in PANELS:
        assert f"items/{slug}.yaml" in corpus.file_hashes
        assert corpus.items[slug].panel == slug


def test_every_signal_has_three_stems_and_five_frames_at_every_level(corpus, panel_bank):
    slug, panel, bank = panel_bank
    stems = Counter((i.signal, level) for i in bank.items for level in i.levels)
    for signal in panel.signals:
        assert len([f for f in bank.frames if f.signal == signal.id]) >= 5, signal.id
        for level in LEVELS:
            assert stems[(signal.id, level)] >= 3, (slug, signal.id, level)
            assert count_combinations(bank, level, signal.id) >= 30, (slug, signal.id, level)
            frames = frames_for(panel, signal, bank, level)
            assert len(frames) >= 5 and all(f in bank.frames for f in frames), (slug, signal.id, level)
    # Every item names what grounds it and asks something itself, unless a probe slot carries the ask.
    assert all(i.sources and (i.asks or "probe" in i.slots.values()) for i in bank.items)


def test_every_element_can_be_asked(panel_bank, questions):
    slug, _, bank = panel_bank
    used = {path for q in questions[slug] for path in q.elements.values()}
    assert {path for path, _, _ in bank.walk()} - used == set()


def test_nested_elements_carry_every_part_their_type_has(panel_bank):
    """A proposal without options, or a system without symptoms, would silently drop out of the
    items that need that part: every element of a type offers the same parts."""
    slug, _, bank = panel_bank
    for kind, pool in bank.elements.items():
        parts = {frozenset(e.parts) for e in pool}
        assert len(parts) == 1, (slug, kind, sorted(map(sorted, parts)))


def test_every_question_passes_the_surface_checks(panel_bank, questions):
    slug, _, _ = panel_bank
    every = questions[slug]
    problems = [(q.key, surface_problem(q.text)) for q in every if surface_problem(q.text)]
    assert problems == []
    for q in every:
        assert q.text.endswith("?") and not q.text.endswith("??") and q.text[0].isupper(), q.key
        assert "  " not in q.text and " ," not in q.text and not re.search(r"[.?!] [a-z]", q.text), q.key
        assert not re.search(r"\b(a|an) (a|an|the)\b", q.text, re.IGNORECASE), q.key
        assert 1 <= len(q.asks) <= 3 and q.sources, q.key


def test_questions_stay_short_enough_to_say_aloud(panel_bank, questions):
    slug, _, _ = panel_bank
    lengths = [len(q.text.split()) for q in questions[slug]]
    assert max(lengths) <= 55, slug
    assert sum(lengths) / len(lengths) <= 42, slug


def test_frames_are_one_standalone_question_that_fits_after_a_said_back_point(panel_bank):
    slug, panel, bank = panel_bank
    texts = [f.text for f in bank.frames]
    assert len(set(texts)) == len(texts)
    tagged = {f.text for f in panel.follow_ups}
    for frame in bank.frames:
        assert frame.text not in tagged, frame.id  # a frame is not a copy of a panel follow-up
        assert not re.search(r"\d", frame.text), frame.id  # numbers belong to one story, not any answer
        assert surface_problem(frame.text, 6) is None, frame.id
        composed = f"{say_back('your team moved the launch back by two weeks')} {frame.text}"
        assert surface_problem(composed, 6, 60) is None, (frame.id, composed)


def test_principal_only_elements_never_reach_senior(panel_bank, questions):
    slug, _, bank = panel_bank
    principal_only = {path for path, _, e in bank.walk() if e.levels == ["principal"]}
    senior_only = {path for path, _, e in bank.walk() if e.levels == ["senior"]}
    assert principal_only and senior_only
    by_level = {level: {p for q in questions[slug] if q.level == level for p in q.elements.values()} for level in LEVELS}
    assert not principal_only & by_level["senior"] and not senior_only & by_level["principal"]
    assert principal_only <= by_level["principal"] and senior_only <= by_level["senior"]


def test_story_questions_only_take_stories_that_suit_their_ask(panel_bank, questions):
    slug, _, bank = panel_bank
    items = {i.id: i for i in bank.items}
    tags = {e.id: set(e.tags) for e in bank.elements["story"]}
    for q in questions[slug]:
        if "story" not in q.elements:
            continue
        for entry in items[q.item_id].requires:
            slot, _, tag = entry.rpartition(":")
            if slot == "story":
                assert tag in tags[q.elements["story"]], (q.key, tag)


def test_cross_functional_constraints_hold(corpus, questions):
    bank = corpus.items["cross-functional"]
    every = questions["cross-functional"]
    five_minutes = [q for q in every if q.item_id == "xf-biz-staff-five-minutes"]
    assert five_minutes
    business = {path for path, kind, e in bank.walk() if kind == "decider" and "business" in e.tags}
    assert {q.elements["decider"] for q in five_minutes} <= business
    honest = [q for q in every if q.item_id == "xf-scope-staff-honest"]
    dated = {e.id for e in bank.elements["crunch"] if "date" in e.tags}
    assert honest and {q.elements["crunch"] for q in honest} <= dated
    assert not any(q.item_id == "xf-risk-story-accepted" and q.elements["story"] == "accepted-risk" for q in every)
    outage = [q for q in every if q.elements.get("pressure") == "outage"]
    dependents = {e.id for e in bank.elements["proposal"] if "dependency" in e.tags}
    assert outage and {q.elements["proposal"] for q in outage} <= dependents
    # nobody is asked to fund leave to do something ("an exception to the mandate")
    exceptions = {e.id for e in bank.elements["proposal"] if "exception" in e.tags}
    funded = [q for q in every if q.item_id == "xf-biz-fund"]
    assert funded and not {q.elements["proposal"] for q in funded} & exceptions
    crunch_pressures = {q.elements["pressure"] for q in every if "crunch" in q.elements and "pressure" in q.elements}
    assert crunch_pressures <= {e.id for e in bank.elements["pressure"] if "general" in e.tags}


def test_bar_raiser_constraints_hold(corpus, questions):
    bank = corpus.items["bar-raiser"]
    every = questions["bar-raiser"]
    promised = [q for q in every if q.elements.get("pressure") == "promised-date"]
    dated = {e.id for e in bank.elements["dilemma"] if "dated" in e.tags}
    assert promised and {q.elements["dilemma"] for q in promised} <= dated
    not_yours = [q for q in every if q.item_id == "br-cust-not-yours"]
    yours = {e.id for e in bank.elements["discovery"] if "yours" in e.tags}
    assert not_yours and not {q.elements["discovery"] for q in not_yours} & yours
    long_term = {e.id for e in bank.elements["dilemma"] if "long-term" in e.tags}
    for item in ("br-long-dilemma", "br-long-principal-paths"):
        picked = {q.elements["dilemma"] for q in every if q.item_id == item}
        assert picked and picked <= long_term, item
    assert not any(q.item_id == "br-bar-principal-leave" and q.elements["story"] == "outlived-standard" for q in every)
    # "the call that led here was your manager's" needs a call someone already made
    prior = {e.id for kind in ("dilemma", "discovery") for e in bank.elements[kind] if "prior-call" in e.tags}
    manager = [q for q in every if q.elements.get("pressure") == "your-manager"]
    assert manager and {q.elements.get("dilemma") or q.elements.get("discovery") for q in manager} <= prior
    # "your team is already two weeks behind" only presses on a call with a date at stake
    behind = [q for q in every if q.elements.get("pressure") == "behind"]
    assert behind and {q.elements["dilemma"] for q in behind} <= dated


@pytest.mark.parametrize("slug", PANELS)
def test_stems_bolt_on_no_context_their_asks_ignore(corpus, slug):
    """A pressure or a preferred kind of story tacked on with "The catch is that", "Worse," or
    "ideally one ..." reads as a clause the question never uses: a stem that takes a pressure works
    it into the ask ("Given that ..., who do you talk to", "Does that change ...")."""
    bank = corpus.items[slug]
    bolted = re.compile(r"\b(the catch is that|worse,|ideally|especially if|preferably)\b", re.IGNORECASE)
    assert [i.id for i in bank.items if bolted.search(i.stem)] == []
    for item in bank.items:
        if "pressure" in item.slots.values():
            assert re.search(r"(given that|knowing that|change|risk|still|weight)", item.stem, re.IGNORECASE), item.id


@pytest.mark.parametrize("slug", PANELS)
def test_no_ask_restates_what_the_stem_already_asks_for(corpus, slug):
    """"You want the go-ahead for X ... what exactly is your ask?" answers itself."""
    every = list(all_composed(corpus.items[slug]))
    wants = re.compile(r"\b(go-ahead|to fund|need a yes)\b", re.IGNORECASE)
    asks = re.compile(r"\bwhat (exactly )?(is your ask|do you ask for)\b", re.IGNORECASE)
    assert [q.key for q in every if wants.search(q.text) and asks.search(q.text)] == []


def test_composition_is_seeded_and_reproducible(corpus):
    for slug in PANELS:
        bank = corpus.items[slug]
        signal = corpus.panel(slug).signals[0].id
        a = compose(bank, signal, "staff", _rng(slug, 3, "staff"))
        assert a == compose(bank, signal, "staff", _rng(slug, 3, "staff"))
        assert len({compose(bank, signal, "staff", _rng(slug, s, "staff")).text for s in range(1, 6)}) > 1


def test_variety(corpus, questions):
    for slug in PANELS:
        bank, panel, every = corpus.items[slug], corpus.panel(slug), questions[slug]
        assert len({q.text for q in every}) >= 300, slug
        assert count_combinations(bank) == len(every)
        for level in LEVELS:
            # A session's first question: the planner draws the signal from the seed, then composes.
            firsts = [compose(bank, choose_target(panel, None, None, s, None).id, level, _rng(slug, s, level)) for s in range(1, 21)]
            assert len({q.text for q in firsts}) >= 19, (slug, level)
            assert len({q.item_id for q in firsts}) >= 12, (slug, level)
            # Within one signal the pools are smaller; a floor still catches one that collapses.
            for signal in panel.signals:
                texts = {compose(bank, signal.id, level, _rng(slug, s, level, signal.id)).text for s in range(1, 21)}
                assert len(texts) >= 15, (slug, signal.id, level, len(texts))

"""The story banks of the Behavioral and Leadership panels: they load, cover every signal at every
level with varied stems and enough follow-up frames, every reachable question reads as one spoken
question, the constraint coding keeps stories and probes that contradict each other apart, and there
is enough variety. The checks are helpers, so the last tests can show each one catching a broken bank."""

from __future__ import annotations

import re
import statistics
from collections import Counter

import pytest
import yaml

from coach.corpus.combinations import count_combinations
from coach.corpus.items import ItemBank
from coach.corpus.loader import load_corpus
from coach.corpus.schema import LEVELS, Panel
from coach.interviewer._checks import surface_problem, words
from coach.interviewer._plan import choose_target
from coach.interviewer.compose import Composed, all_composed, compose
from coach.interviewer.followups import MAX_WORDS, MIN_WORDS, frames_for
from coach.seeding import rng

PANELS = ["behavioral", "leadership"]
SAID_BACK = "You mentioned that you ran the pilot on checkout first. "


def opening(stem: str) -> str:
    """How a stem opens, in its first two words: "tell me", "walk me", "think of", "when did", "pick"."""
    first = stem.lower().split()[:2]
    return " ".join(w for w in first if not w.startswith("{"))


@pytest.fixture(scope="module", params=PANELS)
def panel_bank(request, corpus) -> tuple[Panel, ItemBank]:
    return corpus.panel(request.param), corpus.items[request.param]


@pytest.fixture(scope="module")
def questions(corpus) -> dict[str, list[Composed]]:
    return {slug: list(all_composed(corpus.items[slug])) for slug in PANELS}


def _rng(slug: str, seed: int, level: str, signal: str = ""):
    return rng(seed, slug, "compose", level, signal)


# --- the checks, as helpers that name what is wrong ----------------------------------------------


def coverage_gaps(panel: Panel, bank: ItemBank, stems: int = 3, frames: int = 5) -> list[str]:
    """Signals and levels with fewer than `stems` item models or `frames` follow-up frames."""
    gaps = []
    for signal in panel.signals:
        for level in LEVELS:
            n_items = len(bank.items_for(signal.id, level))
            n_frames = len([f for f in bank.frames if f.signal == signal.id and (f.levels is None or level in f.levels)])
            if n_items < stems:
                gaps.append(f"{signal.id}@{level}: {n_items} item models")
            if n_frames < frames:
                gaps.append(f"{signal.id}@{level}: {n_frames} frames")
    return gaps


def surface_failures(qs: list[Composed]) -> list[tuple[str, str]]:
    """Questions that fail the checks every shown question passes, or do not read as one question."""
    bad = []
    for q in qs:
        problem = surface_problem(q.text)
        if not problem and (q.text.endswith("??") or "  " in q.text or " ," in q.text or re.search(r"[.?!] [a-z]", q.text)):
            problem = "spacing or capitalisation"
        if not problem and not (1 <= len(q.asks) <= 3 and q.sources):
            problem = "asks or sources"
        if problem:
            bad.append((q.key, problem))
    return bad


def _tags(bank: ItemBank) -> dict[str, set[str]]:
    return {path: set(element.tags) for path, _, element in bank.walk()}


def contradictions(bank: ItemBank, qs: list[Composed]) -> list[str]:
    """Combinations a skilled interviewer would not put together, whatever the tags say today:
    - a "which decision was yours alone" probe on a story about someone else's decision;
    - a reorg that handed the work to new owners in a story of the candidate's own mistake (they
      kept going), of growing people, or of an incident;
    - a pressure followed by an ask that is not one of its own (the ask must engage the pressure);
    - an element of one level's scope in a question of another (a team-scope story or pressure at
      staff or principal, an organisation-wide one at senior, an element tagged for other levels);
    - at principal, an open-scope story ("a migration you led") without the part that widens it."""
    tags = _tags(bank)
    levels = {path: element.levels for path, _, element in bank.walk()}
    out = []
    for q in qs:
        chosen = set().union(*(tags[p] for p in q.elements.values()))
        if q.elements.get("probe") == "yours-alone" and "others-call" in chosen:
            out.append(f"{q.key}: 'yours alone' asked about someone else's call")
        if q.elements.get("pressure") == "reorg" and chosen & {"mistake", "people", "incident"}:
            out.append(f"{q.key}: a reorg that handed the work on, in a story the candidate could not have handed on")
        ask = q.elements.get("ask")
        if ask and ask.partition("/")[0] != q.elements.get("pressure"):
            out.append(f"{q.key}: an ask that does not engage the pressure it follows")
        for path in q.elements.values():
            if levels[path] is not None and q.level not in levels[path]:
                out.append(f"{q.key}: {path} is not for {q.level}")
            if "team-scope" in tags[path] and q.level != "senior":
                out.append(f"{q.key}: team-scope {path} at {q.level}")
            if "org-scope" in tags[path] and q.level == "senior":
                out.append(f"{q.key}: organisation-scope {path} at senior")
        situation = q.elements.get("situation")
        if q.level == "principal" and situation and "open-scope" in tags[situation] and "scope" not in q.elements:
            out.append(f"{q.key}: open-scope {situation} at principal without a scope part")
    return out


def first_questions(panel: Panel, bank: ItemBank, level: str, seeds=range(1, 21)) -> list[Composed]:
    """A session's first question per seed: the planner draws the signal from the seed, then composes."""
    return [compose(bank, choose_target(panel, None, None, s, None).id, level, _rng(panel.slug, s, level)) for s in seeds]


# --- the shipped banks ---------------------------------------------------------------------------


def test_both_banks_load_and_cover_every_signal_at_every_level(corpus, panel_bank):
    panel, bank = panel_bank
    assert f"items/{panel.slug}.yaml" in corpus.file_hashes
    assert coverage_gaps(panel, bank) == []
    assert {i.signal for i in bank.items} == {s.id for s in panel.signals}
    assert all(i.sources and 1 <= len(i.asks) + (1 if {"probe", "ask"} & set(i.slots) else 0) for i in bank.items)


def test_stems_are_varied_in_shape_at_every_level(panel_bank):
    _, bank = panel_bank
    for level in LEVELS:
        openings = Counter(opening(i.stem) for i in bank.items if level in i.levels)
        assert len(openings) >= 4, (level, openings)
        assert openings.most_common(1)[0][1] <= 0.5 * sum(openings.values()), (level, openings)


def test_every_element_can_be_asked(panel_bank, questions):
    panel, bank = panel_bank
    used = {path for q in questions[panel.slug] for path in q.elements.values()}
    assert {path for path, _, _ in bank.walk()} - used == set()


def test_every_question_passes_the_surface_checks_at_a_spoken_length(panel_bank, questions):
    panel, _ = panel_bank
    qs = questions[panel.slug]
    assert surface_failures(qs) == []
    lengths = [len(words(q.text)) for q in qs]
    assert max(lengths) <= 50 and 20 <= statistics.median(lengths) <= 45


def test_no_question_puts_contradicting_elements_together(panel_bank, questions):
    panel, bank = panel_bank
    qs = questions[panel.slug]
    assert contradictions(bank, qs) == []
    # The guards above are not vacuous: the banks do hold what they keep apart.
    tags = _tags(bank)
    assert any("others-call" in tags[p] for p in tags) and any("open-scope" in tags[p] for p in tags)
    at = {level: {p for q in qs if q.level == level for p in q.elements.values()} for level in LEVELS}
    assert any("team-scope" in tags[p] for p in at["senior"]) and any("org-scope" in tags[p] for p in at["principal"])


def test_frames_fit_after_a_said_back_point_and_alone(panel_bank):
    panel, bank = panel_bank
    own = {f.text.lower() for f in panel.follow_ups}
    for signal in panel.signals:
        for level in LEVELS:
            frames = frames_for(panel, signal, bank, level)
            assert len(frames) >= 5 and all(f.signal == signal.id for f in frames), (signal.id, level)
    for f in bank.frames:
        assert surface_problem(f.text, MIN_WORDS, MAX_WORDS) is None, f.id
        assert surface_problem(SAID_BACK + f.text, MIN_WORDS, MAX_WORDS) is None, f.id
        assert f.text.lower() not in own, f"{f.id} copies a tagged follow-up"
        assert len(words(f.text)) <= 22, f.id


def test_composition_is_seeded_and_reproducible(panel_bank):
    panel, bank = panel_bank
    signal = panel.signals[0].id
    a = compose(bank, signal, "staff", _rng(panel.slug, 3, "staff"))
    assert a == compose(bank, signal, "staff", _rng(panel.slug, 3, "staff"))
    assert a.signal == signal and a.level == "staff"
    assert len({compose(bank, signal, "staff", _rng(panel.slug, s, "staff")).text for s in range(1, 6)}) > 1


def test_variety(panel_bank, questions):
    panel, bank = panel_bank
    qs = questions[panel.slug]
    assert len({q.text for q in qs}) >= 300
    assert count_combinations(bank) == len(qs)
    for level in LEVELS:
        assert len({q.text for q in qs if q.level == level}) >= 150, level
        firsts = first_questions(panel, bank, level)
        assert len({q.text for q in firsts}) >= 19, level
        assert len({q.item_id for q in firsts}) >= 12, level
        # Within one signal the pools are smaller; a floor still catches one that collapses.
        for signal in panel.signals:
            texts = {compose(bank, signal.id, level, _rng(panel.slug, s, level, signal.id)).text for s in range(1, 21)}
            assert len(texts) >= 15, (signal.id, level, len(texts))


# --- each check catches a broken bank ------------------------------------------------------------


def _broken(corpus_copy, slug: str, change) -> tuple[Panel, ItemBank]:
    path = corpus_copy / "items" / f"{slug}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False))
    corpus = load_corpus(corpus_copy)
    return corpus.panel(slug), corpus.items[slug]


def _element(data: dict, kind: str, eid: str) -> dict:
    return next(e for e in data["elements"][kind] if e["id"] == eid)


def test_missing_frames_and_stems_are_caught(corpus_copy):
    def drop(d):
        d["frames"] = [f for f in d["frames"] if f["signal"] != "hard-calls"][:-2]
        d["items"] = [i for i in d["items"] if not (i["signal"] == "quality-bar" and i["id"] != "lead-bar-when-last"
                                                     and "senior" in i["levels"] and "principal" not in i["levels"])]

    panel, bank = _broken(corpus_copy, "leadership", drop)
    gaps = coverage_gaps(panel, bank)
    assert any(g.startswith("hard-calls@senior: 0 frames") for g in gaps)
    assert any(g.startswith("quality-bar@senior") and "item models" in g for g in gaps)


def test_a_clumsy_element_is_caught_by_the_surface_checks(corpus_copy):
    panel, bank = _broken(corpus_copy, "behavioral", lambda d: _element(d, "pressure", "reorg").update(
        text="a reorg reorg handed the work to new owners halfway through"))
    bad = surface_failures(list(all_composed(bank)))
    assert bad and all("reorg" in key for key, _ in bad) and {p for _, p in bad} == {"repeated word 'reorg'"}


def test_a_lost_exclusion_is_caught(corpus_copy):
    def loosen(d):
        reorg = _element(d, "pressure", "reorg")
        reorg.pop("excludes"), reorg.pop("requires")

    panel, bank = _broken(corpus_copy, "behavioral", loosen)
    found = contradictions(bank, list(all_composed(bank)))
    assert found and all("reorg" in f for f in found)
    assert any("kept-going" in f for f in found)  # "you kept executing a plan" after it was handed on


def test_pressure_questions_ask_about_the_pressure(panel_bank, questions):
    """A pressure ("especially if ...") is only composed with an ask written for it, never a generic probe."""
    panel, bank = panel_bank
    with_pressure = [q for q in questions[panel.slug] if "pressure" in q.elements]
    assert with_pressure and all("ask" in q.elements and "probe" not in q.elements for q in with_pressure)
    assert all("ideally one {scope}" not in i.stem for i in bank.items)
    # Its asks presume the pressure, so a hedge ("ideally one where", "especially if") would splice two questions.
    assert not [i.id for i in bank.items if re.search(r"(ideally|preferably|especially)\b[^.?]*\{pressure\}", i.stem)]


def test_an_element_at_the_wrong_scope_is_caught(corpus_copy):
    def widen(d):
        _element(d, "situation", "team-plan")["levels"] = ["senior", "staff"]  # a team's plan asked of staff
        d["items"].append({"id": "lead-vis-principal-bare", "signal": "technical-vision", "levels": ["principal"],
                           "stem": "Tell me about {situation}. What did it change?", "slots": {"situation": "situation"},
                           "asks": ["what it changed"], "sources": ["section:11"]})  # "a roadmap you wrote", unwidened

    panel, bank = _broken(corpus_copy, "leadership", widen)
    found = contradictions(bank, list(all_composed(bank)))
    assert any("team-scope team-plan at staff" in f for f in found)
    assert any("lead-vis-principal-bare" in f and "without a scope part" in f for f in found)


def test_a_collapsed_pool_fails_the_variety_floor(corpus_copy):
    def shrink(d):
        d["items"] = [i for i in d["items"] if i["signal"] != "org-outcomes" or "senior" not in i["levels"]
                      or i["id"] == "lead-out-senior-baseline"]
        baseline = next(i for i in d["items"] if i["id"] == "lead-out-senior-baseline")
        baseline["requires"] = ["situation:vision", "situation:team-scope", "situation:measurable"]

    panel, bank = _broken(corpus_copy, "leadership", shrink)
    texts = {compose(bank, "org-outcomes", "senior", _rng(panel.slug, s, "senior", "org-outcomes")).text for s in range(1, 21)}
    assert 1 <= len(texts) < 15


@pytest.mark.parametrize("slug, item_id, kind, tag", [
    # "Walk me through a time you coached a tech lead on another team ... Where did you take on
    # something nobody had asked you to own?": a story of growing someone is about them owning more.
    ("behavioral", "beh-own-staff-unasked", "situation", "people"),
    # "The catch is that nothing may take it offline ... What do you leave out of version one?": the
    # constraint gives the cut nothing to work with.
    ("system-design", "sd-ops-staff-version-one", "constraint", "availability"),
    # "Suppose it has been running for two years without a restart. What does your code do, step by step?"
    ("coding", "cod-edge-twist", "twist", "pressure"),
    ("coding", "cod-edge-principal-observed", "twist", "pressure"),
    # "The catch is that every change has to be auditable for seven years. What is your two-year plan?"
    ("system-design", "sd-ops-principal-plan", "constraint", "compliance"),
])
def test_an_ask_is_never_paired_with_a_setup_it_does_not_use(corpus, slug, item_id, kind, tag):
    bank = corpus.items[slug]
    tags = {path: set(e.tags) for path, _, e in bank.walk()}
    slot = kind.split("/")[-1]
    composed = [q for q in all_composed(bank) if q.item_id == item_id]
    assert composed
    assert not any(tag in tags[q.elements[slot]] for q in composed)


def test_an_act_that_built_a_check_is_not_asked_what_check_came_out_of_it(corpus):
    # "When did you last turn a postmortem action into a check ...? What check or habit came out of it?"
    pairs = {(q.elements["act"], q.elements["probe"]) for q in all_composed(corpus.items["behavioral"])
             if q.item_id == "beh-grow-when-last"}
    assert pairs and ("postmortem-check", "became-mechanism") not in pairs


def test_a_symptom_that_follows_a_change_is_not_offered_a_quick_fix_against_a_real_one(corpus):
    # "... p95 jumps right after a routine deploy. A quick fix takes a day, the real one a month.
    # Which do you ship?": rolling the change back is the answer.
    texts = [q.text for q in all_composed(corpus.items["bar-raiser"]) if q.item_id == "br-long-quick-fix"]
    assert texts and not any(re.search(r"\bafter a (?:routine deploy|ranking change|shared library upgrade)", t) for t in texts)


def test_a_deploy_that_caused_the_slowdown_is_not_asked_which_component_feels_it_first(corpus):
    texts = [q.text for q in all_composed(corpus.items["architecture-deep-dive"]) if "feels it first" in q.text]
    assert texts and not any("routine deploy" in t for t in texts)

"""Item models and the composer: the shipped banks validate, constraints hold, composition is
seeded, every reachable question passes the surface checks, and there is enough variety."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import yaml

from coach.corpus.combinations import count_combinations, valid_combinations
from coach.corpus.items import ItemBank
from coach.corpus.loader import load_corpus
from coach.corpus.schema import LEVELS
from coach.errors import CorpusError, UserInputError
from coach.interviewer._checks import surface_problem
from coach.interviewer._plan import choose_target
from coach.interviewer.compose import all_composed, compose, render
from coach.seeding import rng

PANEL = "system-design"


@pytest.fixture(scope="module")
def bank(corpus) -> ItemBank:
    return corpus.items[PANEL]


@pytest.fixture(scope="module")
def every_question(bank):
    return list(all_composed(bank))


def _rng(seed: int, level: str, signal: str = ""):
    return rng(seed, PANEL, "compose", level, signal)


def test_the_system_design_bank_loads_and_covers_every_signal_at_every_level(corpus, bank):
    assert "items/system-design.yaml" in corpus.file_hashes
    per = Counter((i.signal, level) for i in bank.items for level in i.levels)
    for signal in corpus.panel(PANEL).signals:
        for level in LEVELS:
            assert per[(signal.id, level)] >= 2, (signal.id, level)
    assert all(i.sources for i in bank.items)


def test_every_element_can_be_asked(bank, every_question):
    used = {path for q in every_question for path in q.elements.values()}
    assert {path for path, _, _ in bank.walk()} - used == set()


def test_every_question_passes_the_surface_checks_and_reads_as_one_sentence_set(every_question):
    problems = [(q.key, surface_problem(q.text)) for q in every_question if surface_problem(q.text)]
    assert problems == []
    for q in every_question:
        assert q.text.endswith("?") and not q.text.endswith("??") and q.text[0].isupper()
        assert "  " not in q.text and " ," not in q.text and not re.search(r"[.?!] [a-z]", q.text)
        assert 1 <= len(q.asks) <= 3 and q.sources


def test_a_twist_that_needs_money_only_meets_scenarios_that_handle_money(bank, every_question):
    money = {e.id for e in bank.elements["scenario"] if "money" in e.tags}
    assert money and money != {e.id for e in bank.elements["scenario"]}
    charged = [q for q in every_question if q.elements.get("twist") == "charge-once"]
    assert charged
    assert {q.elements["scenario"] for q in charged} <= money


def test_principal_only_elements_never_reach_senior(bank, every_question):
    principal_only = {path for path, _, e in bank.walk() if e.levels == ["principal"]}
    assert {"business-units", "five-teams", "checkout/three-regions"} <= principal_only
    reached = {p for q in every_question if q.level != "principal" for p in q.elements.values()}
    assert not principal_only & reached
    assert principal_only & {p for q in every_question if q.level == "principal" for p in q.elements.values()}


def test_composition_is_seeded_and_reproducible(bank):
    a = compose(bank, "capacity-math", "staff", _rng(3, "staff"))
    b = compose(bank, "capacity-math", "staff", _rng(3, "staff"))
    assert a == b
    assert a.signal == "capacity-math" and a.level == "staff" and a.item_id.startswith("sd-cap")
    assert len({compose(bank, "capacity-math", "staff", _rng(s, "staff")).text for s in range(1, 6)}) > 1


def test_variety(corpus, bank, every_question):
    assert len({q.text for q in every_question}) >= 300
    assert count_combinations(bank) == len(every_question)
    panel = corpus.panel(PANEL)
    for level in LEVELS:
        # A session's first question: the planner draws the signal from the seed, then composes.
        firsts = [compose(bank, choose_target(panel, None, None, s, None).id, level, _rng(s, level)) for s in range(1, 21)]
        assert len({q.text for q in firsts}) >= 19, level
        assert len({q.elements["scenario"] for q in firsts}) >= 10, level
        # Within one signal the pools are smaller; a floor still catches one that collapses.
        for signal in {s.id for s in panel.signals}:
            texts = {compose(bank, signal, level, _rng(s, level, signal)).text for s in range(1, 21)}
            assert len(texts) >= 17, (signal, level, len(texts))


def test_avoided_questions_and_elements_are_not_asked_again(bank):
    first = compose(bank, "resilience", "senior", _rng(1, "senior"))
    again = compose(bank, "resilience", "senior", _rng(1, "senior"), avoid={first.text.upper()})
    assert again.text != first.text
    scenario = first.elements["scenario"]
    for seed in range(1, 15):
        q = compose(bank, "resilience", "senior", _rng(seed, "senior"), avoid={scenario, first.item_id})
        assert q.elements["scenario"] != scenario and q.item_id != first.item_id


def test_exhaustion_is_a_clear_error(bank):
    every = {q.text for q in all_composed(bank, level="principal", signal="data-consistency")}
    assert every
    with pytest.raises(UserInputError) as err:
        compose(bank, "data-consistency", "principal", _rng(1, "principal"), avoid=every)
    assert "data-consistency" in str(err.value) and "principal" in str(err.value) and "avoided" in str(err.value)
    with pytest.raises(UserInputError, match="capacity-math"):
        compose(bank, "capacity", "staff", _rng(1, "staff"))


def test_rank_prefers_the_callers_elements(bank):
    def rank(kind, element):
        return 1.0 if element.id == "ledger" else 0.0

    picks = {compose(bank, "data-consistency", "staff", _rng(s, "staff"), rank=rank).elements["scenario"] for s in range(1, 8)}
    assert picks == {"ledger"}


def test_render_spaces_capitalises_and_ends_with_one_question_mark():
    text = render("{a} ,  then {b}. {c}?", {"a": "you own it", "b": "it fails", "c": "what now"})
    assert text == "You own it, then it fails. What now?"
    assert render("{a}.", {"a": "why"}) == "Why?"


# --- malformed banks name file and field --------------------------------------------------------


def _edit(corpus_copy, change):
    path = corpus_copy / "items" / f"{PANEL}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False))
    with pytest.raises(CorpusError) as err:
        load_corpus(corpus_copy)
    return str(err.value)


def test_unknown_field_is_named(corpus_copy):
    msg = _edit(corpus_copy, lambda d: d["items"][0].update(stems="x"))
    assert "system-design.yaml" in msg and f"items[{'sd-req-senior-ask-first'}].stems" in msg


def test_undeclared_slot_is_named(corpus_copy):
    msg = _edit(corpus_copy, lambda d: d["items"][0].update(stem=d["items"][0]["stem"] + " {twist}"))
    assert "system-design.yaml" in msg and "{twist}" in msg and "slots" in msg


def test_unknown_signal_is_named(corpus_copy):
    msg = _edit(corpus_copy, lambda d: d["items"][1].update(signal="charisma"))
    assert "system-design.yaml" in msg and "sd-req-senior-journey].signal" in msg and "charisma" in msg


@pytest.mark.parametrize("source", ["section:21", "case:no-such-case", "chapter 3"])
def test_unknown_source_is_named(corpus_copy, source):
    msg = _edit(corpus_copy, lambda d: d["elements"]["twist"][0]["sources"].append(source))
    assert "system-design.yaml" in msg and "elements.twist[region-loss].sources" in msg and source in msg


def test_a_typo_in_a_required_tag_is_named(corpus_copy):
    msg = _edit(corpus_copy, lambda d: d["elements"]["twist"][0].update(requires=["mony"]))
    assert "system-design.yaml" in msg and "'mony'" in msg and "region-loss" in msg


def test_a_signal_without_principal_items_is_an_error(corpus_copy):
    def drop(d):
        d["items"] = [i for i in d["items"] if not (i["signal"] == "operability" and "principal" in i["levels"])]

    msg = _edit(corpus_copy, drop)
    assert "operability" in msg and "principal" in msg


def test_an_item_with_no_valid_combination_is_an_error(corpus_copy):
    msg = _edit(corpus_copy, lambda d: d["items"][0].update(requires=["scenario:pipeline", "scenario:cacheable"]))
    assert "sd-req-senior-ask-first" in msg and "no valid combination" in msg and "senior" in msg


def test_unknown_item_file_is_named(corpus_copy):
    (corpus_copy / "items" / "hiring-manager.yaml").write_text("panel: hiring-manager\n")
    with pytest.raises(CorpusError, match="hiring-manager.yaml"):
        load_corpus(corpus_copy)


def test_the_corpus_loads_without_item_files(corpus_copy):
    for path in (corpus_copy / "items").glob("*.yaml"):
        path.unlink()
    (corpus_copy / "items").rmdir()
    corpus = load_corpus(corpus_copy)
    assert corpus.items == {} and not any(k.startswith("items/") for k in corpus.file_hashes)


# --- constraint coding on a bank small enough to count by hand ---------------------------------

TOY = {
    "panel": "system-design",
    "elements": {
        "scenario": [
            {"id": "wallet", "text": "the ledger behind a wallet", "tags": ["money", "writes"], "sources": ["section:7"],
             "parts": {"scale": [{"id": "small", "text": "records 300 changes a second"},
                                 {"id": "huge", "text": "records 9,000 changes a second", "levels": ["principal"]}]}},
            {"id": "cache", "text": "a read-only cache of product pages", "tags": ["read-only"], "sources": ["section:2"],
             "parts": {"scale": [{"id": "busy", "text": "serves 20k reads a second"}]}},
        ],
        "twist": [
            {"id": "charge-once", "text": "nobody may be charged twice", "requires": ["money", "writes"],
             "excludes": ["read-only"], "sources": ["section:7"]},
            {"id": "surge", "text": "traffic triples in an hour", "sources": ["section:2"]},
        ],
    },
    "items": [
        {"id": "toy", "signal": "capacity-math", "levels": ["senior", "principal"],
         "stem": "You own {scenario}, which {scale}. Now {twist}. What do you change first?",
         "slots": {"scenario": "scenario", "scale": "scenario.scale", "twist": "twist"}, "asks": ["what to change first"]},
    ],
}  # fmt: skip


def test_toy_bank_counts_exactly_the_valid_combinations():
    toy = ItemBank.model_validate(TOY)
    keys = {c.key for c in valid_combinations(toy, level="senior")}
    assert keys == {
        "toy|scenario=wallet,scale=wallet/small,twist=charge-once",
        "toy|scenario=wallet,scale=wallet/small,twist=surge",
        "toy|scenario=cache,scale=cache/busy,twist=surge",
    }
    assert count_combinations(toy, level="principal") == 5

"""Element pairs that must never meet in one composed question, found by spot checks of random
draws: each is a setup the ask does not use, an ask that presumes what the setup did not say, or
a story that repeats or contradicts the ask. Every combination the bank can compose is read, so a
tag lost in an edit brings the pair back and fails here."""

from __future__ import annotations

import pytest

from coach.interviewer.compose import all_composed

# (panel, item or "*", {slot: element id, ...}): no question of that item holds all of those elements.
NEVER = [
    # "When did you last turn a postmortem action into a check ...? What check or habit came out of it?"
    ("behavioral", "beh-grow-when-last", {"act": "postmortem-check", "probe": "became-mechanism"}),
    ("behavioral", "beh-grow-when-last", {"act": "change-org-habit", "probe": "became-mechanism"}),
    # "Pick a time your on-call was drowning in noisy pages, one where customers reported the problem ...": which problem?
    ("behavioral", "*", {"situation": "noisy-pages", "pressure": "customers-first"}),
    # "... one where the date had already been promised" after a feature that already shipped late.
    ("behavioral", "*", {"situation": "late-feature", "pressure": "promised-date"}),
    # "... one where you had to decide before the data was in" after a story of keeping on despite the data.
    ("behavioral", "*", {"situation": "kept-going", "pressure": "before-the-data"}),
    # "... one where two engineers had just left your team. Which part of the bar did you hold?"
    ("leadership", "lead-bar-staff-pressure", {"pressure": "two-left"}),
    # "... a time you made yourself unnecessary on a system you had built, one where two engineers had
    # just left your team. Who picked up the leavers' work?": two stories spliced.
    ("leadership", "*", {"situation": "made-unnecessary", "pressure": "two-left"}),
    # "The decision that led here was your manager's. ... how much weight does that get?"
    ("bar-raiser", "br-jud-pressure", {"pressure": "your-manager"}),
    # "The proper fix takes three weeks" beside a partner deal: nothing there is to be fixed.
    ("bar-raiser", "br-cust-pressure", {"discovery": "partner-deal", "pressure": "three-weeks"}),
    # "Your manager made the call" about another team's flow: not the manager's call to make.
    ("bar-raiser", "br-cust-pressure", {"discovery": "retention", "pressure": "your-manager"}),
    ("bar-raiser", "br-cust-pressure", {"discovery": "cancel-flow", "pressure": "your-manager"}),
    # "On top of that, finance has just frozen all new spending. What does that change about what you cut?"
    ("cross-functional", "xf-scope-pressure", {"pressure": "spending-freeze"}),
    ("cross-functional", "xf-scope-pressure", {"pressure": "budget-cut"}),
    # A story about how decisions get made, asked what changed afterwards about how decisions get made.
    ("cross-functional", "xf-obj-principal-norms", {"story": "decision-norms"}),
    # "Twelve teams depend on it ... what breaks in the first minutes?": the twelve teams go unused.
    ("system-design", "sd-res-principal-twist", {"probe": "first-minutes"}),
    ("system-design", "sd-res-principal-twist", {"probe": "fails-first"}),
    # "Nobody gets paged" when a whole region goes dark.
    ("system-design", "sd-slo-missed-page", {"twist": "region-loss"}),
    # "Repair the damage" from a race nothing has damaged yet.
    ("system-design", "sd-con-principal-repair", {"twist": "concurrent-edits"}),
    # A p95 that creeps for two weeks has no first moment to look at.
    ("architecture-deep-dive", "*", {"twist": "latency-creep", "probe": "first-look"}),
    # "Pick a platform that runs in more than one region ... How did its on-call page volume move ...
    # rather than traffic?"
    ("architecture-deep-dive", "add-mo-principal-metric", {"metric": "pages"}),
    # "Defend the choice" of a platform the candidate was told to use.
    ("architecture-deep-dive", "add-dr-staff-defend", {"system": "mandate"}),
    # "... two years without a restart. What does your code do, step by step?": a duration, not an event.
    ("coding", "cod-edge-twist", {"twist": "long-run"}),
    ("coding", "cod-edge-principal-observed", {"twist": "long-run"}),
    # "How will it age over the next three years" asked of an architecture that failed and was redone.
    ("bar-raiser", "br-long-principal-aging", {"story": "third-attempt"}),
    # From the presupposition audit: each ask presumed what these never said.
    ("behavioral", "*", {"situation": "tech-debt", "pressure": "before-the-data"}),  # persuaded, did not decide
    ("behavioral", "*", {"situation": "reversed-bet", "pressure": "announced"}),  # own call "announced before settled"
    ("behavioral", "beh-ref-staff-changed-course", {"situation": "postmortem"}),  # owning a postmortem is not steering
    ("bar-raiser", "br-jud-doors", {"story": "backed-promotion"}),  # "which parts could you undo" of a promotion
    ("bar-raiser", "br-cust-quietly", {"discovery": "dropped-logs"}),  # "what do you tell customers" of an internal gap
    ("cross-functional", "xf-opt-principal-status-quo", {"story": "vendor-exit"}),
    ("system-design", "sd-con-twist", {"twist": "bad-deploy"}),  # the deploy is the fault, not a case it mishandles
    ("system-design", "sd-cap-senior-servers", {"scenario": "rate-limiter"}),  # "on 12 gateway instances" answers it
    ("coding", "*", {"problem": "retry-helper", "scale": "retry-helper/every-service", "twist": "outage"}),
    ("coding", "*", {"problem": "hot-key", "twist": "same-key"}),  # it sees that every millisecond
    # Redelivery to the outbox relay, which writes to the broker: nothing is redelivered to it.
    ("coding", "*", {"problem": "outbox", "twist": "redelivery"}),
]


def _id(case) -> str:
    slug, item, elements = case
    return f"{item if item != '*' else slug}:" + "+".join(f"{k}={v}" for k, v in elements.items())


@pytest.mark.parametrize("slug, item_id, elements", NEVER, ids=[_id(c) for c in NEVER])
def test_a_pair_found_by_spot_checks_never_meets_again(corpus, slug, item_id, elements):
    bank = corpus.items[slug]
    ids = {path.split("/")[-1] for path, _, _ in bank.walk()} | {path for path, _, _ in bank.walk()}
    for eid in elements.values():
        assert eid in ids or eid.split("/")[-1] in ids, f"{eid} is no longer in the {slug} bank: update this table"
    composed = [q for q in all_composed(bank) if item_id in ("*", q.item_id)]
    assert composed, f"{item_id} composes nothing"
    met = [q.text for q in composed if all(_holds(q.elements.get(slot), eid) for slot, eid in elements.items())]
    assert not met, met[0]


def _holds(chosen: str | None, eid: str) -> bool:
    return chosen is not None and (chosen == eid or chosen.split("/")[-1] == eid and "/" not in eid)


# Wordings graders refused, which no composed question may say again in any panel.
REFUSED = [
    "its two writes",  # a design the question never showed
    "On top of that",  # a seam between two spliced setups
    "You also know that",  # a fact tacked on before the ask
    "who decided that order",  # no order was set up
    "came from your work",  # no change was set up
    "it has been running for two years",  # a duration asked about as an event
]


@pytest.mark.parametrize("phrase", REFUSED)
def test_a_refused_wording_is_never_composed_again(corpus, phrase):
    said = [q.text for slug in corpus.items for q in all_composed(corpus.items[slug]) if phrase.lower() in q.text.lower()]
    assert not said, said[0]


def test_a_deep_dive_says_the_system_is_the_candidates_before_asking_about_it(corpus):
    # "Think of a platform that serves most of its reads from a cache ... What did your model of it
    # get wrong in the first year?": never said to be theirs (graded "no").
    import re

    for item in corpus.items["architecture-deep-dive"].items:
        opener = item.stem.split(".", 1)[0]
        assert re.search(r"\byou(?:'ve|'re)?\b|\byours?\b", opener), item.id

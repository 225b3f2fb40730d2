"""Question planning (coach/interviewer/_plan.py): the target signal, the few-shot plans and the
fallback choice, reproducible from the seed (fast tier: toy embedder, real Chroma)."""

from __future__ import annotations

import numpy as np

from coach.interviewer._plan import SHOTS, choose_target, fallback_choice, grounding_for, plan_candidates
from coach.interviewer._reference import panel_reference


def _setup(fake_coach, slug="system-design"):
    panel = fake_coach.panel(slug)
    return panel, panel_reference(fake_coach.retriever, slug), np.zeros((0, fake_coach.embedder.dim), dtype=np.float32)


def test_the_target_is_the_least_covered_signal_and_the_seed_breaks_ties(fake_coach):
    panel, _, _ = _setup(fake_coach)
    coverage = {s.id: "evidenced" for s in panel.signals}
    coverage[panel.signals[2].id] = "weak"
    assert choose_target(panel, coverage, None, 1, fake_coach.embedder).id == panel.signals[2].id
    coverage[panel.signals[4].id] = "not yet asked"
    assert choose_target(panel, coverage, None, 1, fake_coach.embedder).id == panel.signals[4].id
    picks = {choose_target(panel, {}, None, seed, fake_coach.embedder).id for seed in range(30)}
    assert len(picks) > 2  # nothing covered: the seed spreads the choice over the signals
    assert choose_target(panel, {}, None, 7, fake_coach.embedder) == choose_target(panel, {}, None, 7, fake_coach.embedder)


def test_a_focus_picks_the_signal_that_shares_its_words(fake_coach):
    panel, _, _ = _setup(fake_coach)
    signal = panel.signals[3]
    assert choose_target(panel, {}, f"{signal.name}. {signal.strong}", 1, fake_coach.embedder).id == signal.id


def test_plans_share_their_first_examples_and_differ_in_the_last(fake_coach):
    panel, ref, none = _setup(fake_coach)
    target = panel.signals[0]
    plans = plan_candidates(panel, "staff", target, None, seed=3, batch=0, n=8, asked_texts=[], asked_vecs=none, ref=ref)
    assert len(plans) == 8 and all(len(p.shots) == SHOTS for p in plans)
    assert len({tuple(q.id for q in p.shots[:-1]) for p in plans}) == 1 and len({p.shots[-1].id for p in plans}) > 1
    assert any(target.id in q.signals for q in plans[0].shots[:-1])  # examples on the target come first
    assert all(p.label == target.name for p in plans)
    again = plan_candidates(panel, "staff", target, None, seed=3, batch=0, n=8, asked_texts=[], asked_vecs=none, ref=ref)
    assert [[q.id for q in p.shots] for p in again] == [[q.id for q in p.shots] for p in plans]
    text = plans[0].examples("completion")
    assert text.startswith("Question 1 (") and text.count("\n") == SHOTS - 1
    assert plan_candidates(panel, "staff", target, "payments ledger reconciliation at month end", 3, 0, 1, [], none, ref)[0].label.startswith("payments")


def test_asked_questions_are_never_examples_or_fallbacks(fake_coach):
    panel, ref, _ = _setup(fake_coach, "behavioral")
    asked = [q.text for q in panel.sample_questions[:-1]]
    asked_vecs = fake_coach.embedder.encode(asked)
    last = panel.sample_questions[-1]
    chosen = fallback_choice(panel, "staff", panel.signals[0], None, 1, asked, asked_vecs, set(), ref)
    assert chosen is not None and chosen.id == last.id
    everything = [q.text for q in panel.sample_questions]
    assert fallback_choice(panel, "staff", panel.signals[0], None, 1, everything, fake_coach.embedder.encode(everything), set(), ref) is None


def test_the_fallback_probes_the_target_at_the_session_level(fake_coach):
    panel, ref, none = _setup(fake_coach)
    for signal in panel.signals:
        chosen = fallback_choice(panel, "principal", signal, None, 5, [], none, set(), ref)
        on_target = [q for q in panel.sample_questions if signal.id in q.signals]
        if on_target:
            assert signal.id in chosen.signals
            if any(q.level == "principal" for q in on_target):
                assert chosen.level == "principal"


def test_grounding_leaves_out_sample_questions_and_stays_short(fake_coach):
    panel, _, _ = _setup(fake_coach)
    hits, text = grounding_for(fake_coach.retriever, panel, panel.signals[0], None)
    assert hits and all(h.kind != "question" for h in hits)
    assert text.count("\n- ") == len(hits) - 1 and all(len(line) < 260 for line in text.splitlines())

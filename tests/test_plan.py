"""Which signal a question probes (coach/interviewer/_plan.py): the focus, else the least-covered
signal, ties broken by the seed (fast tier: toy embedder)."""

from __future__ import annotations

from coach.interviewer._plan import choose_target


def test_the_target_is_the_least_covered_signal_and_the_seed_breaks_ties(fake_coach):
    panel = fake_coach.panel("system-design")
    coverage = {s.id: "evidenced" for s in panel.signals}
    coverage[panel.signals[2].id] = "weak"
    assert choose_target(panel, coverage, None, 1, fake_coach.embedder).id == panel.signals[2].id
    coverage[panel.signals[4].id] = "not yet asked"
    assert choose_target(panel, coverage, None, 1, fake_coach.embedder).id == panel.signals[4].id
    picks = {choose_target(panel, {}, None, seed, fake_coach.embedder).id for seed in range(30)}
    assert len(picks) > 2  # nothing covered: the seed spreads the choice over the signals
    assert choose_target(panel, {}, None, 7, fake_coach.embedder) == choose_target(panel, {}, None, 7, fake_coach.embedder)


def test_a_focus_picks_the_signal_that_shares_its_words(fake_coach):
    panel = fake_coach.panel("system-design")
    for signal in panel.signals:
        assert choose_target(panel, {}, f"{signal.name}. {signal.strong}", 1, fake_coach.embedder).id == signal.id

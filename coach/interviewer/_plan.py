"""Which signal a question probes: the one the caller names (a drill on a weak signal), else the one
closest to the user's focus, else the least-covered signal of the session, ties broken by the seed.
A pure choice, reproducible from the seed."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from coach.corpus.schema import Panel, Signal
from coach.errors import unknown_choice
from coach.retrieval.embeddings import Embedder
from coach.seeding import rng

# Coverage statuses, least covered first: a session asks next about what it knows least.
COVERAGE_ORDER = {"not yet asked": 0, "missing": 0, "weak": 1, "evidenced": 2}


def choose_target(
    panel: Panel, coverage: Mapping[str, str] | None, focus: str | None, seed: int, embedder: Embedder,
    target: str | None = None,
) -> Signal:
    """The signal the question should probe: `target` when given (a signal id of the panel), else
    the one closest to the focus, else the least-covered signal of the session, ties broken by the seed."""
    if target:
        return signal_of(panel, target)
    if focus:
        vecs = embedder.encode([focus] + [f"{s.name}. {s.strong}" for s in panel.signals])
        return panel.signals[int(np.argmax(vecs[1:] @ vecs[0]))]
    coverage = coverage or {}
    rank = {s.id: COVERAGE_ORDER.get(coverage.get(s.id, "not yet asked"), 0) for s in panel.signals}
    least = min(rank.values())
    tied = [s for s in panel.signals if rank[s.id] == least]
    return tied[rng(seed, panel.slug, "target").randrange(len(tied))]


def signal_of(panel: Panel, signal_id: str) -> Signal:
    """The panel's signal with this id; an unknown id is an error listing the panel's signals."""
    try:
        return panel.signal(signal_id)
    except KeyError:
        raise unknown_choice(f"signal of the {panel.name} panel", signal_id, [s.id for s in panel.signals]) from None

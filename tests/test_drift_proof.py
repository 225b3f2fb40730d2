"""Issue: the harness must catch real drift and stay quiet when nothing changed.

Each mutation (item bank, corpus, scorer weights, embedding model) runs on a private copy of the
repository's inputs against a baseline of the unmutated copy; it must move a metric and be
attributed to the component that changed.
"""

from __future__ import annotations

import pytest

from coach.evals.mutations import MUTATIONS, prove


@pytest.mark.slow
def test_every_mutation_is_caught_and_attributed(built_settings):
    # One panel per run; composing and following up call no model, so each run takes seconds.
    results, quiet = prove(MUTATIONS, settings=built_settings, quick=True)
    assert quiet, "two runs with nothing changed must report no drift"
    print(f"mutations caught: {sum(r.ok for r in results)}/{len(results)}")
    for r in results:
        print(f"  {'caught' if r.ok else 'MISSED'}: {r.name}: moved {r.moved[:3]}; changed {r.changed[:4]}")
    assert all(r.ok for r in results), [(r.name, r.moved, r.changed) for r in results if not r.ok]

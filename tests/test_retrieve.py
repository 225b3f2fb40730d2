from __future__ import annotations

import pytest

from coach.errors import UserInputError


def test_ranked_hits_carry_id_section_kind_and_score(retriever):
    hits = retriever.search("page me when we burn the monthly error budget too fast", k=5)
    assert len(hits) == 5
    assert any(h.section == 3 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(h.id and h.kind for h in hits)


def test_panel_filter_keeps_panel_items_and_its_sections(retriever):
    panel = retriever.corpus.panel("behavioral")
    hits = retriever.search("a time you disagreed with your manager", panel="behavioral", k=10)
    for h in hits:
        assert h.panel == "behavioral" or h.section in panel.draws_on or h.kind == "case"


def test_kind_filter(retriever):
    hits = retriever.search("how to run a failover drill", kind="signal", k=5)
    assert hits and all(h.kind == "signal" for h in hits)
    hits = retriever.search("capacity breakpoints", panel="system-design", kind="question", k=3)
    assert all(h.kind == "question" and h.panel == "system-design" for h in hits)


def _redundancy(retriever, hits) -> float:
    vecs = retriever.index.embedder.encode([h.text for h in hits])
    sims = vecs @ vecs.T
    n = len(hits)
    return float((sims.sum() - n) / (n * (n - 1)))


def test_mmr_diversifies(retriever):
    plain = retriever.search("replication lag stale reads", k=5)
    diverse = retriever.search("replication lag stale reads", k=5, mmr=True, lambda_mult=0.3)
    assert len(diverse) == 5 and diverse[0].id == plain[0].id
    assert _redundancy(retriever, diverse) < _redundancy(retriever, plain)


def test_unknown_panel_and_kind_list_valid_values(retriever):
    with pytest.raises(UserInputError, match="architecture-deep-dive"):
        retriever.search("anything", panel="architecture")
    with pytest.raises(UserInputError, match="exemplar"):
        retriever.search("anything", kind="examples")

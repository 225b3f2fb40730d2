"""The hybrid ranking on the fast tier: the real corpus in a real Chroma store, the toy embedder.

What must hold whatever the weights: filters stay exact, knowledge comes first unless the query is
about the interview, the lexical side finds an exact term the vector misses, the in-memory view is
built once per index, and the web's grouped view renders and escapes."""

from __future__ import annotations

import numpy as np
import pytest

from coach.config import Settings
from coach.corpus.chunking import KINDS
from coach.corpus.schema import PANEL_SLUGS
from coach.render.markdown import hits_markdown
from coach.retrieval import hybrid
from coach.retrieval.hybrid import CorpusView, about_the_interview
from coach.retrieval.lexical import tokens
from coach.retrieval.search import GROUPS, Hit, build_filter, group_hits
from coach.root import Coach
from coach.testing import FAKE_EMBEDDING_MODEL


def _admitted(coach: Coach, panel: str | None, kind: str | None) -> set[str]:
    where = build_filter(coach.corpus, panel, kind)
    return set(coach.retriever.collection.get(where=where, include=[])["ids"])


@pytest.mark.parametrize("panel", [None, *PANEL_SLUGS])
def test_panel_filter_admits_only_what_chroma_admits(fake_coach, panel):
    # "STAR story" and "CRDT" are lexical matches in other panels' items and other sections:
    # the BM25 side must not let them through a filter that excludes them.
    for query in ("STAR story about an outage", "CRDT counter merge", "rate limiter token bucket"):
        hits = fake_coach.search(query, panel=panel, k=60)
        assert hits
        assert {h.id for h in hits} <= _admitted(fake_coach, panel, None)


@pytest.mark.parametrize("kind", ["template", "pitfalls", "question", "signal", "follow-up", "failure-mode", "case"])
def test_kind_filter_and_both_filters_stay_exact(fake_coach, kind):
    hits = fake_coach.search("how do we roll back a risky migration", kind=kind, k=60)
    assert hits and all(h.kind == kind for h in hits)
    assert {h.id for h in hits} <= _admitted(fake_coach, None, kind)
    both = fake_coach.search("how do we roll back a risky migration", panel="system-design", kind=kind, k=60)
    assert {h.id for h in both} <= _admitted(fake_coach, "system-design", kind)


def test_every_kind_is_a_known_group_or_named_after_itself(fake_coach):
    hits = fake_coach.search("design review", k=60)
    assert {h.group for h in hits} <= set(GROUPS.values())
    assert all((h.group == GROUPS["compendium"]) == h.id.startswith("compendium:") for h in hits)
    assert set(KINDS) >= {k for k in GROUPS if k != "compendium"}


def _view(texts: list[str], sources: list[str], vectors: list[list[float]]) -> CorpusView:
    ids = [f"{s}:{n}" if s != "compendium" else f"compendium:s{n}:purpose:0" for n, s in enumerate(sources)]
    metas = [{"source": s, "kind": "question" if s == "panel" else "purpose", "section": n} for n, s in enumerate(sources)]
    vecs = np.asarray(vectors, dtype=np.float32)
    return CorpusView(ids, texts, metas, vecs / np.linalg.norm(vecs, axis=1, keepdims=True))


def test_knowledge_first_unless_the_query_is_about_the_interview():
    # The panel item is the nearer neighbour and shares the query's words; the compendium
    # section is second on both. The prior puts knowledge first for a topic question only.
    view = _view(
        ["How would you design leader election for a replicated log?", "Consensus: compare leader election protocols"],
        ["panel", "compendium"],
        [[1.0, 0.1], [0.8, 0.6]],
    )
    everything = np.ones(2, dtype=bool)
    dense_order = ["panel:0", "compendium:s1:purpose:0"]
    topic = view.rank(np.array([1.0, 0.0]), dense_order, everything, "leader election protocols")
    assert view.ids[topic[0].row] == "compendium:s1:purpose:0"
    interview = view.rank(np.array([1.0, 0.0]), dense_order, everything, "what follow-up does the interviewer ask on leader election")
    assert view.ids[interview[0].row] == "panel:0"
    assert about_the_interview("a strong answer about rollback") and not about_the_interview("how do we roll back")


def test_scores_are_sorted_and_the_top_of_every_ranking_scores_one():
    view = _view(["alpha beta", "gamma delta", "beta gamma"], ["compendium", "panel", "case"], [[1, 0], [0, 1], [0.7, 0.7]])
    ranked = view.rank(np.array([1.0, 0.0]), ["compendium:s0:purpose:0", "case:2", "panel:1"], np.ones(3, dtype=bool), "alpha beta")
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True) and scores[0] == 1.0


def test_an_exact_term_lifts_the_chunk_that_has_it():
    # Dense order A, B, C; only C has the query's rare word. Its words lift it to the top, and
    # without the words (a bare vector search) it stays third.
    view = _view(["replicated state machines", "quorum reads and writes", "EPaxos and Zab compared"],
                 ["compendium", "compendium", "compendium"], [[1, 0], [0.9, 0.44], [0.8, 0.6]])
    order, everything, vector = ["compendium:s0:purpose:0", "compendium:s1:purpose:0", "compendium:s2:purpose:0"], np.ones(3, dtype=bool), np.array([1.0, 0.0])
    assert view.ids[view.rank(vector, order, everything, "how does EPaxos work")[0].row] == "compendium:s2:purpose:0"
    assert view.ids[view.rank(vector, order, everything, None)[2].row] == "compendium:s2:purpose:0"


def test_word_stems_find_a_chunk_the_vector_alone_misses(fake_coach):
    # The toy embedder hashes whole words, so "counters" and "merging" miss "Counter" and "merge";
    # the stemmed BM25 side matches them.
    query = "merging counters"
    target = "compendium:s7:exemplar:0"
    assert fake_coach.search(query, k=1)[0].id == target
    vector = fake_coach.retriever.embed(query)
    assert target not in {h.id for h in fake_coach.retriever.search_vector(vector, k=10)}
    assert tokens("Merging the CRDTs")[:2] == ["merg", "crdts"]


def test_the_view_is_built_once_per_index(tmp_path, monkeypatch):
    from langchain_community.retrievers import BM25Retriever

    settings = Settings(data_dir=tmp_path / "data", embedding_model=FAKE_EMBEDDING_MODEL)
    Coach(settings).build_index()
    built = []
    original = BM25Retriever.from_documents.__func__
    monkeypatch.setattr(BM25Retriever, "from_documents", classmethod(lambda cls, *a, **kw: built.append(1) or original(cls, *a, **kw)))
    first = Coach(settings)
    for query in ("error budget", "leader election", "build versus buy"):
        first.search(query)
        first.search(query, panel="coding")
    Coach(settings).search("postmortem")  # another Coach on the same index shares the view
    assert len(built) == 1
    assert Coach(settings).retriever.view is first.retriever.view
    monkeypatch.setattr(hybrid, "_VIEWS", {})  # a new process: built again
    Coach(settings).search("postmortem")
    assert len(built) == 2


def test_mmr_keeps_the_best_hit_first_and_spreads_the_rest(fake_coach):
    plain = fake_coach.search("error budget burn rate alert", k=5)
    diverse = fake_coach.retriever.search("error budget burn rate alert", k=5, mmr=True, lambda_mult=0.3)
    assert diverse[0].id == plain[0].id and len(diverse) == 5
    assert [h.id for h in diverse] != [h.id for h in plain]


def _hit(id_: str, kind: str, text: str, group: str, section: int | None = None) -> Hit:
    return Hit(id=id_, text=text, score=0.5, kind=kind, section=section, section_title="SLOs" if section else None,
               panel=None if section else "coding", item=None if section else "x", group=group)


def test_groups_follow_the_rank_of_their_best_hit():
    hits = [
        _hit("panel:coding:question:q1", "question", "q1", GROUPS["question"]),
        _hit("compendium:s3:template:0", "template", "3. SLO\nbody", GROUPS["compendium"], 3),
        _hit("panel:coding:question:q2", "question", "q2", GROUPS["question"]),
    ]
    assert [(g, [h.id for h in members]) for g, members in group_hits(hits)] == [
        ("Panel questions", ["panel:coding:question:q1", "panel:coding:question:q2"]),
        ("From the compendium", ["compendium:s3:template:0"]),
    ]


def test_grouped_markdown_renders_headings_and_escapes_chunk_text():
    hits = [
        _hit("compendium:s3:template:0", "template", "3. SLO\n<img src=x onerror=alert(1)> **burn** | rate", GROUPS["compendium"], 3),
        _hit("panel:coding:signal:s", "signal", "Coding signal: <script>x</script>", GROUPS["signal"]),
    ]
    md = hits_markdown(hits)
    assert md.index("#### From the compendium") < md.index("#### Signals")
    assert "<img" not in md and "<script>" not in md and "&lt;img" in md
    assert "\\*\\*burn\\*\\*" in md and "\\| rate" in md  # Markdown stays inert, the table intact
    assert "| 1 | 0.500 | §3 SLOs · template |" in md
    assert "3. SLO" not in md  # the heading line is in `where`, not repeated in the text
    assert hits_markdown([]).startswith("*Nothing found")

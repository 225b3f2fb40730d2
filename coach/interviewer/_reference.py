"""A panel as vectors: the on-panel, near-duplicate and novelty checks for what the interviewer says.

The on-panel score compares a question with the panel's own items (overview, sample questions,
signals, follow-ups, failure modes) plus the grounding chunks its prompt showed. The vectors come
straight from the index, so nothing is embedded twice and the check always matches the corpus the
index was built from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coach.retrieval.embeddings import Embedder
from coach.retrieval.search import Retriever, build_filter

# On-panel score: mean of the TOP_K best cosines to the panel's items (plus the grounding shown).
# Calibrated on evals/fixtures/questions/on_panel.yaml, 56 on-panel and 56 off-panel questions
# (numbers recorded there): on-panel ones score 0.274-0.521, off-topic ones at most 0.25, and
# only four questions from neighbouring panels reach 0.31-0.37 (all on architecture-deep-dive,
# whose items include decisions and economics). 0.26 keeps every on-panel question and rejects
# every off-topic one; top-5 over panel items separated better than top-1/3/10 or than adding
# whole compendium sections (0.964 accuracy against 0.929-0.955).
ON_PANEL_THRESHOLD = 0.26
TOP_K = 5

# Near-duplicates. Distinct sample questions of one panel are at most 0.51-0.67 similar (cosine,
# all seven panels). A generated question at or above SHOT_DUPLICATE of a few-shot example is that
# example with other numbers or a word changed (measured 0.96-1.00); variants that move the
# scenario to another system (0.82-0.87) pass and are what a small model does well.
SHOT_DUPLICATE = 0.92
# Within a session the bar is lower: a variant of a question already asked is still a repeat to
# the candidate, while distinct questions stay below 0.67.
SESSION_DUPLICATE = 0.8


@dataclass(frozen=True)
class PanelReference:
    panel: str
    scope: dict[str, np.ndarray]  # every chunk retrieval may return for this panel, by id
    item_vecs: np.ndarray  # (n, d) the panel's own items, L2-normalised
    question_ids: tuple[str, ...]  # the panel's corpus sample questions
    question_vecs: np.ndarray

    def vectors(self, ids: list[str] | tuple[str, ...]) -> np.ndarray:
        rows = [self.scope[i] for i in ids if i in self.scope]
        return np.stack(rows) if rows else np.zeros((0, self.item_vecs.shape[1]), dtype=np.float32)

    def on_panel(self, vecs: np.ndarray, grounding: tuple[str, ...] | list[str] = ()) -> np.ndarray:
        """On-panel score per row of `vecs`: mean of its TOP_K best cosines to the panel's items
        and the grounding chunks (ids) its prompt showed."""
        ref = np.concatenate([self.item_vecs, self.vectors(grounding)])
        sims = np.atleast_2d(vecs) @ ref.T
        k = min(TOP_K, sims.shape[1])
        return (-np.sort(-sims, axis=1)[:, :k]).mean(axis=1)

    def nearest_corpus_question(self, vec: np.ndarray) -> tuple[str, float]:
        sims = self.question_vecs @ vec
        i = int(np.argmax(sims))
        return self.question_ids[i], float(sims[i])


_CACHE: dict[tuple[str, str, str, str], PanelReference] = {}


def panel_reference(retriever: Retriever, panel: str) -> PanelReference:
    """The panel's reference vectors, read from the index once per process and panel."""
    key = (retriever.index.where, retriever.settings.collection, retriever.corpus.hash, panel)
    if key not in _CACHE:
        where = build_filter(retriever.corpus, panel, None)
        got = retriever.index.guarded(
            "reading reference vectors", lambda: retriever.collection.get(where=where, include=["embeddings", "metadatas"])
        )
        ids = list(got["ids"])
        vecs = np.asarray(got["embeddings"], dtype=np.float32)
        metas = [m or {} for m in got["metadatas"]]
        own = [i for i, m in enumerate(metas) if m.get("panel") == panel]
        q_rows = [i for i in own if metas[i].get("kind") == "question"]
        _CACHE[key] = PanelReference(
            panel=panel,
            scope=dict(zip(ids, vecs)),
            item_vecs=vecs[own],
            question_ids=tuple(metas[i]["item"] for i in q_rows),
            question_vecs=vecs[q_rows],
        )
    return _CACHE[key]


def max_similarity(vec: np.ndarray, others: np.ndarray) -> float:
    """Highest cosine between one vector and a stack of vectors; 0.0 when there are none."""
    if others is None or len(others) == 0:
        return 0.0
    return float((others @ vec).max())


def encode(embedder: Embedder, texts: list[str]) -> np.ndarray:
    return embedder.encode(texts) if texts else np.zeros((0, embedder.dim), dtype=np.float32)

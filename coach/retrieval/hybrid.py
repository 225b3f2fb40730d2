"""Hybrid ranking: dense and lexical (BM25) rankings of chunks and of whole compendium sections,
fused by weighted reciprocal rank, with a prior for knowledge over panel items.

Why each part (measured with `coach eval --suite retrieval`, README "Retrieval"):
- Dense search alone ranks short, question-shaped panel items (sample questions, signals,
  follow-ups) above the compendium section that answers a knowledge question: they look like the
  query. BM25 catches the exact terms MiniLM blurs (CRDT, RTO, exactly-once, hot key); what it
  matches on is `coach.retrieval.lexical`.
- A compendium section is split into parts (template, exemplar, pitfalls, ...), so no single part
  carries all its evidence; ranking whole sections too (their chunks' mean vector, their joined
  text) and crediting each section's best chunk lets the section's evidence add up.
- Compendium sections and case studies are the knowledge; panel items are about the interview.
  Knowledge gets extra weight unless the query names the interview itself ("interviewer",
  "follow-up", "signal", ...), so "raft versus paxos" finds the primer, not a leadership signal.
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from coach.retrieval.lexical import Lexicon, TermScores, tokens

# Weights and constants, chosen on the labelled queries in evals/fixtures/retrieval.yaml.
DENSE_WEIGHT = 0.6  # the embedding knows paraphrases; words alone miss "goes live" ~ "launch"
LEXICAL_WEIGHT = 0.4
SECTION_WEIGHT = 1.0  # a section's rankings count as much as its chunks' own
KNOWLEDGE_PRIOR = 2.0  # knowledge-only rankings weigh twice the mixed ones
RRF_C = 30  # reciprocal rank constant: lower trusts the top ranks more (langchain's default is 60)
DEPTH = 40  # how deep each ranking is read; deeper ranks add ~nothing to the fused score

KNOWLEDGE_SOURCES = ("compendium", "case")
# Words that ask about the interview itself, where panel items are the answer.
_INTERVIEW_CUES = re.compile(
    r"\b(interviewers?|follow[- ]?ups?|signals?|failure[- ]modes?|red[- ]flags?|(strong|weak|good|bad) answers?"
    r"|bar[- ]raisers?|panels?|rubrics?|mark(ed)? (me )?down|come across|land with)\b",
    re.IGNORECASE,
)


def about_the_interview(query: str) -> bool:
    """Does the query ask about the interview (questions, signals, follow-ups) rather than a topic?"""
    return bool(_INTERVIEW_CUES.search(query))


def group_key(doc_id: str) -> str:
    """Chunks of one compendium section share a group; every other document is its own."""
    parts = doc_id.split(":")
    return ":".join(parts[:2]) if parts[0] == "compendium" else doc_id


def rrf(rankings: Iterable[tuple[Sequence[int], float]], c: int = RRF_C) -> dict[int, float]:
    """Weighted reciprocal rank fusion, the formula of langchain's `EnsembleRetriever`; that class
    wants one retriever per ranking, called with the query text, and returns no scores."""
    scores: dict[int, float] = defaultdict(float)
    for ranked, weight in rankings:
        for rank, row in enumerate(ranked, 1):
            scores[row] += weight / (rank + c)
    return scores


def _top(scores: np.ndarray, allowed: np.ndarray, positive: bool = False) -> list[int]:
    keep = allowed & (scores > 0) if positive else allowed
    rows = np.flatnonzero(keep)
    return rows[np.argsort(-scores[rows], kind="stable")[:DEPTH]].tolist()


@dataclass(frozen=True)
class Ranked:
    row: int
    score: float  # fused score over the best possible for this query: 1.0 = first in every ranking
    similarity: float  # cosine similarity of query and chunk


class CorpusView:
    """The indexed documents in memory: texts, metadata, vectors, the two BM25 indexes and the
    section groups. Built from the collection once per index fingerprint (see `corpus_view`)."""

    def __init__(self, ids: list[str], texts: list[str], metas: list[dict], vectors: np.ndarray, lexicon: Lexicon = tokens):
        from langchain_community.retrievers import BM25Retriever
        from langchain_core.documents import Document

        self.ids, self.texts, self.metas, self.lexicon = ids, texts, metas, lexicon
        self.row = {doc_id: n for n, doc_id in enumerate(ids)}
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.knowledge = np.array([m.get("source") in KNOWLEDGE_SOURCES for m in metas], dtype=bool)
        docs = [Document(page_content=t, metadata={"row": n}, id=i) for n, (i, t) in enumerate(zip(ids, texts))]
        self.bm25 = BM25Retriever.from_documents(docs, preprocess_func=lexicon)

        keys = [group_key(i) for i in ids]
        self.groups = list(dict.fromkeys(keys))
        index = {g: n for n, g in enumerate(self.groups)}
        self.group_of = np.array([index[k] for k in keys])
        members: list[list[int]] = [[] for _ in self.groups]
        for row, g in enumerate(self.group_of):
            members[g].append(row)
        centroids = np.stack([self.vectors[m].mean(axis=0) for m in members])
        self.centroids = centroids / np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
        self.section_bm25 = BM25Retriever.from_texts(
            ["\n".join(texts[r] for r in m) for m in members], ids=self.groups, preprocess_func=lexicon
        )
        self.lexical_scores, self.section_lexical_scores = TermScores(self.bm25.vectorizer), TermScores(self.section_bm25.vectorizer)
        self._masks: dict[str, np.ndarray] = {}

    def allowed(self, where: dict | None, fetch_ids) -> np.ndarray:
        """Rows the filter admits; `fetch_ids(where)` asks the store, so membership is Chroma's own."""
        if where is None:
            return np.ones(len(self.ids), dtype=bool)
        key = json.dumps(where, sort_keys=True)
        if key not in self._masks:
            mask = np.zeros(len(self.ids), dtype=bool)
            mask[[self.row[i] for i in fetch_ids(where) if i in self.row]] = True
            self._masks[key] = mask
        return self._masks[key]

    def rank(self, vector: np.ndarray, dense_ids: Sequence[str], allowed: np.ndarray, text: str | None) -> list[Ranked]:
        """Fuse the rankings for one query. `dense_ids` is the store's nearest-neighbour answer
        under the same filter as `allowed`; `text` (the query's words) enables the lexical side
        and decides the knowledge prior. Only rows in `allowed` come back."""
        vector = np.asarray(vector, dtype=np.float32)
        sims = self.vectors @ vector
        words = self.lexicon(text) if text else []
        lexical = self.lexical_scores(words) if words else np.zeros(len(self.ids))
        rankings = [
            ([self.row[i] for i in dense_ids if i in self.row and allowed[self.row[i]]], DENSE_WEIGHT),
            (_top(lexical, allowed, positive=True), LEXICAL_WEIGHT),
        ]
        if not (text and about_the_interview(text)):
            known = allowed & self.knowledge
            rankings += [
                (_top(sims, known), DENSE_WEIGHT * KNOWLEDGE_PRIOR),
                (_top(lexical, known, positive=True), LEXICAL_WEIGHT * KNOWLEDGE_PRIOR),
            ]
        scores = rrf(rankings)

        # A section's own rankings credit its best chunk so far: the section's evidence adds up
        # in one hit instead of lifting all its parts above everything else.
        best: dict[int, int] = {}
        for row in sorted(scores, key=lambda r: -scores[r]):
            best.setdefault(int(self.group_of[row]), row)
        in_scope = np.zeros(len(self.groups), dtype=bool)
        in_scope[np.unique(self.group_of[allowed])] = True
        section_lexical = self.section_lexical_scores(words) if words else np.zeros(len(self.groups))
        sections = [
            (_top(self.centroids @ vector, in_scope), DENSE_WEIGHT * SECTION_WEIGHT),
            (_top(section_lexical, in_scope, positive=True), LEXICAL_WEIGHT * SECTION_WEIGHT),
        ]
        for ranked, weight in sections:
            for rank, group in enumerate(ranked, 1):
                if group in best:
                    scores[best[group]] += weight / (rank + RRF_C)

        ceiling = sum(w for ranked, w in rankings + sections if ranked) / (1 + RRF_C) or 1.0
        order = sorted(scores, key=lambda r: (-scores[r], -sims[r]))
        return [Ranked(r, round(scores[r] / ceiling, 4), round(float(sims[r]), 4)) for r in order]


_VIEWS: dict[tuple, CorpusView] = {}
_VIEWS_LOCK = threading.Lock()
MAX_VIEWS = 4  # an app, an eval run and a rebuilt index seldom need more


def corpus_view(key: tuple, read: Callable[[], dict], lexicon: Lexicon = tokens) -> CorpusView:
    """The view for `key` (store, collection, fingerprint), built from `read()` (a Chroma `get`
    with documents, metadatas and embeddings) the first time in this process, then shared. The
    fingerprint covers the corpus, glossary included, so a changed glossary builds a new view."""
    with _VIEWS_LOCK:
        view = _VIEWS.get(key)
        if view is None:
            got = read()
            view = CorpusView(list(got["ids"]), list(got["documents"]), [m or {} for m in got["metadatas"]], np.asarray(got["embeddings"]), lexicon)
            while len(_VIEWS) >= MAX_VIEWS:
                _VIEWS.pop(next(iter(_VIEWS)))
            _VIEWS[key] = view
        return view

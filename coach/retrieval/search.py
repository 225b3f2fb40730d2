"""Ranked retrieval over the index, filtered by panel and kind, with optional MMR for diversity.

The ranking is hybrid (`coach.retrieval.hybrid`): Chroma's nearest neighbours and BM25 over the
same documents, fused, with compendium knowledge preferred unless the query is about the
interview. Filters are Chroma's: both sides only ever see the documents the `where` filter admits.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np

from coach.corpus.chunking import KINDS
from coach.corpus.loader import Corpus
from coach.errors import unknown_choice
from coach.corpus.schema import PANEL_SLUGS
from coach.retrieval.hybrid import DEPTH, CorpusView, Ranked, corpus_view
from coach.retrieval.index import VectorIndex
from coach.retrieval.lexical import Lexicon
from coach.text_input import check_text

MAX_QUERY_CHARS = 1_000  # a question in a few sentences; a pasted document is not a query

# How hits are grouped for display, in the order used when two groups tie.
GROUPS = {
    "compendium": "From the compendium",
    "case": "Case studies",
    "overview": "Panel overviews",
    "question": "Panel questions",
    "signal": "Signals",
    "follow-up": "Follow-ups",
    "failure-mode": "Failure modes",
}


@dataclass(frozen=True)
class Hit:
    id: str
    text: str
    score: float
    kind: str
    section: int | None = None
    section_title: str | None = None
    panel: str | None = None
    item: str | None = None
    similarity: float | None = None  # cosine of query and chunk; `score` is the fused rank score (0-1)
    group: str = ""  # one of GROUPS' headings

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def label(self) -> str:
        if self.section:
            return f"§{self.section} {self.section_title}"
        if self.panel:
            return f"{self.panel}/{self.item}"
        return self.item or self.id


def build_filter(corpus: Corpus, panel: str | None, kind: str | None) -> dict | None:
    clauses: list[dict] = []
    if panel is not None:
        if panel not in PANEL_SLUGS:
            raise unknown_choice("panel", panel, PANEL_SLUGS)
        # A panel's own items, the compendium sections it draws on, and the cases it opens well.
        clauses.append(
            {
                "$or": [
                    {"panel": panel},
                    {"section": {"$in": corpus.panel(panel).draws_on}},
                    {f"case_for_{panel}": True},
                ]
            }
        )
    if kind is not None:
        if kind not in KINDS:
            raise unknown_choice("kind", kind, KINDS)
        clauses.append({"kind": kind})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def group_of(meta: dict) -> str:
    if meta.get("source") == "compendium":
        return GROUPS["compendium"]
    return GROUPS.get(meta.get("kind", ""), meta.get("kind", "") or "Other")


def group_hits(hits: list[Hit]) -> list[tuple[str, list[Hit]]]:
    """Hits by group, each group in rank order; a group comes where its best hit ranked, so the
    ranking still decides whether the compendium or the panel items come first."""
    groups: dict[str, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.group or GROUPS.get(hit.kind, hit.kind), []).append(hit)
    return list(groups.items())


class Retriever:
    def __init__(self, index: VectorIndex, corpus: Corpus, check: bool = True):
        self.settings = index.settings
        self.index = index
        self.corpus = corpus
        if check:
            self.index.check_current(self.corpus)
        self.collection = self.index.collection()
        self._view: CorpusView | None = None

    @property
    def view(self) -> CorpusView:
        """The documents, BM25 and section groups in memory: read from the store once per process
        and index fingerprint, shared by every Retriever on the same index."""
        if self._view is None:
            fingerprint = json.dumps(self.index.stored_fingerprint(self.collection), sort_keys=True)
            key = (self.index.where, self.settings.collection, fingerprint)
            read = lambda: self.index.guarded(  # noqa: E731
                "reading documents for keyword search",
                lambda: self.collection.get(include=["documents", "metadatas", "embeddings"]),
            )
            self._view = corpus_view(key, read, Lexicon(self.corpus.glossary))
        return self._view

    def embed(self, query: str) -> np.ndarray:
        return self.index.embedder.encode_one(query)

    def search(
        self,
        query: str,
        panel: str | None = None,
        kind: str | None = None,
        k: int = 5,
        mmr: bool = False,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
    ) -> list[Hit]:
        check_text(query, "search query", MAX_QUERY_CHARS, "Ask in a sentence or two: search matches meaning, not whole documents.")
        where = build_filter(self.corpus, panel, kind)  # validate before paying for the embedding
        return self.search_vector(self.embed(query), panel, kind, k, mmr, fetch_k, lambda_mult, where=where, text=query)

    def search_vector(
        self,
        vector: np.ndarray,
        panel: str | None = None,
        kind: str | None = None,
        k: int = 5,
        mmr: bool = False,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        where: dict | None = None,
        text: str | None = None,
    ) -> list[Hit]:
        """Hits for a query vector. `text`, the query's words, adds the lexical ranking and lets
        a question about the interview rank panel items first; without it the dense rankings of
        chunks and sections are fused, knowledge first."""
        where = where if where is not None else build_filter(self.corpus, panel, kind)
        res = self.index.guarded(
            "querying",
            lambda: self.collection.query(query_embeddings=[vector.tolist()], n_results=max(k, DEPTH), where=where, include=["distances"]),
        )
        view = self.view
        allowed = view.allowed(where, self._ids_where)
        ranked = view.rank(vector, res["ids"][0], allowed, text)
        if mmr and ranked:
            ranked = _diversify(view, ranked[: max(k, fetch_k)], k, lambda_mult)
        return [_hit(view, r) for r in ranked[:k]]

    def _ids_where(self, where: dict) -> list[str]:
        return self.index.guarded("filtering", lambda: self.collection.get(where=where, include=[]))["ids"]


def _diversify(view: CorpusView, ranked: list[Ranked], k: int, lambda_mult: float) -> list[Ranked]:
    """Maximal marginal relevance over the fused candidates: relevance is the fused score (so the
    top hit stays first), redundancy the cosine to the hits already picked. langchain's version
    measures relevance as cosine to the query, which would undo the fusion."""
    picked, rest = [ranked[0]], list(ranked[1:])
    while rest and len(picked) < k:
        chosen = view.vectors[[p.row for p in picked]]
        best = max(rest, key=lambda c: lambda_mult * c.score - (1 - lambda_mult) * float((chosen @ view.vectors[c.row]).max()))
        picked.append(best)
        rest.remove(best)
    return picked


def _hit(view: CorpusView, ranked: Ranked) -> Hit:
    meta = view.metas[ranked.row]
    return Hit(
        id=view.ids[ranked.row],
        text=view.texts[ranked.row],
        score=ranked.score,
        kind=meta.get("kind", ""),
        section=meta.get("section") or None,
        section_title=meta.get("section_title"),
        panel=meta.get("panel"),
        item=meta.get("item"),
        similarity=ranked.similarity,
        group=group_of(meta),
    )

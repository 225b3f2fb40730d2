"""Ranked retrieval over the index, filtered by panel and kind, with optional MMR for diversity."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from coach.corpus.chunking import KINDS
from coach.corpus.loader import Corpus
from coach.errors import unknown_choice
from coach.retrieval.index import VectorIndex
from coach.corpus.schema import PANEL_SLUGS


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


class Retriever:
    def __init__(self, index: VectorIndex, corpus: Corpus, check: bool = True):
        self.settings = index.settings
        self.index = index
        self.corpus = corpus
        if check:
            self.index.check_current(self.corpus)
        self.collection = self.index.collection()

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
        where = build_filter(self.corpus, panel, kind)  # validate before paying for the embedding
        return self.search_vector(self.embed(query), panel, kind, k, mmr, fetch_k, lambda_mult, where=where)

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
    ) -> list[Hit]:
        where = where if where is not None else build_filter(self.corpus, panel, kind)
        n = max(k, fetch_k) if mmr else k
        res = self.index.guarded(
            "querying",
            lambda: self.collection.query(
                query_embeddings=[vector.tolist()],
                n_results=n,
                where=where,
                include=["documents", "metadatas", "distances"] + (["embeddings"] if mmr else []),
            ),
        )
        ids, docs, metas, dists = res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0]
        order = list(range(len(ids)))
        if mmr and ids:
            from langchain_core.vectorstores.utils import maximal_marginal_relevance

            order = maximal_marginal_relevance(vector, res["embeddings"][0], lambda_mult=lambda_mult, k=k)
        return [_hit(ids[i], docs[i], metas[i], dists[i]) for i in order[:k]]


def _hit(doc_id: str, text: str, meta: dict | None, distance: float) -> Hit:
    meta = meta or {}
    return Hit(
        id=doc_id,
        text=text,
        score=round(1.0 - float(distance), 4),  # cosine space: similarity = 1 - distance
        kind=meta.get("kind", ""),
        section=meta.get("section") or None,
        section_title=meta.get("section_title"),
        panel=meta.get("panel"),
        item=meta.get("item"),
    )

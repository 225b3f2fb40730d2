"""The scoring entry point every interface uses."""

from __future__ import annotations

from ..config import Settings, get_settings
from ..corpus import get_corpus
from ..embeddings import get_embedder
from .evidence import EvidenceScorer
from .scorecard import Scorecard
from .settings import load_scoring_settings


def get_scorer(settings: Settings | None = None) -> EvidenceScorer:
    settings = settings or get_settings()
    return EvidenceScorer(
        get_embedder(settings.embedding_model), load_scoring_settings(settings.corpus_dir), get_corpus(settings.corpus_dir)
    )


def score_answer(panel: str, answer: str, question: str = "", settings: Settings | None = None) -> Scorecard:
    """Score one answer on one panel with the evidence scorer (offline, deterministic)."""
    settings = settings or get_settings()
    corpus = get_corpus(settings.corpus_dir)
    return get_scorer(settings).score(corpus.panel(panel), answer, question)

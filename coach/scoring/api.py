"""The scoring entry point every interface uses."""

from __future__ import annotations

from typing import Protocol

from ..config import Settings, get_settings
from ..corpus import get_corpus
from ..embeddings import get_embedder
from ..errors import unknown_choice
from ..models import Panel
from .evidence import EvidenceScorer
from .scorecard import Scorecard
from .settings import load_scoring_settings

SCORERS: tuple[str, ...] = ("evidence", "judge", "combined")


class Scorer(Protocol):
    def score(self, panel: Panel, answer: str, question: str = "") -> Scorecard: ...


def get_scorer(settings: Settings | None = None, scorer: str | None = None) -> Scorer:
    """The scorer named by `scorer` or settings.scorer. The judge and combined scorers refuse the
    embedded backend, whose bundled base model cannot judge."""
    settings = settings or get_settings()
    name = scorer or settings.scorer
    if name not in SCORERS:
        raise unknown_choice("scorer", name, SCORERS)
    if name != "evidence" and settings.backend == "embedded":
        from .judge import capable_backend_required

        raise capable_backend_required()  # before the embedding model spends seconds loading
    corpus = get_corpus(settings.corpus_dir)
    evidence = EvidenceScorer(get_embedder(settings.embedding_model, settings.cache_dir), load_scoring_settings(settings.corpus_dir), corpus)
    if name == "evidence":
        return evidence
    from ..llm import get_backend
    from .judge import JudgeScorer

    return JudgeScorer(get_backend(settings), evidence, settings, corpus, mode=name)  # type: ignore[arg-type]


def score_answer(
    panel: str, answer: str, question: str = "", settings: Settings | None = None, scorer: str | None = None
) -> Scorecard:
    """Score one answer on one panel. The default evidence scorer is offline and deterministic;
    `scorer` (or COACH_SCORER) "judge" or "combined" also asks an LLM backend."""
    settings = settings or get_settings()
    corpus = get_corpus(settings.corpus_dir)
    return get_scorer(settings, scorer).score(corpus.panel(panel), answer, question)

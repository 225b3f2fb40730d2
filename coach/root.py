"""The composition root: one `Coach` holds every part of the pipeline, built once per interface
(the CLI, the web app, the eval harness, the benchmarks) and passed down. Nothing below the
interfaces reads settings from the environment or creates its own backend, corpus or index.

    coach = Coach.from_env()                          # COACH_* variables (plus overrides)
    q = coach.ask("system-design", level="staff", seed=3)
    card = coach.score("system-design", answer, question=q.text)
    session = coach.start_session("behavioral", questions=2)

Parts load on first use and once: the corpus, the embedding model, the index, the LLM backend and
the scorer. A part given to the constructor (a fake backend, a shared embedder) is used as is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from coach.config import Settings, load_settings
from coach.corpus.schema import Panel

if TYPE_CHECKING:
    from coach.corpus.loader import Corpus
    from coach.interviewer.followups import FollowUp
    from coach.interviewer.questions import Question
    from coach.llm.base import LLMBackend
    from coach.llm.prompts import Prompt
    from coach.retrieval.embeddings import Embedder
    from coach.retrieval.index import IndexReport, VectorIndex
    from coach.retrieval.search import Hit, Retriever
    from coach.scoring.api import Scorer
    from coach.scoring.evidence import EvidenceScorer
    from coach.scoring.scorecard import Scorecard
    from coach.scoring.settings import ScoringSettings
    from coach.session.mock import MockSession
    from coach.session.store import SessionStore


class Coach:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        backend: LLMBackend | None = None,
        embedder: Embedder | None = None,
        store: SessionStore | None = None,
        corpus: Corpus | None = None,
    ):
        self.settings = settings if settings is not None else load_settings()
        self._judges: dict[str, Scorer] = {}
        for name, part in (("backend", backend), ("embedder", embedder), ("store", store), ("corpus", corpus)):
            if part is not None:
                self.__dict__[name] = part  # fills the cached_property of that name

    @classmethod
    def from_env(cls, **overrides: object) -> Coach:
        """Settings from the COACH_* environment, with `overrides` (e.g. a CLI flag) on top;
        overrides that are None are left out, so an absent flag keeps the environment's value."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return cls(load_settings(**given))

    _SHARED = ("corpus", "embedder", "index", "retriever", "backend", "scoring_settings", "evidence_scorer", "store")

    def with_parts(self, **parts: object) -> Coach:
        """Another Coach on the same settings that shares every part already loaded here, except
        the ones given (e.g. an eval's record/replay backend, a throwaway session store)."""
        other = Coach(self.settings)
        for name in self._SHARED:
            if name in parts:
                other.__dict__[name] = parts[name]
            elif name in self.__dict__ and not (name in ("evidence_scorer",) and "embedder" in parts):
                other.__dict__[name] = self.__dict__[name]
        return other

    # -- parts, each created on first use ---------------------------------------------------------

    @cached_property
    def corpus(self) -> Corpus:
        from coach.corpus.loader import get_corpus

        return get_corpus(self.settings.corpus_dir)

    @cached_property
    def embedder(self) -> Embedder:
        from coach.retrieval.embeddings import get_embedder

        return get_embedder(self.settings.embedding_model, self.settings.cache_dir, self.settings.embedding_runtime)

    @cached_property
    def index(self) -> VectorIndex:
        """The built index, opened for reading (nothing is created when it is missing)."""
        from coach.retrieval.index import VectorIndex

        return VectorIndex(self.settings, lambda: self.embedder, create=False)

    @cached_property
    def retriever(self) -> Retriever:
        from coach.retrieval.search import Retriever

        return Retriever(self.index, self.corpus)

    @cached_property
    def backend(self) -> LLMBackend:
        from coach.llm import create_backend

        return create_backend(self.settings)

    @cached_property
    def scoring_settings(self) -> ScoringSettings:
        from coach.scoring.settings import load_scoring_settings

        return load_scoring_settings(self.settings.corpus_dir)

    @cached_property
    def evidence_scorer(self) -> EvidenceScorer:
        from coach.scoring.evidence import EvidenceScorer

        return EvidenceScorer(self.embedder, self.scoring_settings, self.corpus)

    @property
    def scorer(self) -> Scorer:
        """The scorer named by settings.scorer."""
        return self.scorer_named(None)

    def prepare_scoring(self, question: str, asks: list[str] | None = None):
        """Start embedding, in the background, what scoring an answer to `question` needs of the
        question itself (`coach.scoring.prepare`); a Future, or None while no scorer is loaded
        (loading one is not worth doing early: the first answer loads it)."""
        scorer = self.__dict__.get("evidence_scorer")
        if scorer is None:
            return None
        from coach.scoring.prepare import in_background

        return in_background(scorer.prepare_question, question, asks)

    @cached_property
    def store(self) -> SessionStore:
        from coach.session.store import SessionStore

        return SessionStore(self.settings.sessions_db)

    def scorer_named(self, name: str | None) -> Scorer:
        """A scorer by name (None: the configured one); the judge and combined scorers ask this
        coach's backend."""
        from coach.scoring.api import check_scorer

        name = check_scorer(name or self.settings.scorer, self.settings)
        if name == "evidence":
            return self.evidence_scorer
        if name not in self._judges:
            from coach.scoring.judge import JudgeScorer

            self._judges[name] = JudgeScorer(self.backend, self.evidence_scorer, self.settings, self.corpus, mode=name)  # type: ignore[arg-type]
        return self._judges[name]

    def prompt(self, prompt_id: str, style: str) -> Prompt:
        from coach.llm.prompts import load_prompt

        return load_prompt(prompt_id, style, self.settings.prompts_dir)  # type: ignore[arg-type]

    def panel(self, panel: str | Panel) -> Panel:
        """The Panel for a slug (an unknown slug is an error listing the valid ones)."""
        return panel if isinstance(panel, Panel) else self.corpus.panel(panel)

    # -- what a script needs ----------------------------------------------------------------------

    def build_index(self, progress: bool = False) -> IndexReport:
        """Build or update the index (only changed chunks are embedded); later reads see it."""
        from coach.retrieval.index import VectorIndex

        report = VectorIndex(self.settings, lambda: self.embedder, create=True).build(self.corpus, progress=progress)
        for stale in ("index", "retriever"):
            self.__dict__.pop(stale, None)
        return report

    def warm_up(self) -> None:
        """Load the embedding model and embed what scoring and follow-ups read besides the answer;
        with the disk vector cache, a later process reads those vectors instead of computing them."""
        from coach.interviewer import _rewrite
        from coach.interviewer.followups import prepare

        self.evidence_scorer.prepare(list(self.corpus.panels.values()))
        prepare(self)
        _rewrite.prepare(self)  # only when rewriting is on for this backend

    def search(self, query: str, panel: str | None = None, kind: str | None = None, k: int = 5, mmr: bool = False) -> list[Hit]:
        return self.retriever.search(query, panel=panel, kind=kind, k=k, mmr=mmr)

    def ask(self, panel: str | Panel, level: str = "staff", focus: str | None = None, seed: int | None = None,
            asked: Sequence[str] = (), coverage: Mapping[str, str] | None = None, **options) -> Question:
        """One grounded question for the panel (see `coach.interviewer.questions.ask`)."""
        from coach.interviewer.questions import ask

        return ask(self, self.panel(panel), level, focus, seed, asked, coverage=coverage, **options)

    def follow_up(self, panel: str | Panel, question: str, answer: str, coverage: Mapping[str, str] | None = None,
                  level: str = "staff", seed: int | None = None, **options) -> FollowUp:
        """One follow-up to `answer` (see `coach.interviewer.followups.follow_up`)."""
        from coach.interviewer.followups import follow_up

        return follow_up(self, self.panel(panel), question, answer, coverage, level, seed, **options)

    def score(self, panel: str | Panel, answer: str, question: str = "", scorer: str | None = None, *,
              asks: list[str] | None = None, probed: str | None = None) -> Scorecard:
        """Score one answer on one panel with the configured scorer (or the one named): against the
        question's asks (given, or split from its text) and, for a follow-up answer, on the signal
        it probed."""
        return self.scorer_named(scorer).score(self.panel(panel), answer, question, asks=asks, probed=probed)

    def start_session(self, panel: str | Panel, level: str = "staff", **options) -> MockSession:
        """A new mock interview, saved as it goes (see `coach.session.mock.MockSession.start`)."""
        from coach.session.mock import MockSession

        return MockSession.start(self, self.panel(panel), level, **options)

    def load_session(self, session_id: str) -> MockSession:
        from coach.session.mock import MockSession

        return MockSession.load(self, session_id)

    def list_sessions(self) -> list[dict]:
        """Saved sessions, most recently active first."""
        return self.store.list()

"""`coach eval`: run suites on fixed fixtures, compare with the backend's baseline, report drift.

Every LLM call goes through the record/replay cache, so a second run with nothing changed is
offline, deterministic and quiet; a changed prompt, model or sampling setting misses the cache
and is generated afresh.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Callable

from coach.config import Settings
from coach.errors import UserInputError
from coach.llm import create_backend
from coach.llm.base import Repeat
from coach.llm.cache import CachedBackend
from coach.root import Coach
from coach.evals.base import SuiteResult
from coach.evals.baseline import Comparison, compare, load_baseline, load_rules, write_baseline
from coach.evals.fingerprint import fingerprint, suites_affected

SUITES = ("retrieval", "questions", "followups", "scoring", "sessions", "loop")
LLM_SUITES = ("questions", "followups", "sessions", "loop")


@dataclass
class Context:
    """What suites need, created lazily so a scoring-only run never loads the LLM."""

    coach: Coach
    backend_name: str
    record: bool = False
    repeat: int = 0
    quick: bool = False
    panels: tuple[str, ...] | None = None  # restrict panel-based suites (drift proofs use two)
    _cache: dict = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.coach.settings

    @property
    def fixtures(self) -> Path:
        return self.settings.evals_dir / "fixtures"

    def backend(self) -> CachedBackend:
        if "backend" not in self._cache:
            inner = create_backend(self.settings.model_copy(update={"llm_cache": "off"}), self.backend_name)
            mode = "record" if self.record else "replay"
            self._cache["backend"] = CachedBackend(inner, self.settings.cache_dir / "llm.sqlite3", mode=mode)
        return self._cache["backend"]

    def llm_coach(self) -> Coach:
        """The coach with the cached backend, tagged with the repeat number so each repeat is its
        own sample; built on the indexed coach, so the index and models are shared."""
        backend = self.backend()
        return self.indexed().with_parts(backend=backend if self.repeat == 0 else Repeat(backend, self.repeat))

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def indexed(self) -> Coach:
        """The coach, once its index is current (incremental: embeds only what changed)."""
        if "indexed" not in self._cache:
            self.coach.build_index()
            self._cache["indexed"] = True
        return self.coach


def _retrieval(ctx: Context) -> SuiteResult:
    from coach.evals import retrieval

    return retrieval.run(ctx.indexed().retriever, ctx.fixtures)


def _scoring(ctx: Context) -> SuiteResult:
    from coach.evals import scoring

    if ctx.panels:
        return scoring.run(ctx.coach.scorer, ctx.coach.corpus, ctx.fixtures, ctx.panels, with_probes=False)
    return scoring.run(ctx.coach.scorer, ctx.coach.corpus, ctx.fixtures, with_probes=not ctx.quick)


def _questions(ctx: Context) -> SuiteResult:
    from coach.evals import questions

    if ctx.panels:
        # A run on chosen panels is a quick look (and what tests use): fewer first-question seeds.
        return questions.run(ctx.llm_coach(), panels=ctx.panels, per_panel=2, sessions=1, first_seeds=4)
    return questions.run(ctx.llm_coach(), per_panel=ctx.size(30, 5))


def _followups(ctx: Context) -> SuiteResult:
    from coach.evals import followups

    return followups.run(ctx.llm_coach(), per_panel=None if not ctx.quick else 3)


def _sessions(ctx: Context) -> SuiteResult:
    from coach.evals import sessions

    return sessions.run(ctx.llm_coach())


def _loop(ctx: Context) -> SuiteResult:
    from coach.evals import loop

    return loop.run(ctx.llm_coach())


RUNNERS: dict[str, Callable[[Context], SuiteResult]] = {
    "retrieval": _retrieval,
    "questions": _questions,
    "followups": _followups,
    "scoring": _scoring,
    "sessions": _sessions,
    "loop": _loop,
}


@dataclass
class EvalRun:
    backend: str
    results: list[SuiteResult]
    comparison: Comparison
    fingerprint: dict
    seconds: float
    cache_hits: int = 0
    cache_misses: int = 0
    report_files: tuple[Path, ...] = ()
    changelog: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.comparison.failed

    def summary(self) -> dict:
        return {"backend": self.backend, "fingerprint": self.fingerprint, "seconds": round(self.seconds, 1), "cache_hits": self.cache_hits, "cache_misses": self.cache_misses}


def run_eval(
    suites: list[str] | None = None,
    backend: str | None = None,
    report_dir: Path | None = None,
    repeat: int = 1,
    record: bool = False,
    update_baseline: bool = False,
    reason: str = "",
    quick: bool = False,
    settings: Settings | None = None,
    progress: bool = True,
    panels: tuple[str, ...] | None = None,
) -> EvalRun:
    settings = settings if settings is not None else Settings()
    chosen = list(suites or SUITES)
    bad = [s for s in chosen if s not in RUNNERS]
    if bad:
        raise UserInputError(f"Unknown suite(s) {', '.join(bad)}.", f"Choose from: {', '.join(SUITES)}.")
    if repeat < 1:
        raise UserInputError("--repeat must be at least 1.", "Use --repeat 3 to see the spread of a non-deterministic backend.")
    backend_name = backend or settings.backend
    started = time.perf_counter()
    coach = Coach(settings)
    corpus = coach.corpus
    ctx = Context(coach, backend_name, record=record, quick=quick, panels=panels)

    from tqdm import tqdm

    results: list[SuiteResult] = []
    for name in tqdm(chosen, desc="eval suites", unit="suite", disable=not progress):
        runs = []
        for r in range(repeat):
            ctx.repeat = r
            runs.append(RUNNERS[name](ctx))
        results.append(_merge(runs) if repeat > 1 else runs[0])

    model = ctx._cache["backend"].model if "backend" in ctx._cache else _backend_model(settings, backend_name)
    from coach.retrieval.index import expected_fingerprint

    fp = fingerprint(settings, corpus, model, expected_fingerprint(settings, corpus))
    baseline = load_baseline(settings.evals_dir, backend_name)
    comp = compare(results, baseline, load_rules(settings.evals_dir / "floors.yaml"), fp)
    for change in comp.fingerprint_changes:
        change["suites"] = list(suites_affected(change["component"]))
    cache = ctx._cache.get("backend")
    run = EvalRun(
        backend=backend_name,
        results=results,
        comparison=comp,
        fingerprint=fp,
        seconds=time.perf_counter() - started,
        cache_hits=getattr(cache, "hits", 0),
        cache_misses=getattr(cache, "misses", 0),
    )
    if report_dir is not None:
        from coach.evals.report import write_reports

        history = load_baseline(settings.evals_dir, backend_name).get("history", [])
        run.report_files = write_reports(Path(report_dir), run.summary(), results, comp, history)
    if update_baseline:
        run.changelog = write_baseline(settings.evals_dir, backend_name, results, fp, reason)
    return run


def _backend_model(settings: Settings, name: str) -> str:
    """The model identity without loading it (scoring/retrieval-only runs)."""
    if name == "embedded":
        from coach.llm.embedded import file_sha256, resolve_model_path

        path = resolve_model_path(settings)
        return f"{path.stem}@sha256:{file_sha256(path, settings)[:16]}"
    return settings.openai_model if name == "openai" else settings.ollama_model


def _merge(runs: list[SuiteResult]) -> SuiteResult:
    """Mean of each metric over repeats, with its spread, and each failing case's failure rate."""
    first = runs[0]
    metrics = {k: round(mean(r.metrics[k] for r in runs), 4) for k in first.metrics}
    spread = {k: {"mean": metrics[k], "min": min(r.metrics[k] for r in runs), "max": max(r.metrics[k] for r in runs)} for k in first.metrics}
    counts: dict[str, int] = {}
    for r in runs:
        for f in r.failures:
            counts[str(f.get("case"))] = counts.get(str(f.get("case")), 0) + 1
    failures = [dict(f, fail_rate=round(counts[str(f.get("case"))] / len(runs), 2)) for f in runs[-1].failures]
    details = dict(first.details, spread=spread, repeats=len(runs), case_fail_rates=counts)
    return SuiteResult(first.name, metrics, first.per_panel, failures, details, sum(r.seconds for r in runs))

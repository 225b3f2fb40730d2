"""A long run in one process: 1,000 scores through the Python API, every answer new.

Memory (resident set) at the start and the end, and the p95 latency of the first and the last 100
scores: a memo or cache that grows without bound shows as memory climbing and latency drifting.
Goals: memory flat within 10 %, p95 drift within 10 %. The answers are fixture answers of the
panel with the run's number written into every sentence, so no sentence is a cache hit and every
score embeds its whole answer (the memo and the disk vector cache grow as they do for a user).
"""

from __future__ import annotations

import gc
import os
import re
import time
from pathlib import Path

import yaml

from coach.config import REPO_ROOT

from .common import Result, pct, settings_for, temp_data_dir, warm_embedder

NAME = "endurance"
SCORES = 1_000
WINDOW = 100
PANEL = "system-design"
FIXTURES = REPO_ROOT / "evals" / "fixtures" / "scoring"
_SENTENCE_END = re.compile(r"([.?!])(\s|$)")


def rss_mb() -> float:
    """Resident memory of this process now (Linux /proc; the peak from getrusage elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _answers(coach) -> list[tuple[str, str]]:
    """(question, answer) pairs of the panel's graded fixture answers, each with its sample question."""
    questions = {q.id: q.text for q in coach.panel(PANEL).sample_questions}
    doc = yaml.safe_load((FIXTURES / f"{PANEL}.yaml").read_text(encoding="utf-8"))
    return [(questions.get(a.get("question"), ""), a["text"]) for a in doc["answers"]]


def run() -> Result:
    from coach.root import Coach

    result = Result(NAME)
    with temp_data_dir() as data:
        settings = settings_for(data)
        coach = Coach(settings, embedder=warm_embedder(settings.embedding_model))
        coach.build_index()
        pairs = _answers(coach)
        coach.score(PANEL, pairs[0][1], pairs[0][0])  # loads the scorer's reference vectors
        gc.collect()
        start_mb = rss_mb()
        seconds = []
        for n in range(SCORES):
            question, answer = pairs[n % len(pairs)]
            text = _SENTENCE_END.sub(f" (take {n + 1})\\1\\2", answer)
            started = time.perf_counter()
            coach.score(PANEL, text, question)
            seconds.append(time.perf_counter() - started)
        gc.collect()
        end_mb = rss_mb()
    first, last = pct(seconds[:WINDOW], 95), pct(seconds[-WINDOW:], 95)
    result.add("rss_start", "memory after warm-up", start_mb, "MB")
    result.add("rss_end", f"memory after {SCORES:,} scores", end_mb, "MB")
    result.add("rss_growth", "memory growth", 100 * (end_mb - start_mb) / start_mb, "%", goal=10)
    result.add("p95_first", f"score p95, first {WINDOW}", first * 1000, "ms")
    result.add("p95_last", f"score p95, last {WINDOW}", last * 1000, "ms")
    result.add("p95_drift", "p95 drift, last vs first", 100 * (last - first) / first, "%", goal=10)
    result.info.update(scores=SCORES, distinct_fixture_answers=len(pairs))
    return result

"""Index build: full build and no-op re-index, in-process and as `coach index`, vs bare encoding."""

from __future__ import annotations

import re
import statistics
import subprocess
import time

from .common import (
    Result,
    bare_encoder,
    build_index,
    coach_command,
    embedder_load_seconds,
    ratio,
    settings_for,
    subprocess_env,
    temp_data_dir,
    timed,
    warm_embedder,
)

NAME = "index_build"
NOOP_REPEATS = 5
BUILD_REPEATS = 2
_CLI_REPORT = re.compile(r"(\d+) added, (\d+) updated, (\d+) removed, (\d+) unchanged in ([\d.]+)s")


def _coach_index(data_dir) -> tuple[float, dict]:
    """Wall seconds of one `coach index -q` in a fresh process, and what it reported."""
    start = time.perf_counter()
    proc = subprocess.run([*coach_command(), "index", "-q"], env=subprocess_env(data_dir), capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"`coach index -q` exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    m = _CLI_REPORT.search(proc.stdout)
    reported = dict(zip(["added", "updated", "removed", "unchanged", "seconds"], map(float, m.groups()))) if m else {}
    return wall, reported


def run() -> Result:
    from coach.corpus.chunking import corpus_documents

    result = Result(NAME)
    with temp_data_dir() as data:
        embedder = warm_embedder(settings_for(data).embedding_model)
        bare = bare_encoder(embedder)

        builds, bares = [], []
        for i in range(BUILD_REPEATS):  # alternated, fastest of each: the least disturbed by other load
            settings = settings_for(data / f"build-{i}")
            seconds, (index, report) = timed(build_index, settings, embedder)
            builds.append(seconds)
            texts = [d.page_content for d in corpus_documents(index.corpus, index.index.chunker)]
            bares.append(timed(bare, texts)[0])
        build_s, bare_s = min(builds), min(bares)
        result.add("build_s", f"full build, in-process (embedder loaded; best of {BUILD_REPEATS})", build_s, "s", goal=30)
        result.add("bare_encode_s", f"bare sentence-transformers encode(chunk texts; best of {BUILD_REPEATS})", bare_s, "s")
        result.add("build_vs_bare", "build / bare encode", ratio(build_s, bare_s), "x")

        noops = []
        for _ in range(NOOP_REPEATS):
            seconds, (_, noop) = timed(build_index, settings, embedder)
            noops.append(seconds)
        result.add("noop_s", f"no-op re-index, in-process (median of {NOOP_REPEATS})", statistics.median(noops), "s", goal=2,
                   note="" if noop.embedded == 0 else f"re-embedded {noop.embedded} chunks")
        noop_cli_s, noop_cli = _coach_index(settings.data_dir)  # the last build
        result.add("noop_cli_s", "no-op `coach index -q`, subprocess wall", noop_cli_s, "s")

    with temp_data_dir() as cold_data:
        cold_s, cold = _coach_index(cold_data)
        result.add("cold_cli_s", "cold `coach index -q` (full build), subprocess wall", cold_s, "s")

    result.info = {
        "chunks": len(texts),
        "chunk_chars": sum(len(t) for t in texts),
        "build_runs_s": [round(s, 2) for s in builds],
        "bare_runs_s": [round(s, 2) for s in bares],
        "build_report": {"added": report.added, "seconds": round(report.seconds, 3)},
        "noop_report_in_process": {"embedded": noop.embedded, "unchanged": noop.unchanged},
        "noop_runs_s": [round(s, 4) for s in noops],
        "noop_cli_report": noop_cli,
        "cold_cli_report": cold,
        "embedder_load_s": embedder_load_seconds(settings.embedding_model),
    }
    return result

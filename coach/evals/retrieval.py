"""Retrieval suite: recall@1/3/5 and MRR over labelled, naturally phrased queries."""

from __future__ import annotations

import time
from collections import defaultdict

from coach.retrieval.search import Hit, Retriever
from coach.evals.base import SuiteResult, load_fixture

FIXTURE = "retrieval.yaml"
KS = (1, 3, 5)


def is_relevant(hit: Hit, targets: list[str]) -> bool:
    for t in targets:
        if t.startswith("section:"):
            if hit.section == int(t.split(":", 1)[1]):
                return True
        elif hit.id == t:
            return True
    return False


def _group(targets: list[str]) -> str:
    first = targets[0]
    if first.startswith("panel:"):
        return first.split(":")[1]
    return first.split(":")[0]


def run(retriever: Retriever, fixtures_dir) -> SuiteResult:
    started = time.perf_counter()
    queries = load_fixture(fixtures_dir / FIXTURE)["queries"]
    ranks: list[int | None] = []
    groups: dict[str, list[int | None]] = defaultdict(list)
    failures = []
    for q in queries:
        hits = retriever.search(q["query"], panel=q.get("panel"), kind=q.get("kind"), k=max(KS))
        rank = next((i + 1 for i, h in enumerate(hits) if is_relevant(h, q["targets"])), None)
        ranks.append(rank)
        groups[_group(q["targets"])].append(rank)
        if rank is None or rank > 3:
            failures.append(
                {"id": q["id"], "query": q["query"], "targets": q["targets"], "rank": rank, "got": [h.id for h in hits]}
            )
    return SuiteResult(
        name="retrieval",
        metrics=_metrics(ranks),
        per_panel={g: _metrics(r) for g, r in sorted(groups.items())},
        failures=failures,
        details={"queries": len(queries)},
        seconds=time.perf_counter() - started,
    )


def _metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    out = {f"recall@{k}": round(sum(1 for r in ranks if r and r <= k) / n, 4) for k in KS}
    out["mrr"] = round(sum(1 / r for r in ranks if r) / n, 4)
    return out

"""Retrieval suite: recall@1/3/5 and MRR over labelled, naturally phrased queries.

The fixture has two blocks, reported together (`recall@k`, `mrr`) and apart: `queries`, filtered
and unfiltered, for compendium sections, panel items and cases (`main_*`), and
`knowledge_queries`, short unfiltered knowledge questions that the compendium answers
(`knowledge_hit@k`, `knowledge_mrr`): the ones a mixed index used to lose to panel items.
"""

from __future__ import annotations

import time
from collections import defaultdict

from coach.retrieval.search import Hit, Retriever
from coach.evals.base import SuiteResult, load_fixture

FIXTURE = "retrieval.yaml"
KS = (1, 3, 5)
KNOWLEDGE = "knowledge"


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
    data = load_fixture(fixtures_dir / FIXTURE)
    blocks = {"main": data["queries"], KNOWLEDGE: data.get("knowledge_queries") or []}
    ranks: dict[str, list[int | None]] = {name: [] for name in blocks}
    groups: dict[str, list[int | None]] = defaultdict(list)
    failures = []
    # Every query embedded in one batched call (one at a time it was ~10x the model passes); the
    # ranking is `search`'s own, from the vector and the query's words.
    texts = list(dict.fromkeys(q["query"] for queries in blocks.values() for q in queries))
    vectors = dict(zip(texts, retriever.index.embedder.encode(texts))) if texts else {}
    for block, queries in blocks.items():
        for q in queries:
            hits = retriever.search_vector(vectors[q["query"]], panel=q.get("panel"), kind=q.get("kind"), k=max(KS), text=q["query"])
            rank = next((i + 1 for i, h in enumerate(hits) if is_relevant(h, q["targets"])), None)
            ranks[block].append(rank)
            groups[KNOWLEDGE if block == KNOWLEDGE else _group(q["targets"])].append(rank)
            if rank is None or rank > (1 if block == KNOWLEDGE else 3):
                failures.append(
                    {"id": q["id"], "query": q["query"], "targets": q["targets"], "rank": rank, "got": [h.id for h in hits]}
                )
    metrics = _metrics(ranks["main"] + ranks[KNOWLEDGE])
    metrics.update({f"main_{name}": value for name, value in _metrics(ranks["main"]).items()})
    if ranks[KNOWLEDGE]:
        knowledge = _metrics(ranks[KNOWLEDGE])
        metrics.update({f"knowledge_hit@{k}": knowledge[f"recall@{k}"] for k in KS})
        metrics["knowledge_mrr"] = knowledge["mrr"]
    return SuiteResult(
        name="retrieval",
        metrics=metrics,
        per_panel={g: _metrics(r) for g, r in sorted(groups.items())},
        failures=failures,
        details={"queries": sum(len(r) for r in ranks.values()), "knowledge_queries": len(ranks[KNOWLEDGE])},
        seconds=time.perf_counter() - started,
    )


def _metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    out = {f"recall@{k}": round(sum(1 for r in ranks if r and r <= k) / n, 4) for k in KS}
    out["mrr"] = round(sum(1 / r for r in ranks if r) / n, 4)
    return out

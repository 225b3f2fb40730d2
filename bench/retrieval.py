"""Retrieval latency over the labelled fixture queries: coach (hybrid ranking) vs a bare chromadb query."""

from __future__ import annotations

import json
import time

from .common import Result, build_index, forget_memo, pct, ratio, settings_for, temp_data_dir, warm_embedder

NAME = "retrieval"
REPEATS = 5
K = 5


def _ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def run() -> Result:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from coach.evals.base import load_fixture
    from coach.retrieval.search import build_filter

    result = Result(NAME)
    with temp_data_dir() as data:
        settings = settings_for(data)
        embedder = warm_embedder(settings.embedding_model)
        coach, _ = build_index(settings, embedder)
        retriever = coach.retriever
        bare = chromadb.PersistentClient(path=str(settings.index_dir), settings=ChromaSettings(anonymized_telemetry=False))
        collection = bare.get_collection(settings.collection)

        fixture = load_fixture(settings.evals_dir / "fixtures" / "retrieval.yaml")
        queries = fixture["queries"] + (fixture.get("knowledge_queries") or [])
        cases = [
            (q["query"], q.get("panel"), q.get("kind"), build_filter(retriever.corpus, q.get("panel"), q.get("kind")), retriever.embed(q["query"]))
            for q in queries
        ]
        calls = {
            "search": lambda text, panel, kind, where, vec: retriever.search(text, panel=panel, kind=kind, k=K),
            "vector": lambda text, panel, kind, where, vec: retriever.search_vector(vec, panel=panel, kind=kind, k=K, text=text),
            "bare": lambda text, panel, kind, where, vec: collection.query(query_embeddings=[vec], n_results=K, where=where),
            "embed": lambda text, panel, kind, where, vec: retriever.embed(text),
        }
        # The hybrid ranking differs from the bare one by design; what must hold is the filter:
        # every hit is a document the same `where` admits. Doubles as the warm-up of both.
        admitted = {json.dumps(c[3], sort_keys=True): set(collection.get(where=c[3], include=[])["ids"]) for c in cases if c[3]}
        within = sum(
            not c[3] or {h.id for h in calls["vector"](*c)} <= admitted[json.dumps(c[3], sort_keys=True)] for c in cases
        )
        for c in cases:
            calls["bare"](*c)
        for c in cases:
            calls["search"](*c)

        times: dict[str, list[float]] = {name: [] for name in calls}
        order = list(calls)
        for rep in range(REPEATS):
            rotated = order[rep % len(order):] + order[: rep % len(order)]  # no method always goes first
            for c in cases:
                for name in rotated:
                    forget_memo(embedder)  # every query is embedded, as a new one would be
                    times[name].append(_ms(lambda: calls[name](*c)))

    p = {name: (pct(t, 50), pct(t, 95)) for name, t in times.items()}
    result.add("search_p50_ms", "Retriever.search p50 (incl. query embedding)", p["search"][0], "ms")
    result.add("search_p95_ms", "Retriever.search p95 (incl. query embedding)", p["search"][1], "ms")
    result.add("vector_p50_ms", "Retriever.search_vector p50 (hybrid, query words given)", p["vector"][0], "ms")
    result.add("vector_p95_ms", "Retriever.search_vector p95 (hybrid, query words given)", p["vector"][1], "ms", goal=30)
    result.add("bare_p50_ms", "bare chromadb collection.query p50", p["bare"][0], "ms")
    result.add("bare_p95_ms", "bare chromadb collection.query p95", p["bare"][1], "ms")
    result.add("vector_vs_bare_p50", "search_vector / bare, p50", ratio(p["vector"][0], p["bare"][0]), "x", goal=1.5)
    result.add("vector_vs_bare_p95", "search_vector / bare, p95", ratio(p["vector"][1], p["bare"][1]), "x", goal=1.5)
    result.add("embed_p50_ms", "query embedding alone p50", p["embed"][0], "ms")
    result.add("embed_share_pct", "embedding share of search (p50 / p50)", 100 * p["embed"][0] / p["search"][0], "%")
    result.info = {
        "queries": len(cases),
        "filtered": sum(1 for c in cases if c[3] is not None),
        "repeats": REPEATS,
        "samples_per_method": len(times["search"]),
        "k": K,
        "hits_within_filter": f"{within}/{len(cases)}",
    }
    return result

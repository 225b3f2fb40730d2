"""Question latency on the embedded backend vs bare llama-cpp-python on the same prompts and settings.

Each `ask()` (retrieval, prompt building, best-of-N generation, validation, reranking) is timed
end to end. Its candidates are decoded side by side in one llama.cpp batch. The same rendered
prompts are then sent to `Llama.create_completion` directly, one after another, with the same
sampling settings and a fresh context per call: the plain way to do best-of-N with the bare
library. The ratio shows what batching saves; the overhead share shows what the pipeline adds
outside generation.
"""

from __future__ import annotations

import time

from coach.llm.base import BackendWrapper

from .common import Result, build_index, pct, ratio, settings_for, temp_data_dir, warm_embedder

NAME = "questions"
PANELS = ("system-design", "behavioral", "coding", "leadership")
SEEDS_PER_PANEL = 2  # each ask is best-of-8; 8 asks (and their bare replays) keep the run near 5 minutes


class _Timed(BackendWrapper):
    """The real backend, with every generation's prompt, sampling, time and tokens written down."""

    def __init__(self, inner):
        super().__init__(inner)
        self.calls: list[tuple[object, object, float, int]] = []

    def generate(self, prompt, sampling, repeat: int = 0):
        gen = self.inner.generate(prompt, sampling, repeat)
        self.calls.append((prompt, sampling, gen.seconds, gen.tokens))
        return gen

    def generate_many(self, prompts, samplings, repeat: int = 0):
        started = time.perf_counter()
        out = self.inner.generate_many(prompts, samplings, repeat)
        share = (time.perf_counter() - started) / max(len(prompts), 1)  # one call's time, spread over its prompts
        for p, s, g in zip(prompts, samplings, out):
            self.calls.append((p, s, share, getattr(g, "tokens", 0)))
        return out


def _bare(llm, prompt, sampling) -> float:
    start = time.perf_counter()
    llm.reset()
    llm.create_completion(
        prompt.text, max_tokens=sampling.max_tokens, temperature=sampling.temperature,
        top_p=sampling.top_p, stop=list(sampling.stop) or None, seed=sampling.seed,
    )
    return time.perf_counter() - start


def run() -> Result:
    from coach.llm.embedded import EmbeddedBackend
    from coach.interviewer.questions import CANDIDATES

    result = Result(NAME)
    with temp_data_dir() as data:
        settings = settings_for(data)
        embedder = warm_embedder(settings.embedding_model)
        indexed, _ = build_index(settings, embedder)
        backend = _Timed(EmbeddedBackend(settings))
        coach = indexed.with_parts(backend=backend)
        load_s = time.perf_counter()
        llm = backend.inner.llama
        load_s = time.perf_counter() - load_s
        coach.ask(PANELS[0], seed=999)  # warm-up
        backend.calls.clear()

        asks: list[float] = []
        generation: list[float] = []
        bare: list[float] = []
        tokens = 0
        fallbacks = 0
        n_calls = 0
        for slug in PANELS:
            asked: list[str] = []
            for i in range(SEEDS_PER_PANEL):
                start = len(backend.calls)
                t0 = time.perf_counter()
                q = coach.ask(slug, seed=100 + i, asked=asked)
                asks.append(time.perf_counter() - t0)
                asked.append(q.text)
                fallbacks += q.is_fallback
                calls = backend.calls[start:]
                generation.append(sum(c[2] for c in calls))
                tokens += sum(c[3] for c in calls)
                n_calls += len(calls)
                bare.append(sum(_bare(llm, p, s) for p, s, _, _ in calls))

    gen_total = sum(generation)
    overhead = [a - g for a, g in zip(asks, generation)]
    result.add("ask_p50", "ask() p50 (best-of-N, end to end)", pct(asks, 50), "s")
    result.add("ask_p95", "ask() p95 (best-of-N, end to end)", pct(asks, 95), "s", goal=2.5)
    result.add("bare_p50", "bare create_completion, same prompts one by one, p50", pct(bare, 50), "s")
    result.add("bare_p95", "bare create_completion, same prompts one by one, p95", pct(bare, 95), "s")
    result.add("ask_vs_bare_p95", "ask / bare (p95)", ratio(pct(asks, 95), pct(bare, 95)), "x")
    result.add("overhead_share", "pipeline outside generation / generation", 100 * sum(overhead) / gen_total, "%", goal=15,
               note="retrieval, prompt building, validation, reranking")
    result.add("tokens_per_s", "generated tokens per second (all sequences of a batch)", tokens / gen_total, "tok/s")
    result.info.update(asks=len(asks), candidates_per_batch=CANDIDATES, generations=n_calls,
                       fallbacks=fallbacks, model_load_s=round(load_s, 2))
    return result

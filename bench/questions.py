"""What the interviewer says, timed as a user waits for it, next to the bare work underneath.

- A composed question: `coach.ask()` (target signal, focus ranking, composition, the duplicate
  check) against the bare work it cannot avoid: the composer alone plus one sentence-transformers
  encode of the question.
- A composed follow-up after a scored answer (`coach.follow_up()` with the session's scorecard,
  which carries the answer's sentence vectors as the scorer embedded them, so they are not
  embedded twice; the frames' vectors come with the warm-up, like the scorer's rubric)
  against the bare encode of the answer's sentences and the frames it compares.
- Starting a session: what the web app's Start button waits for once the models are loaded.
- The gated rewrite on the embedded model (COACH_REWRITE=on, which the default leaves off): the
  rewrite step against bare llama-cpp-python completing the same prompts one by one.

Every timed call is a new input: the embedder's memo is emptied first and no disk cache is used.
"""

from __future__ import annotations

import time

from coach.llm.base import BackendWrapper

from .common import Result, bare_encoder, build_index, forget_memo, pct, ratio, settings_for, temp_data_dir, warm_embedder

NAME = "questions"
PANELS = ("system-design", "behavioral", "coding", "leadership", "cross-functional", "bar-raiser", "architecture-deep-dive")
ASKS_PER_PANEL = 6
REWRITES = 6


class _Timed(BackendWrapper):
    """The real backend, with every generation's prompt and sampling written down."""

    def __init__(self, inner):
        super().__init__(inner)
        self.calls: list[tuple[object, object]] = []

    def generate_many(self, prompts, samplings, repeat: int = 0):
        self.calls.extend(zip(prompts, samplings))
        return self.inner.generate_many(prompts, samplings, repeat)


def _bare_completion(llm, prompt, sampling) -> float:
    start = time.perf_counter()
    llm.reset()
    llm.create_completion(prompt.text, max_tokens=sampling.max_tokens, temperature=sampling.temperature,
                          top_p=sampling.top_p, stop=list(sampling.stop) or None, seed=sampling.seed)
    return time.perf_counter() - start


def _timed(fn, embedder):
    forget_memo(embedder)
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def run() -> Result:
    from coach.evals.followups import load_followup_fixtures
    from coach.interviewer.compose import compose
    from coach.interviewer.followups import frames_for
    from coach.interviewer.questions import bank_for
    from coach.llm.embedded import EmbeddedBackend
    from coach.scoring.text import split_sentences
    from coach.seeding import rng

    result = Result(NAME)
    with temp_data_dir() as data:
        settings = settings_for(data)
        embedder = warm_embedder(settings.embedding_model)
        coach, _ = build_index(settings, embedder)
        encode = bare_encoder(embedder)
        coach.warm_up()  # models loaded: rubrics, frames and signal texts embedded once per process
        coach.ask(PANELS[0], seed=999)  # warm-up: banks loaded, combinations cached

        asks, bare_asks = [], []
        for slug in PANELS:
            asked: list[str] = []
            for i in range(ASKS_PER_PANEL):
                seconds, q = _timed(lambda: coach.ask(slug, seed=500 + i, asked=asked), embedder)
                asks.append(seconds)
                asked.append(q.text)
                bank = bank_for(coach, coach.panel(slug))
                start = time.perf_counter()
                composed = compose(bank, q.provenance.signals[0], q.level, rng(500 + i, slug, "bench"))
                encode([composed.text])
                bare_asks.append(time.perf_counter() - start)

        # What pressing Start waits for once the models are loaded: a saved session and its first question.
        starts = []
        for i, slug in enumerate(PANELS * 2):
            seconds, _ = _timed(lambda: coach.start_session(slug, questions=2, followups=1, seed=900 + i), embedder)
            starts.append(seconds)

        fus, bare_fus = [], []
        fixtures = load_followup_fixtures(settings.evals_dir / "fixtures", coach.corpus)
        for slug, fx in fixtures.items():
            panel = coach.panel(slug)
            questions = {q.id: q.text for q in panel.sample_questions}
            for case in fx.cases[:2]:
                card = coach.score(panel, case.answer, questions[case.question])
                seconds, fu = _timed(lambda: coach.follow_up(panel, questions[case.question], case.answer, seed=1, scorecard=card), embedder)
                fus.append(seconds)
                texts = split_sentences(case.answer) + [f.text for f in frames_for(panel, panel.signal(fu.signal), coach.corpus.items.get(slug))]
                start = time.perf_counter()
                encode(texts)
                bare_fus.append(time.perf_counter() - start)

        backend = _Timed(EmbeddedBackend(settings))
        writer = coach.with_parts(backend=backend)
        writer.settings = settings.model_copy(update={"rewrite": "on"})
        llm = backend.inner.llama
        writer.ask(PANELS[0], seed=998)  # warm-up: the model and its batch context
        backend.calls.clear()
        rewrites, bare_rewrites, shown = [], [], 0
        for i in range(REWRITES):
            slug = PANELS[i % len(PANELS)]
            start_calls = len(backend.calls)
            seconds, q = _timed(lambda: writer.ask(slug, seed=700 + i), embedder)
            rewrites.append(seconds)
            shown += q.composition == "rewrite"
            bare_rewrites.append(sum(_bare_completion(llm, p, s) for p, s in backend.calls[start_calls:]))

    result.add("ask_p50_ms", "composed question: ask() p50", 1000 * pct(asks, 50), "ms")
    result.add("ask_p95_ms", "composed question: ask() p95", 1000 * pct(asks, 95), "ms", goal=300)
    result.add("ask_vs_bare_p95", "ask / bare compose + encode (p95)", ratio(pct(asks, 95), pct(bare_asks, 95)), "x")
    result.add("start_p95_ms", "start a session (saved) with its first question, p95", 1000 * pct(starts, 95), "ms", goal=1000)
    result.add("followup_p50_ms", "composed follow-up p50", 1000 * pct(fus, 50), "ms")
    result.add("followup_p95_ms", "composed follow-up p95", 1000 * pct(fus, 95), "ms", goal=300)
    result.add("followup_vs_bare_p95", "follow-up / bare encode of its texts (p95)", ratio(pct(fus, 95), pct(bare_fus, 95)), "x")
    result.add("rewrite_p95_s", "gated rewrite on the embedded model, whole ask() p95", pct(rewrites, 95), "s", goal=2.5)
    result.add("rewrite_vs_bare_p95", "gated rewrite / bare completions one by one (p95)", ratio(pct(rewrites, 95), pct(bare_rewrites, 95)), "x")
    result.info.update(asks=len(asks), followups=len(fus), rewrites=len(rewrites), rewrites_shown=shown)
    return result

"""Evidence-scorer latency on a ~400-word answer vs bare sentence-transformers encoding of its sentences."""

from __future__ import annotations

import time

from .common import Result, bare_encoder, forget_memo, pct, ratio, warm_embedder

NAME = "scoring"
PANEL = "system-design"
TARGET_WORDS = 400
RUNS = 30
WARMUP = 3


def assemble_answer(fixture: dict, target_words: int = TARGET_WORDS) -> tuple[str, str | None]:
    """Paragraphs of one panel's hire-band fixture answers, in order, until ~target_words; and the first question id."""
    from coach.scoring.text import word_count

    answers = [a for a in fixture["answers"] if a.get("band") in ("strong-hire", "hire")] or fixture["answers"]
    paragraphs: list[str] = []
    for a in answers:
        for para in a["text"].split("\n\n"):
            if para.strip() and word_count("\n\n".join(paragraphs)) < target_words:
                paragraphs.append(para.strip())
    return "\n\n".join(paragraphs), answers[0].get("question")


def _ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def run() -> Result:
    from coach.evals.base import load_fixture
    from coach.root import Coach
    from coach.scoring.text import split_sentences, word_count

    result = Result(NAME)
    coach = Coach.from_env()
    settings = coach.settings
    embedder = warm_embedder(settings.embedding_model)
    panel = coach.panel(PANEL)
    answer, question_id = assemble_answer(load_fixture(settings.evals_dir / "fixtures" / "scoring" / f"{PANEL}.yaml"))
    question = next((q.text for q in panel.sample_questions if q.id == question_id), "")
    sentences = split_sentences(answer)
    scorer = coach.scorer

    bare = bare_encoder(embedder)

    def fresh(fn):  # a new answer's sentences are not in the embedder's memo yet
        def call():
            forget_memo(embedder)
            return _ms(fn)
        return call

    def again():  # the same answer re-scored: its sentences are in the memo (when the embedder keeps one)
        scorer.score(panel, answer, question)
        return _ms(lambda: scorer.score(panel, answer, question))

    calls = {
        "score": fresh(lambda: scorer.score(panel, answer, question)),
        "bare": fresh(lambda: bare(sentences)),
        "score_again": again,
    }
    for _ in range(WARMUP):  # the first score also embeds the panel's rubric, once per process
        for fn in calls.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in calls}
    order = list(calls)
    for i in range(RUNS):
        for name in order[i % len(order):] + order[: i % len(order)]:
            times[name].append(calls[name]())

    card = scorer.score(panel, answer, question)
    p = {name: (pct(t, 50), pct(t, 95)) for name, t in times.items()}
    note = f"abstained: {card.abstain_reason}" if card.abstained else ""
    result.add("score_p50_ms", "score() p50 (new answer)", p["score"][0], "ms", note=note)
    result.add("score_p95_ms", "score() p95 (new answer)", p["score"][1], "ms", goal=300, note=note)
    result.add("bare_p50_ms", "bare sentence-transformers encode(sentences) p50", p["bare"][0], "ms")
    result.add("bare_p95_ms", "bare sentence-transformers encode(sentences) p95", p["bare"][1], "ms")
    result.add("score_vs_bare_p50", "score / bare encode, p50", ratio(p["score"][0], p["bare"][0]), "x")
    result.add("score_vs_bare_p95", "score / bare encode, p95", ratio(p["score"][1], p["bare"][1]), "x")
    result.add("score_again_p50_ms", "score() p50, same answer again (embedder memo warm)", p["score_again"][0], "ms",
               note="" if hasattr(embedder, "_memo") else "the embedder keeps no memo")
    result.info = {
        "panel": PANEL,
        "answer_words": word_count(answer),
        "sentences": len(sentences),
        "question_id": question_id if question else None,
        "runs": RUNS,
        "warmup": WARMUP,
        "overall": card.overall,
        "abstained": card.abstained,
        "scorer": {"name": card.scorer.name, "version": card.scorer.version},
    }
    return result

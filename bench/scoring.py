"""Evidence-scorer latency on a ~400-word answer vs bare sentence-transformers encoding of its sentences.

A "new answer" misses every cache: each timed run scores a different answer (assembled from other
fixture answers) with the embedder's in-memory memo and its on-disk vector cache both emptied
first, so the question's asks are embedded afresh too. The scorer pays for everything a user's new
answer to a typed question costs, question alignment included; only the panel's rubric and the
off-topic reference are warm (embedded once per process). In a session the question's part is
embedded in the background while the candidate reads it (`Coach.prepare_scoring`); "score_prepared"
times that case: the answer is as new, the question's vectors were made beforehand, untimed.
"""

from __future__ import annotations

import re
import time

from .common import Result, bare_encoder, bare_onnx, forget_all, forget_memo, pct, ratio, temp_data_dir, warm_embedder

NAME = "scoring"
PANEL = "system-design"
TARGET_WORDS = 400
RUNS = 30
WARMUP = 3


def assemble_answer(fixture: dict, target_words: int = TARGET_WORDS, start: int = 0) -> tuple[str, str | None]:
    """Paragraphs of one panel's fixture answers (hire-band first), from answer `start` on, until
    target_words, the last paragraph cut after the sentence that reaches it; and the first answer's
    question id."""
    from coach.scoring.text import split_sentences, word_count

    ranked = sorted(fixture["answers"], key=lambda a: a.get("band") not in ("strong-hire", "hire"))
    answers = ranked[start % len(ranked):] + ranked[: start % len(ranked)]
    paragraphs: list[str] = []
    for a in answers:
        for para in a["text"].split("\n\n"):
            if para.strip() and word_count("\n\n".join(paragraphs)) < target_words:
                paragraphs.append(para.strip())
    if paragraphs:  # whole sentences, no more of the last paragraph than reaches target_words
        before = word_count("\n\n".join(paragraphs[:-1]))
        kept: list[str] = []
        for sentence in split_sentences(paragraphs[-1]):
            if before + word_count(" ".join(kept)) >= target_words:
                break
            kept.append(sentence)
        paragraphs[-1] = " ".join(kept)
    return "\n\n".join(paragraphs), answers[0].get("question")


def new_answers(fixture: dict, n: int) -> list[str]:
    """`n` different ~400-word answers: each starts from another fixture answer, and each run's
    numbers are its own, so no sentence of one run recurs in another."""
    out = []
    for i in range(n):
        text, _ = assemble_answer(fixture, start=i)
        out.append(re.sub(r"\d+", lambda m, i=i: str(int(m.group(0)) + i + 1), text))
    return out


def _ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def run() -> Result:
    from coach.evals.base import load_fixture
    from coach.root import Coach
    from coach.scoring.text import split_sentences, word_count

    result = Result(NAME)
    with temp_data_dir() as data_dir:  # an empty on-disk vector cache
        coach = Coach.from_env(data_dir=data_dir)
        return _run(result, coach, load_fixture, split_sentences, word_count)


def _run(result, coach, load_fixture, split_sentences, word_count) -> Result:
    settings = coach.settings
    coach.evidence_scorer  # loaded, as in any session after its first answer
    embedder = warm_embedder(settings.embedding_model)
    panel = coach.panel(PANEL)
    fixture = load_fixture(settings.evals_dir / "fixtures" / "scoring" / f"{PANEL}.yaml")
    answer, question_id = assemble_answer(fixture)
    question = next((q.text for q in panel.sample_questions if q.id == question_id), "")
    sentences = split_sentences(answer)
    scorer = coach.scorer
    fresh = new_answers(fixture, RUNS + WARMUP)
    bare, bare_ort = bare_encoder(embedder), bare_onnx(embedder)

    def new_score(k):  # a new answer: in no memo and not on disk
        forget_all(scorer.embedder)
        return _ms(lambda: scorer.score(panel, fresh[k], question))

    def new_score_prepared(k):  # a new answer to a question shown earlier: its part embedded while it was read
        forget_all(scorer.embedder)
        coach.prepare_scoring(question).result()
        return _ms(lambda: scorer.score(panel, fresh[k], question))

    def new_bare(k):  # the same answer's sentences, encoded by the library alone
        forget_memo(embedder)
        texts = split_sentences(fresh[k])
        return _ms(lambda: bare(texts))

    def again(k):  # the same answer re-scored: its sentences are in the memo (when the embedder keeps one)
        scorer.score(panel, answer, question)
        return _ms(lambda: scorer.score(panel, answer, question))

    def new_bare_ort(k):  # the same, by onnxruntime alone on the coach's exported model
        texts = split_sentences(fresh[k])
        return _ms(lambda: bare_ort(texts))

    calls = {"score": new_score, "score_prepared": new_score_prepared, "bare": new_bare, "score_again": again}
    if bare_ort is not None:
        calls["bare_ort"] = new_bare_ort
    for k in range(WARMUP):  # the first score also embeds the panel's rubric, once per process
        for fn in calls.values():
            fn(k)
    times: dict[str, list[float]] = {name: [] for name in calls}
    order = list(calls)
    for i in range(RUNS):
        for name in order[i % len(order):] + order[: i % len(order)]:
            times[name].append(calls[name](WARMUP + i))

    card = scorer.score(panel, answer, question)
    p = {name: (pct(t, 50), pct(t, 95)) for name, t in times.items()}
    note = f"abstained: {card.abstain_reason}" if card.abstained else ""
    result.add("score_p50_ms", "score() p50 (new answer)", p["score"][0], "ms", note=note)
    result.add("score_p95_ms", "score() p95 (new answer, alignment included)", p["score"][1], "ms", goal=300, note=note)
    result.add("score_prepared_p50_ms", "score() p50, new answer in a session (question embedded while read)", p["score_prepared"][0], "ms")
    result.add("score_prepared_p95_ms", "score() p95, new answer in a session (question embedded while read)", p["score_prepared"][1], "ms",
               goal=300)
    result.add("bare_p50_ms", "bare sentence-transformers encode(its sentences) p50", p["bare"][0], "ms")
    result.add("bare_p95_ms", "bare sentence-transformers encode(its sentences) p95", p["bare"][1], "ms")
    result.add("score_vs_bare_p50", "score / bare encode, p50", ratio(p["score"][0], p["bare"][0]), "x")
    result.add("score_vs_bare_p95", "score / bare encode, p95", ratio(p["score"][1], p["bare"][1]), "x", goal=1.3)
    paired = [a / b for a, b in zip(times["score"], times["bare"]) if b]
    result.add("score_vs_bare_paired", "score / bare encode of the same answer, median over runs", pct(paired, 50), "x",
               note="each run's pair ran back to back: steadier than the ratio of percentiles on a busy machine")
    if "bare_ort" in times:
        result.add("bare_ort_p50_ms", "bare onnxruntime, one sentence per run, p50", p["bare_ort"][0], "ms")
        result.add("bare_ort_p95_ms", "bare onnxruntime, one sentence per run, p95", p["bare_ort"][1], "ms")
        result.add("score_vs_bare_ort_p95", "score / bare onnxruntime, p95", ratio(p["score"][1], p["bare_ort"][1]), "x")
        paired_ort = [a / b for a, b in zip(times["score"], times["bare_ort"]) if b]
        result.add("score_vs_bare_ort_paired", "score / bare onnxruntime on the same answer, median over runs", pct(paired_ort, 50), "x")
    result.add("score_again_p50_ms", "score() p50, same answer again (embedder memo warm)", p["score_again"][0], "ms",
               note="" if hasattr(embedder, "_memo") else "the embedder keeps no memo")
    result.info = {
        "panel": PANEL,
        "answer_words": word_count(answer),
        "sentences": len(sentences),
        "embedding_runtime": getattr(embedder, "runtime", None),
        "question_id": question_id if question else None,
        "runs": RUNS,
        "warmup": WARMUP,
        "overall": card.overall,
        "abstained": card.abstained,
        "scorer": {"name": card.scorer.name, "version": card.scorer.version},
    }
    return result

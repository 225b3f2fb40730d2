"""Grounded mock-interview questions: retrieve, prompt with few-shot examples, best-of-N, validate,
rerank, and fall back (labelled) to a corpus question when no candidate is good enough.

    q = coach.ask("system-design", level="staff", seed=3)      # coach: coach.root.Coach
    q.text, q.is_fallback, q.provenance.grounding

The embedded model is a small base model that mostly *varies* the examples it is shown, and a
share of what it writes is malformed or nonsense. So several candidates are generated in one
batch, each with its own seed and its own last example, every one is checked, and only a
candidate that passes every check is ever shown. A backend failure is raised, never papered over with a fallback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field

from coach.corpus.schema import LEVELS, Panel, SampleQuestion, Signal
from coach.errors import UserInputError, unknown_choice
from coach.interviewer._best_of_n import Draws, GenerationProvenance
from coach.llm import LLMBackend
from coach.llm.prompts import Prompt
from coach.retrieval.embeddings import Embedder
from coach.interviewer._plan import choose_target, fallback_choice, grounding_for, plan_candidates
from coach.interviewer._reference import (
    COHERENCE_FLOOR,
    ON_PANEL_THRESHOLD,
    SESSION_DUPLICATE,
    SHOT_DUPLICATE,
    PanelReference,
    encode,
    max_similarity,
    panel_reference,
)
from coach.seeding import derive
from coach.interviewer._checks import clean, surface_problem

if TYPE_CHECKING:
    from coach.root import Coach

MAX_FOCUS_CHARS = 500
# Candidates are decoded side by side (one llama.cpp batch on the embedded backend), so the
# retries with other seeds run in parallel: 8 at once measured ~4.5 s against ~8 s for 2 x 4.
CANDIDATES = 8
BATCHES = 1
TEMPERATURE = 0.7
MAX_TOKENS = 60
PROMPT_ID = "question"


class QuestionProvenance(GenerationProvenance):
    """Where a question came from, enough to reproduce it and to audit it."""

    grounding: list[str] = Field(description="ids of the retrieved chunks shown to the model")
    signals: list[str] = Field(description="ids of the panel signals the question targets")
    shots: list[str] = Field(default_factory=list, description="ids of the few-shot sample questions used")
    source: str | None = Field(default=None, description="the corpus sample question id, for a fallback")
    scores: dict[str, float] = Field(default_factory=dict, description="on_panel, novelty, focus_fit, rank")


class Question(BaseModel):
    text: str
    panel: str
    level: str
    is_fallback: bool = False
    fallback_reason: str = ""
    provenance: QuestionProvenance


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise unknown_choice("level", level, LEVELS)
    return level


def check_focus(focus: str | None) -> str | None:
    if focus is None:
        return None
    text = " ".join(focus.split())
    if not text:
        raise UserInputError("The focus text is empty.", "Leave --focus out, or give a few words such as 'cache stampedes'.")
    if len(text) > MAX_FOCUS_CHARS:
        raise UserInputError(
            f"The focus text is {len(text)} characters; the limit is {MAX_FOCUS_CHARS}.",
            "Name the topic in a few words (e.g. 'multi-region failover'); the question is grounded in the corpus.",
        )
    return text


def question_problem(
    text: str,
    vec: np.ndarray,
    ref: PanelReference,
    grounding: Sequence[str],
    shot_vecs: np.ndarray,
    shot_texts: Sequence[str],
    asked_vecs: np.ndarray,
    asked_texts: Sequence[str],
    generated: bool = True,
    min_anchor: float = 0.0,
) -> str | None:
    """Every check a shown question must pass; None when it passes. Used for candidates, for
    fallbacks, and by the eval that re-checks what was shown.

    A generated question must not copy an example or any other corpus question: a copy shown as
    "generated" would hide a fallback. A fallback (`generated=False`) *is* a corpus question,
    labelled as one, so only the other checks apply to it. `min_anchor` is the coherence floor
    (see reference.COHERENCE_FLOOR) for questions written by a small base model.
    """
    problem = surface_problem(text)
    if problem:
        return problem
    norm = text.lower().strip()
    if generated:
        if any(norm == s.lower().strip() for s in shot_texts) or max_similarity(vec, shot_vecs) >= SHOT_DUPLICATE:
            return "copies a few-shot example"
        anchor = max_similarity(vec, ref.question_vecs)
        if anchor >= SHOT_DUPLICATE:
            return "copies a corpus question"
        if anchor < min_anchor:
            return "unlike any corpus question"
    if any(norm == a.lower().strip() for a in asked_texts) or max_similarity(vec, asked_vecs) >= SESSION_DUPLICATE:
        return "repeats a question already asked"
    if float(ref.on_panel(vec, grounding)[0]) < ON_PANEL_THRESHOLD:
        return "off-panel"
    return None


@dataclass
class _Ask:
    """Everything one call to `ask` works with, so the steps below share it instead of passing
    a dozen arguments around."""

    panel: Panel
    level: str
    focus: str | None
    seed: int
    backend: LLMBackend
    prompt: Prompt
    ref: PanelReference
    embedder: Embedder
    target: Signal
    grounding: list[str]
    grounding_text: str
    focus_vec: np.ndarray
    asked_texts: list[str]
    asked_vecs: np.ndarray
    min_anchor: float
    draws: Draws
    shots_used: dict[str, SampleQuestion] = field(default_factory=dict)


def ask(
    coach: Coach,
    panel: Panel,
    level: str = "staff",
    focus: str | None = None,
    seed: int | None = None,
    asked: Sequence[str] = (),
    *,
    coverage: Mapping[str, str] | None = None,
    candidates: int = CANDIDATES,
    min_anchor: float | None = None,
) -> Question:
    """One new question for `panel`, never repeating `asked` (texts already asked this session).

    `coverage` (signal id -> "evidenced" / "weak" / "not yet asked") steers the question to the
    least-covered signal; `seed` (default: settings.seed) makes the result reproducible on the
    embedded backend. `min_anchor` overrides the coherence floor, which applies by default to base
    (completion) models only: an instruct model may write questions unlike any in the corpus.
    Raises UserInputError for bad input and BackendError when the model fails.
    """
    check_level(level)
    focus = check_focus(focus)
    retriever, backend, embedder = coach.retriever, coach.backend, coach.embedder
    seed = coach.settings.seed if seed is None else seed
    target = choose_target(panel, coverage, focus, seed, embedder)
    hits, grounding_text = grounding_for(retriever, panel, target, focus)
    asked_texts = [a for a in asked if a and a.strip()]
    prompt = coach.prompt(PROMPT_ID, backend.style)
    run = _Ask(
        panel=panel, level=level, focus=focus, seed=seed, backend=backend,
        prompt=prompt, ref=panel_reference(retriever, panel.slug),
        embedder=embedder, target=target, grounding=[h.id for h in hits], grounding_text=grounding_text,
        focus_vec=embedder.encode_one(focus or f"{target.name}. {target.strong}"),
        asked_texts=asked_texts, asked_vecs=encode(embedder, asked_texts),
        min_anchor=(COHERENCE_FLOOR if backend.style == "completion" else 0.0) if min_anchor is None else min_anchor,
        draws=Draws(backend, prompt, seed),
    )
    for batch in range(BATCHES):
        accepted = _batch(run, batch, candidates)
        if accepted:
            rank, text, cand_seed, scores, vec = max(accepted, key=lambda a: a[0])
            return Question(
                text=text, panel=panel.slug, level=level,
                provenance=_provenance(run, _target_signals(run, vec), len(accepted), scores, candidate_seed=cand_seed),
            )
    if run.draws.backend_silent:
        raise run.draws.last_empty  # the backend answers nothing at all: a failure, not a bad draw
    return _fallback(run, coverage)


def _batch(run: _Ask, batch: int, n: int) -> list[tuple[float, str, int, dict, np.ndarray]]:
    """Generate one batch of candidates (each with its own last example and seed) and keep the valid
    ones with their rerank scores. A backend failure propagates from here."""
    plans = plan_candidates(run.panel, run.level, run.target, run.focus, run.seed, batch, n,
                            run.asked_texts, run.asked_vecs, run.ref)
    prompts, samplings = [], []
    for plan in plans:
        run.shots_used.update({s.id: s for s in plan.shots})
        prompts.append(run.prompt.render_from(
            panel_name=run.panel.name, panel_goal=run.panel.goal, level=run.level,
            level_expectation=getattr(run.panel.level_expectations, run.level), grounding=run.grounding_text,
            examples=plan.examples(run.backend.style), focus=plan.label,
        ))
        cand_seed = derive(run.seed, run.panel.slug, run.level, "candidate", batch, plan.index)
        samplings.append(run.prompt.sampling(temperature=TEMPERATURE, max_tokens=MAX_TOKENS, seed=cand_seed))
    texts = [(clean(text), cand_seed) for text, cand_seed in run.draws.draw(prompts, samplings)]
    shot_texts = [s.text for s in run.shots_used.values()]
    shot_vecs = encode(run.embedder, shot_texts)
    accepted = []
    for (text, cand_seed), vec in zip(texts, encode(run.embedder, [t for t, _ in texts])):
        problem = question_problem(text, vec, run.ref, run.grounding, shot_vecs, shot_texts, run.asked_vecs,
                                   run.asked_texts, min_anchor=run.min_anchor)
        if problem:
            run.draws.reject(problem)
            continue
        scores = _scores(run, vec, shot_vecs)
        accepted.append((scores["rank"], text, cand_seed, scores, vec))
    return accepted


def _scores(run: _Ask, vec: np.ndarray, shot_vecs: np.ndarray) -> dict[str, float]:
    """Rerank score of a valid candidate, with its parts.

    On-panel similarity leads. `anchor` (closeness to the nearest corpus question) is the best
    coherence signal measured for the small model: its outputs far from every corpus question were
    mostly nonsense, while variants of one were askable. Novelty against the examples and the
    session therefore counts only up to a cap, and fit to the focus (or target signal) breaks ties.
    """
    on_panel = float(run.ref.on_panel(vec, run.grounding)[0])
    anchor = max_similarity(vec, run.ref.question_vecs)
    novelty = 1.0 - max(max_similarity(vec, shot_vecs), max_similarity(vec, run.asked_vecs))
    focus_fit = float(vec @ run.focus_vec)
    rank = on_panel + 0.25 * min(anchor, SHOT_DUPLICATE) + 0.15 * min(novelty, 0.3) + 0.3 * focus_fit
    parts = {"on_panel": on_panel, "anchor": anchor, "novelty": novelty, "focus_fit": focus_fit, "rank": rank}
    return {k: round(v, 4) for k, v in parts.items()}


# A generated question this close to a corpus question is a variant of it and probes its signals too.
VARIANT_SIMILARITY = 0.7


def _target_signals(run: _Ask, vec: np.ndarray) -> list[str]:
    out = [run.target.id]
    qid, sim = run.ref.nearest_corpus_question(vec)
    if sim >= VARIANT_SIMILARITY:
        nearest = next(q for q in run.panel.sample_questions if q.id == qid)
        out += [s for s in nearest.signals if s not in out]
    return out[:3]


def _provenance(run: _Ask, signals: list[str], accepted: int, scores: dict, candidate_seed=None, source=None) -> QuestionProvenance:
    return QuestionProvenance(
        grounding=list(run.grounding), signals=signals, shots=list(run.shots_used), source=source, scores=scores,
        **run.draws.provenance(accepted, candidate_seed),
    )


def _fallback(run: _Ask, coverage: Mapping[str, str] | None) -> Question:
    chosen = fallback_choice(run.panel, run.level, run.target, coverage, run.seed, run.asked_texts, run.asked_vecs,
                             set(run.shots_used), run.ref)
    if chosen is None:
        raise UserInputError(
            f"Every question of the {run.panel.name} panel has already been asked in this session.",
            "Start a new session, or ask on another panel.",
        )
    vec = run.embedder.encode_one(chosen.text)
    reason = run.draws.fallback_reason()
    signals = sorted(chosen.signals, key=lambda s: s != run.target.id)
    scores = _scores(run, vec, encode(run.embedder, [s.text for s in run.shots_used.values()]))
    return Question(
        text=chosen.text, panel=run.panel.slug, level=run.level, is_fallback=True, fallback_reason=reason,
        provenance=_provenance(run, signals, 0, scores, source=chosen.id),
    )


__all__ = ["Question", "QuestionProvenance", "ask", "check_focus", "check_level", "question_problem"]

"""Grounded mock-interview questions: retrieve, prompt with few-shot examples, best-of-N, validate,
rerank, and fall back (labelled) to a corpus question when no candidate is good enough.

    q = ask("system-design", level="staff", seed=3)
    q.text, q.is_fallback, q.provenance.grounding

The embedded model is a small base model that mostly *varies* the examples it is shown, and a
share of what it writes is malformed or nonsense. So several candidates are generated, each from
a different set of examples, every one is checked, and only a candidate that passes every check
is ever shown. A backend failure is raised, never papered over with a fallback.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
from pydantic import BaseModel, Field

from .config import Settings, get_settings
from .errors import BackendError, EmptyOutputError, UserInputError, unknown_choice
from .llm import LLMBackend, get_backend
from .models import LEVELS, Panel, SampleQuestion
from .prompts import load_prompt
from .question_plan import Plan, choose_target, fallback_choice, grounding_for, plan_candidates
from .reference import ON_PANEL_THRESHOLD, SESSION_DUPLICATE, SHOT_DUPLICATE, PanelReference, encode, max_similarity, panel_reference
from .retrieve import Retriever
from .seeding import derive
from .validation import clean, surface_problem

MAX_FOCUS_CHARS = 500
CANDIDATES = 4  # per batch; one retry batch follows when none passes
BATCHES = 2
TEMPERATURE = 0.7
MAX_TOKENS = 60
PROMPT_ID = "question"


class QuestionProvenance(BaseModel):
    """Where a question came from, enough to reproduce it and to audit it."""

    grounding: list[str] = Field(description="ids of the retrieved chunks shown to the model")
    signals: list[str] = Field(description="ids of the panel signals the question targets")
    shots: list[str] = Field(default_factory=list, description="ids of the few-shot sample questions used")
    source: str | None = Field(default=None, description="the corpus sample question id, for a fallback")
    backend: str
    model: str
    prompt_id: str
    prompt_hash: str
    seed: int
    candidate_seed: int | None = Field(default=None, description="sampling seed of the shown candidate")
    candidates_tried: int = 0
    candidates_accepted: int = 0
    rejections: dict[str, int] = Field(default_factory=dict, description="why candidates were rejected")
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
) -> str | None:
    """Every check a shown question must pass; None when it passes. Used for candidates, for
    fallbacks, and by the eval that re-checks what was shown."""
    problem = surface_problem(text)
    if problem:
        return problem
    norm = text.lower().strip()
    if any(norm == s.lower().strip() for s in shot_texts) or max_similarity(vec, shot_vecs) >= SHOT_DUPLICATE:
        return "copies a few-shot example"
    if any(norm == a.lower().strip() for a in asked_texts) or max_similarity(vec, asked_vecs) >= SESSION_DUPLICATE:
        return "repeats a question already asked"
    if float(ref.on_panel(vec, grounding)[0]) < ON_PANEL_THRESHOLD:
        return "off-panel"
    return None


def ask(
    panel: str,
    level: str = "staff",
    focus: str | None = None,
    seed: int | None = None,
    asked: Sequence[str] = (),
    settings: Settings | None = None,
    backend: LLMBackend | None = None,
    *,
    coverage: Mapping[str, str] | None = None,
    retriever: Retriever | None = None,
    candidates: int = CANDIDATES,
) -> Question:
    """One new question for `panel`, never repeating `asked` (texts already asked this session).

    `coverage` (signal id -> "evidenced" / "weak" / "not yet asked") steers the question to the
    least-covered signal; `seed` (default: settings.seed) makes the result reproducible on the
    embedded backend. Raises UserInputError for bad input and BackendError when the model fails.
    """
    settings = settings or get_settings()
    check_level(level)
    focus = check_focus(focus)
    retriever = retriever if retriever is not None else Retriever(settings)
    p = retriever.corpus.panel(panel)  # unknown panel -> error listing the valid ones
    # `is None`, not `or`: a record/replay CachedBackend has a length and is falsy while empty.
    backend = backend if backend is not None else get_backend(settings)
    seed = settings.seed if seed is None else seed
    prompt = load_prompt(PROMPT_ID, backend.style, settings)
    ref = panel_reference(retriever, panel)
    embedder = retriever.index.embedder

    asked_texts = [a for a in asked if a and a.strip()]
    asked_vecs = encode(embedder, asked_texts)
    target = choose_target(p, coverage, focus, seed, embedder)
    grounding_hits, grounding_text = grounding_for(retriever, p, target, focus)
    grounding = [h.id for h in grounding_hits]
    focus_vec = embedder.encode_one(focus or f"{target.name}. {target.strong}")

    tried, rejections, empties = 0, Counter(), 0
    shots_used: dict[str, SampleQuestion] = {}
    last_empty: EmptyOutputError | None = None
    for batch in range(BATCHES):
        plans = plan_candidates(p, level, target, focus, seed, batch, candidates, asked_texts, asked_vecs, ref)
        accepted: list[tuple[float, Plan, str, dict]] = []
        texts: list[tuple[Plan, str, int]] = []
        for plan in plans:
            shots_used.update({s.id: s for s in plan.shots})
            rendered = prompt.render(
                panel_name=p.name,
                panel_goal=p.goal,
                level=level,
                level_expectation=getattr(p.level_expectations, level),
                grounding=grounding_text,
                examples=plan.examples(backend.style),
                focus=plan.label,
            )
            cand_seed = derive(seed, panel, level, "candidate", batch, plan.index)
            sampling = prompt.sampling(temperature=TEMPERATURE, max_tokens=MAX_TOKENS, seed=cand_seed)
            tried += 1
            try:
                gen = backend.generate(rendered, sampling)
            except EmptyOutputError as err:
                empties += 1
                last_empty = err
                rejections["empty"] += 1
                continue
            texts.append((plan, clean(gen.text), cand_seed))
        if not texts:
            continue
        shot_texts = [s.text for s in shots_used.values()]
        shot_vecs = encode(embedder, shot_texts)
        vecs = encode(embedder, [t for _, t, _ in texts])
        for (plan, text, cand_seed), vec in zip(texts, vecs):
            problem = question_problem(text, vec, ref, grounding, shot_vecs, shot_texts, asked_vecs, asked_texts)
            if problem:
                rejections[problem.split(" (")[0]] += 1
                continue
            scores = _scores(vec, ref, grounding, shot_vecs, asked_vecs, focus_vec)
            accepted.append((scores["rank"], plan, text, {"seed": cand_seed, "scores": scores, "vec": vec}))
        if accepted:
            accepted.sort(key=lambda a: -a[0])
            _, plan, text, info = accepted[0]
            return Question(
                text=text,
                panel=panel,
                level=level,
                provenance=_provenance(
                    backend, prompt, seed, grounding, _target_signals(target, info["vec"], ref, p), shots_used,
                    tried, len(accepted), rejections, info["scores"], candidate_seed=info["seed"],
                ),
            )
    if empties == tried and last_empty is not None:
        raise last_empty  # the backend answers nothing at all: a failure, not a bad draw
    return _fallback(p, level, target, coverage, seed, asked_texts, asked_vecs, shots_used, grounding, ref,
                     embedder, backend, prompt, tried, rejections, focus_vec)


def _scores(vec, ref, grounding, shot_vecs, asked_vecs, focus_vec) -> dict[str, float]:
    """Rerank score of a valid candidate, with its parts.

    On-panel similarity leads. `anchor` (closeness to the nearest corpus question) is the best
    coherence signal measured for the small model: its outputs far from every corpus question were
    mostly nonsense, while variants of one were askable. Novelty against the examples and the
    session therefore counts only up to a cap, and fit to the focus (or target signal) breaks ties.
    """
    on_panel = float(ref.on_panel(vec, grounding)[0])
    anchor = float((ref.question_vecs @ vec).max()) if len(ref.question_vecs) else 0.0
    novelty = 1.0 - max(max_similarity(vec, shot_vecs), max_similarity(vec, asked_vecs))
    focus_fit = float(vec @ focus_vec)
    rank = on_panel + 0.25 * min(anchor, SHOT_DUPLICATE) + 0.15 * min(novelty, 0.3) + 0.3 * focus_fit
    parts = {"on_panel": on_panel, "anchor": anchor, "novelty": novelty, "focus_fit": focus_fit, "rank": rank}
    return {k: round(v, 4) for k, v in parts.items()}


# A generated question this close to a corpus question is a variant of it and probes its signals too.
VARIANT_SIMILARITY = 0.7


def _target_signals(target, vec: np.ndarray, ref: PanelReference, p: Panel) -> list[str]:
    out = [target.id]
    qid, sim = ref.nearest_corpus_question(vec)
    if sim >= VARIANT_SIMILARITY:
        nearest = next(q for q in p.sample_questions if q.id == qid)
        out += [s for s in nearest.signals if s not in out]
    return out[:3]


def _provenance(backend, prompt, seed, grounding, signals, shots_used, tried, accepted, rejections, scores,
                candidate_seed=None, source=None) -> QuestionProvenance:
    return QuestionProvenance(
        grounding=list(grounding),
        signals=signals,
        shots=list(shots_used),
        source=source,
        backend=backend.name,
        model=backend.model,
        prompt_id=prompt.id,
        prompt_hash=prompt.hash,
        seed=seed,
        candidate_seed=candidate_seed,
        candidates_tried=tried,
        candidates_accepted=accepted,
        rejections=dict(rejections),
        scores=scores,
    )


def _fallback(p, level, target, coverage, seed, asked_texts, asked_vecs, shots_used, grounding, ref, embedder,
              backend, prompt, tried, rejections, focus_vec) -> Question:
    chosen = fallback_choice(p, level, target, coverage, seed, asked_texts, asked_vecs, set(shots_used), ref)
    if chosen is None:
        raise UserInputError(
            f"Every question of the {p.name} panel has already been asked in this session.",
            "Start a new session, or ask on another panel.",
        )
    vec = embedder.encode_one(chosen.text)
    shot_texts = [s.text for s in shots_used.values()]
    reason = (
        f"none of {tried} generated candidates passed validation ("
        + ", ".join(f"{n} {why}" for why, n in rejections.most_common())
        + ")"
    )
    return Question(
        text=chosen.text,
        panel=p.slug,
        level=level,
        is_fallback=True,
        fallback_reason=reason,
        provenance=_provenance(
            backend, prompt, seed, grounding, sorted(chosen.signals, key=lambda s: s != target.id), shots_used, tried, 0, rejections,
            _scores(vec, ref, grounding, encode(embedder, shot_texts), asked_vecs, focus_vec), source=chosen.id,
        ),
    )


__all__ = ["Question", "QuestionProvenance", "ask", "check_focus", "check_level", "question_problem", "BackendError"]

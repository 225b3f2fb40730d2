"""What goes into a question prompt: the target signal, the grounding and the few-shot examples,
plus the corpus question to fall back to. Pure choices, reproducible from the seed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from coach.retrieval.embeddings import Embedder
from coach.corpus.schema import LEVELS, Panel, SampleQuestion, Signal
from coach.interviewer._reference import SESSION_DUPLICATE, PanelReference
from coach.retrieval.search import Hit, Retriever
from coach.seeding import rng

SHOTS = 3
GROUNDING_CHUNKS = 3
GROUNDING_CHARS = 240  # per chunk: the prompt must stay short, prompt tokens cost latency on every candidate
LABEL_WORDS = 8
# Coverage statuses, least covered first: a session asks next about what it knows least.
COVERAGE_ORDER = {"not yet asked": 0, "missing": 0, "weak": 1, "evidenced": 2}


@dataclass(frozen=True)
class Plan:
    """One candidate's prompt ingredients."""

    index: int
    shots: tuple[SampleQuestion, ...]
    label: str  # what "Question 4 (...)" names: the focus, or the target signal
    panel: Panel

    def examples(self, style: str) -> str:
        if style == "chat":
            return "\n".join(f"- {q.text}" for q in self.shots)
        return "\n".join(f"Question {i} ({shot_label(self.panel, q)}): {q.text}" for i, q in enumerate(self.shots, 1))


def shot_label(panel: Panel, q: SampleQuestion) -> str:
    return panel.signal(q.signals[0]).name


def choose_target(
    panel: Panel, coverage: Mapping[str, str] | None, focus: str | None, seed: int, embedder: Embedder
) -> Signal:
    """The signal the question should probe: closest to the focus when one is given, otherwise the
    least-covered signal of the session, ties broken by the seed."""
    if focus:
        vecs = embedder.encode([focus] + [f"{s.name}. {s.strong}" for s in panel.signals])
        return panel.signals[int(np.argmax(vecs[1:] @ vecs[0]))]
    coverage = coverage or {}
    rank = {s.id: COVERAGE_ORDER.get(coverage.get(s.id, "not yet asked"), 0) for s in panel.signals}
    least = min(rank.values())
    tied = [s for s in panel.signals if rank[s.id] == least]
    return tied[rng(seed, panel.slug, "target").randrange(len(tied))]


_MARKDOWN = re.compile(r"\*\*|__|#+ |`|\|")


def _trim(text: str, limit: int) -> str:
    text = " ".join(_MARKDOWN.sub(" ", text).split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:-") + " ..."


def grounding_for(retriever: Retriever, panel: Panel, target: Signal, focus: str | None) -> tuple[list[Hit], str]:
    """Retrieve notes for the focus (or the target signal) within the panel's scope.

    Sample questions are left out: shown as notes they become extra examples for the model to copy.
    """
    query = focus or f"{target.name}: {target.strong}"
    hits = [h for h in retriever.search(query, panel=panel.slug, k=GROUNDING_CHUNKS + 4) if h.kind != "question"]
    hits = hits[:GROUNDING_CHUNKS]
    return hits, "\n".join(f"- {_trim(h.text, GROUNDING_CHARS)}" for h in hits)


def _unasked(panel: Panel, asked_texts: Sequence[str], asked_vecs: np.ndarray, ref: PanelReference) -> list[SampleQuestion]:
    asked_norm = {a.lower().strip() for a in asked_texts}
    out = []
    for q, vec in zip(panel.sample_questions, _question_vecs(panel, ref)):
        if q.text.lower().strip() in asked_norm:
            continue
        if len(asked_vecs) and float((asked_vecs @ vec).max()) >= SESSION_DUPLICATE:
            continue
        out.append(q)
    return out


def _question_vecs(panel: Panel, ref: PanelReference) -> list[np.ndarray]:
    by_id = dict(zip(ref.question_ids, ref.question_vecs))
    return [by_id[q.id] for q in panel.sample_questions]


def _by_level(pool: list[SampleQuestion], level: str) -> list[SampleQuestion]:
    """Same level first, then the neighbouring level(s), so the examples set the right pitch."""
    distance = {lv: abs(LEVELS.index(lv) - LEVELS.index(level)) for lv in LEVELS}
    return sorted(pool, key=lambda q: distance[q.level])


def plan_candidates(
    panel: Panel,
    level: str,
    target: Signal,
    focus: str | None,
    seed: int,
    batch: int,
    n: int,
    asked_texts: Sequence[str],
    asked_vecs: np.ndarray,
    ref: PanelReference,
) -> list[Plan]:
    """n prompts that share their first examples and differ in the last one.

    The same examples for every candidate would yield near-copies of one of them; a different
    last example (the one the model leans on most) spreads the candidates out, while the shared
    part lets the embedded backend evaluate the common prompt prefix once for the whole batch.
    """
    pool = _unasked(panel, asked_texts, asked_vecs, ref) or list(panel.sample_questions)
    label = _label(focus) if focus else target.name
    r = rng(seed, panel.slug, level, "shots", batch)
    ordered = _by_level(pool, level)
    same = [q for q in ordered if q.level == level]
    candidates = same if len(same) >= SHOTS else ordered[: max(SHOTS, len(same))]
    # Examples that probe the same signal: blending unrelated scenarios is how the small model
    # writes nonsense; blending related ones keeps it coherent.
    on_target = [q for q in candidates if target.id in q.signals]
    others = [q for q in candidates if target.id not in q.signals]
    r.shuffle(on_target)
    r.shuffle(others)
    ranked = on_target + others
    shared = tuple(ranked[: SHOTS - 1])
    last = ranked[SHOTS - 1 :] or ranked
    return [Plan(index=i, shots=shared + (last[i % len(last)],), label=label, panel=panel) for i in range(n)]


def _label(focus: str) -> str:
    words = focus.split()
    text = " ".join(words[:LABEL_WORDS])
    return text.rstrip(".,;:?!") + (" ..." if len(words) > LABEL_WORDS else "")


def fallback_choice(
    panel: Panel,
    level: str,
    target: Signal,
    coverage: Mapping[str, str] | None,
    seed: int,
    asked_texts: Sequence[str],
    asked_vecs: np.ndarray,
    shot_ids: set[str],
    ref: PanelReference,
) -> SampleQuestion | None:
    """The corpus question that suits the session best: not asked yet, probing the target (the
    least-covered) signal, at the session's level; among equals, one the prompts did not show."""
    pool = _unasked(panel, asked_texts, asked_vecs, ref)
    if not pool:
        return None
    coverage = coverage or {}

    def gap(q: SampleQuestion) -> int:
        return min(COVERAGE_ORDER.get(coverage.get(s, "not yet asked"), 0) for s in q.signals)

    r = rng(seed, panel.slug, level, "fallback")
    jitter = {q.id: r.random() for q in pool}
    return min(
        pool,
        key=lambda q: (target.id not in q.signals, q.level != level, gap(q), q.id in shot_ids, jitter[q.id]),
    )

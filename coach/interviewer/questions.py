"""Mock-interview questions, composed from the panel's item models and grounded in the corpus.

    q = coach.ask("system-design", level="staff", seed=3)      # coach: coach.root.Coach
    q.text, q.asks, q.provenance.item, q.provenance.grounding

The writer chooses the signal to probe (the least covered one of the session, or the one closest
to the user's focus), ranks the bank's elements by the focus when there is one, and composes a
question from an item model for that signal and level (`coach.interviewer.compose`): coherent by
construction, seeded and reproducible, with its asks as data and the compendium sections and cases
it draws on as provenance. It never repeats a question of the session or of the recent history
the caller passes. A backend that can write may then rewrite it for flow, shown only when the gate
passes (`coach.interviewer._rewrite`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from coach.corpus.items import Element, ItemBank
from coach.corpus.schema import LEVELS, Panel
from coach.errors import CorpusError, UserInputError, unknown_choice
from coach.interviewer._best_of_n import GenerationProvenance
from coach.interviewer._plan import choose_target, signal_of
from coach.interviewer._reference import SESSION_DUPLICATE, encode, max_similarity
from coach.interviewer._rewrite import Spoken, rewrite
from coach.interviewer.compose import compose
from coach.scoring.asks import split_asks
from coach.scoring.text import split_sentences
from coach.seeding import rng
from coach.text_input import blank, check_text

if TYPE_CHECKING:
    from coach.retrieval.embeddings import Embedder
    from coach.root import Coach

MAX_FOCUS_CHARS = 20_000  # a pasted job description fits; a whole document does not
FOCUS_SENTENCES = 64  # a long focus is compared sentence by sentence, the best match counts
FOCUS_SHARE = 0.25  # the share of elements a focus lifts to the front; the rest keep their variety
MAX_DRAWS = 12  # near-duplicates of earlier questions re-drawn before giving up on variety
COMPOSER = "item models"


class QuestionProvenance(GenerationProvenance):
    """Where a question came from, enough to reproduce it and to audit it."""

    grounding: list[str] = Field(description="compendium sections and cases it draws on (section:N, case:<id>)")
    signals: list[str] = Field(description="ids of the panel signals the question targets")
    item: str | None = Field(default=None, description="the item model it was composed from")
    elements: dict[str, str] = Field(default_factory=dict, description="slot -> element path")
    focus_matched: list[str] = Field(default_factory=list, description="elements lifted by the user's focus")
    reviewed: bool | None = Field(default=None, description="two reviewers accepted the composed text before it was shown")
    # Records of older versions, whose questions a model wrote or a bank supplied:
    shots: list[str] = Field(default_factory=list)
    source: str | None = None
    scores: dict[str, float] = Field(default_factory=dict)


class Question(Spoken):
    text: str
    panel: str
    level: str
    asks: list[str] = Field(default_factory=list, description="the short asks of the question, as data")
    provenance: QuestionProvenance


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise unknown_choice("level", level, LEVELS)
    return level


def check_focus(focus: str | None) -> str | None:
    """The focus as one line of text, or a clear error for empty, oversized or binary input."""
    if focus is None:
        return None
    text = " ".join(focus.split())
    if blank(text):
        raise UserInputError("The focus text is empty.", "Leave the focus out, or give a few words such as 'cache stampedes'.")
    return check_text(text, "focus text", MAX_FOCUS_CHARS,
                      "Paste the part of the job description that describes the role, or name the topic in a few words.")


def bank_for(coach: Coach, panel: Panel) -> ItemBank:
    bank = coach.corpus.items.get(panel.slug)
    if bank is None:
        raise CorpusError(f"The {panel.name} panel has no item models (corpus/items/{panel.slug}.yaml).",
                          "Restore the file from git; questions are composed from it.")
    return bank


def ask(
    coach: Coach,
    panel: Panel,
    level: str = "staff",
    focus: str | None = None,
    seed: int | None = None,
    asked: Sequence[str] = (),
    *,
    coverage: Mapping[str, str] | None = None,
    recent: Sequence[str] = (),
    target: str | None = None,
) -> Question:
    """One new question for `panel`, never repeating `asked` (texts already asked this session) nor
    `recent` (questions of the user's earlier sessions).

    `target` (a signal id of the panel) names the signal to probe, as a drill on a weak signal does;
    otherwise `coverage` (signal id -> "evidenced" / "weak" / "not yet asked") steers the question to the
    least-covered signal; `focus` (a topic or a pasted job description) steers the signal and the
    scenarios; `seed` (default: settings.seed) makes the result reproducible. Raises
    UserInputError for bad input, and BackendError when a rewriting backend fails.
    """
    check_level(level)
    focus = check_focus(focus)
    bank = bank_for(coach, panel)
    embedder = coach.embedder
    seed = coach.settings.seed if seed is None else seed
    target = choose_target(panel, coverage, focus, seed, embedder, target)
    asked_texts = [a for a in asked if a and a.strip()]
    rank, lifted = _focus_rank(bank, focus, embedder) if focus else (None, set())
    avoid = set(asked_texts) | {r for r in recent if r and r.strip()}
    asked_vecs = None
    draw = rng(seed, panel.slug, level, "compose")
    for _ in range(MAX_DRAWS):
        composed = compose(bank, target.id, level, draw, rank, avoid, coach.corpus.reviews.get(panel.slug))
        if asked_vecs is None:  # the first draw and the questions already asked in one encode call
            vecs = encode(embedder, [*asked_texts, composed.text])
            asked_vecs, vec = vecs[:-1], vecs[-1]
        else:
            vec = embedder.encode_one(composed.text)
        # Another scale of the same scenario is still a repeat to the candidate.
        if max_similarity(vec, asked_vecs) < SESSION_DUPLICATE:
            break
        avoid.add(composed.key)
    text, record = rewrite(coach, composed.text, kind="question", panel=panel, signal=target, level=level, seed=seed,
                           focus=focus, asked=asked_texts)
    generation = record.provenance.model_dump() if record.provenance else dict(
        backend="composer", model=f"{COMPOSER}@corpus:{coach.corpus.hash}", prompt_id="", prompt_hash="", seed=seed)
    return Question(
        text=text, panel=panel.slug, level=level, asks=list(composed.asks), composition=record.shown,
        draft=composed.text, rewrite=record,
        provenance=QuestionProvenance(
            grounding=list(composed.sources), signals=[target.id], item=composed.item_id, elements=composed.elements,
            focus_matched=sorted(lifted & set(composed.elements.values())), reviewed=composed.reviewed, **generation,
        ),
    )


MAX_GIVEN_CHARS = 2000


def given(panel: Panel, level: str, text: str, seed: int) -> Question:
    """A question the user chose to practise (`coach mock --ask FILE`), asked as written. Its asks
    are split by rule; a sample question of the panel keeps the signals the corpus gives it."""
    text = " ".join((text or "").split())
    if blank(text) or len(text) > MAX_GIVEN_CHARS:
        raise UserInputError(f"A given question must be 1-{MAX_GIVEN_CHARS:,} characters; this one has {len(text):,}.",
                             "Write each question as one line of text in the questions file.")
    check_text(text, "given question", MAX_GIVEN_CHARS, "Write each question as one line of text in the questions file.")
    sample = next((q for q in panel.sample_questions if " ".join(q.text.split()) == text), None)
    return Question(
        text=text, panel=panel.slug, level=level, asks=split_asks(text), composition="draft", draft=text,
        provenance=QuestionProvenance(grounding=[], signals=list(sample.signals) if sample else [], source=sample.id if sample else "given",
                                      backend="given", model="the user's question list", prompt_id="", prompt_hash="", seed=seed),
    )


def _focus_rank(bank: ItemBank, focus: str, embedder: Embedder):
    """(rank, lifted paths): the elements of each type closest to the focus rank 1, the others 0, so
    the focus decides which scenarios come first while every seed still draws among them. A long
    focus (a job description) is compared sentence by sentence and its best sentence counts."""
    sentences = [s for s in split_sentences(focus) if len(s.split()) >= 2][:FOCUS_SENTENCES] or [focus]
    focus_vecs = embedder.encode(sentences)
    by_type: dict[str, list[tuple[str, Element]]] = {}
    for path, kind, element in bank.walk():
        by_type.setdefault(kind, []).append((path, element))
    lifted: set[str] = set()
    for pool in by_type.values():
        vecs = embedder.encode([e.text for _, e in pool])
        best = (vecs @ focus_vecs.T).max(axis=1)
        keep = max(1, int(round(len(pool) * FOCUS_SHARE)))
        lifted.update(pool[i][0] for i in np.argsort(-best)[:keep])
    ids = {id(e) for path, _, e in bank.walk() if path in lifted}
    return (lambda kind, element: 1.0 if id(element) in ids else 0.0), lifted


__all__ = ["Question", "QuestionProvenance", "ask", "bank_for", "check_focus", "check_level", "signal_of"]

"""Where an LLM helps: it may rewrite a composed draft for flow and for the user's focus. The
rewrite is shown only when it passes the gate; otherwise the draft is shown, and the record says
which one was.

The gate holds a rewrite to the draft: every number of the draft kept and none added, the draft's
specific terms kept and at most a couple of new ones (an LLM adds flow, never facts), still about
the target signal, one question that passes the surface checks, and not a repeat of anything
already asked. The draft itself is composed from the corpus and always coherent, so a rejected
rewrite costs nothing but the time it took.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import BaseModel, Field

from coach.corpus.schema import Panel, Signal
from coach.interviewer._answer_text import terms
from coach.interviewer._best_of_n import Draws, GenerationProvenance
from coach.interviewer._checks import clean, shares_run, surface_problem, words
from coach.interviewer._reference import SESSION_DUPLICATE, encode, max_similarity
from coach.llm import streaming
from coach.scoring.grader_text import is_grader_text
from coach.seeding import derive

if TYPE_CHECKING:
    from coach.root import Coach

PROMPT_ID = "rewrite"
# Rewrites drawn per draft, by backend style. An instruction-tuned (chat) model gets three and the
# gate keeps the best. The bundled base model gets one: its best-of-3 took 6.9 s p95 a question on
# 2 cores and none of its rewrites was shown in that run (the gate refused them all), so two more
# draws bought nothing but time; one draw also streams as it is written.
CANDIDATES = {"chat": 3, "completion": 1}
TEMPERATURE = 0.4
MAX_TOKENS = 90
MAX_NEW_TERMS = 2
MAX_WORDS = 60
MIN_TERMS_KEPT = 0.6
# A rewrite that repeats this many words in a row of the prompt's instructions is reciting them
# (an answer or a confused model asked it to), not asking a question.
PROMPT_RUN = 6
SIGNAL_SLACK = 0.1  # a rewrite may be this much less similar to the signal than the draft was
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
# Claims about what the candidate said: only the draft may make them (a follow-up's said-back point).
_ATTRIBUTION = re.compile(r"\byou (?:said|mentioned|told me|noted|described)\b", re.IGNORECASE)
# The interviewer addresses the candidate; a rewrite in the first person has swapped the speaker.
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|my|me|mine|we|our|us)\b", re.IGNORECASE)


class Rewrite(BaseModel):
    """Which text was shown, and why: the composed draft, or a rewrite that passed the gate."""

    shown: Literal["draft", "rewrite"] = "draft"
    draft: str
    reason: str = Field(default="", description="why the draft was shown: rewriting off, or the gate's rejections")
    rejections: dict[str, int] = Field(default_factory=dict)
    provenance: GenerationProvenance | None = None


class Spoken(BaseModel):
    """What questions and follow-ups share: which text was shown, the composed draft behind it, the
    rewrite record, and (records of older versions) whether a bank fallback stood in."""

    composition: Literal["draft", "rewrite", "generated"] = Field(
        default="generated", description="the composed draft, its gated rewrite, or (records of older versions) LLM-written"
    )
    draft: str = Field(default="", description="the composed text (shown unless a rewrite passed the gate)")
    rewrite: Rewrite | None = None
    is_fallback: bool = False
    fallback_reason: str = ""


def wants_rewrite(coach: Coach) -> bool:
    """`COACH_REWRITE`: on, off, or auto — rewrite only with an instruction-following (chat) backend.
    The bundled base model's rewrites were graded below the drafts (see the README), so auto keeps
    its drafts."""
    mode = coach.settings.rewrite
    if mode == "auto":
        return coach.backend.style == "chat"
    return mode == "on"


def prepare(coach: Coach) -> None:
    """Warm-up: let the backend do its once-per-process work for the rewrite prompt (the embedded
    model evaluates the few-shot examples every rewrite starts with)."""
    if wants_rewrite(coach):
        prompt = coach.prompt(PROMPT_ID, coach.backend.style)
        coach.backend.prepare(prompt.render_from(panel_name="", level="", signal_name="", kind="", draft="", focus=""))


def numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def _added_claim(text: str, draft: str, focus: str) -> str | None:
    """What the rewrite claims that the draft did not: a number, words put in the candidate's
    mouth, or the interviewer speaking as "I"."""
    if numbers(text) - numbers(draft) - numbers(focus):
        return "adds a number"
    if len(_ATTRIBUTION.findall(text)) > len(_ATTRIBUTION.findall(draft)):
        return "puts words in the candidate's mouth"
    if len(_FIRST_PERSON.findall(text)) > len(_FIRST_PERSON.findall(draft)):
        return "changes who is speaking"
    return None


def partial_problem(text: str, draft: str, focus: str) -> str | None:
    """A problem that the words written so far already settle: more words can only add to it, so
    the whole rewrite would be refused for it too, and the backend may stop there. The last word
    may still be growing ("2,0" of "2,000"), so it is left out."""
    settled = " ".join(text.split()[:-1])
    if not settled:
        return None
    if len(words(settled)) > MAX_WORDS:
        return f"too long (over {MAX_WORDS} words)"
    problem = _added_claim(settled, draft, focus)
    if problem:
        return problem
    new = {t for t in terms(settled) - terms(draft) - terms(focus) if not t[0].isdigit()}
    if len(new) > MAX_NEW_TERMS:
        return "adds facts"
    return None


def gate_problem(text: str, draft: str, focus: str, signal_vecs: tuple[np.ndarray, float], embedder,
                 asked: Sequence[str], asked_vecs: np.ndarray, instructions: str = "") -> str | None:
    """The first reason a rewrite may not be shown, or None. `instructions`: the prompt's own
    words without the draft, which a rewrite never repeats."""
    if not text.endswith("?"):  # perhaps cut short by the backend: say what settled it
        problem = partial_problem(text, draft, focus)
        if problem:
            return problem
    problem = surface_problem(text, 6, MAX_WORDS)
    if problem:
        return problem
    if instructions and shares_run(text, instructions, PROMPT_RUN) and not shares_run(text, draft, PROMPT_RUN):
        return "repeats the prompt's instructions"
    if is_grader_text(text):
        return "speaks to a model or a grader, not the candidate"
    if text.strip().lower() == draft.strip().lower():
        return "same as the draft"
    if numbers(draft) - numbers(text):
        return "drops a number"
    problem = _added_claim(text, draft, focus)
    if problem:
        return problem
    kept, new = terms(draft), terms(text)
    if kept and len(kept & new) / len(kept) < MIN_TERMS_KEPT:
        return "drops the draft's facts"
    if len(new - kept - terms(focus)) > MAX_NEW_TERMS:
        return "adds facts"
    signal_vec, draft_fit = signal_vecs
    vec = embedder.encode_one(text)
    if float(vec @ signal_vec) < draft_fit - SIGNAL_SLACK:
        return "drifts off the signal"
    norm = text.lower().strip()
    if any(norm == a.lower().strip() for a in asked) or max_similarity(vec, asked_vecs) >= SESSION_DUPLICATE:
        return "repeats a question already asked"
    return None


def rewrite(coach: Coach, draft: str, *, kind: str, panel: Panel, signal: Signal, level: str, seed: int,
            focus: str | None = None, asked: Sequence[str] = ()) -> tuple[str, Rewrite]:
    """(text to show, record). Asks the coach's backend for a few rewrites of `draft` and shows the
    one closest to the target signal among those that pass the gate. A backend failure propagates:
    it is an error the user must see, not a reason to show something else silently."""
    if not wants_rewrite(coach):
        return draft, Rewrite(draft=draft, reason=f"rewriting is off for the {coach.backend.name} backend ({coach.settings.rewrite})")
    backend, embedder = coach.backend, coach.embedder
    prompt = coach.prompt(PROMPT_ID, backend.style)
    rendered = prompt.render_from(panel_name=panel.name, level=level, signal_name=signal.name, kind=kind, draft=draft,
                                  focus=focus or "")
    n = CANDIDATES.get(backend.style, 1)
    samplings = [prompt.sampling(temperature=TEMPERATURE, max_tokens=MAX_TOKENS, seed=derive(seed, panel.slug, kind, "rewrite", i))
                 for i in range(n)]
    draws = Draws(backend, prompt, seed)
    blank = prompt.render_from(panel_name=panel.name, level=level, signal_name=signal.name, kind=kind, draft="", focus="")
    instructions = "\n".join(m.content for m in blank.messages) if blank.messages else blank.text
    signal_vec = embedder.encode_one(f"{signal.name}. {signal.strong}")
    fit = (signal_vec, float(embedder.encode_one(draft) @ signal_vec))
    asked = [a for a in asked if a and a.strip()]
    asked_vecs = encode(embedder, asked)
    passed = []
    # The candidate reads these words: an interface may show them as they come. A rewrite that has
    # already failed the gate is not finished: the base model's failures show in their first
    # words ("I fail over first, because ..."), and the rest would cost seconds.
    with streaming.speech(), streaming.stop_when(lambda so_far: partial_problem(so_far, draft, focus or "") is not None):
        drawn = list(draws.draw([rendered] * n, samplings))
    for text, cand_seed in drawn:
        text = clean(text)
        problem = gate_problem(text, draft, focus or "", fit, embedder, asked, asked_vecs, instructions)
        if problem:
            draws.reject(problem)
            continue
        passed.append((float(embedder.encode_one(text) @ signal_vec), text, cand_seed))
    if not passed:
        if draws.backend_silent:
            raise draws.last_empty
        return draft, Rewrite(draft=draft, reason=draws.fallback_reason().replace("generated candidates", "rewrites"),
                              rejections=dict(draws.rejections), provenance=GenerationProvenance(**draws.provenance(0)))
    _, text, cand_seed = max(passed)
    return text, Rewrite(shown="rewrite", draft=draft, rejections=dict(draws.rejections),
                         provenance=GenerationProvenance(**draws.provenance(len(passed), cand_seed)))

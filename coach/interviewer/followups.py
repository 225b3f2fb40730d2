"""Adaptive follow-ups: probe the weakest signal the answer has not shown, building on what the
candidate actually said.

    fu = coach.follow_up("system-design", question, answer, coverage={"capacity-math": "evidenced"})
    fu.text, fu.signal, fu.refers_to_answer, fu.is_fallback

The signal comes from the evidence scorer's per-signal result; the follow-up is generated from the
panel's tagged follow-ups for that signal plus a concrete sentence from the answer, checked like a
question, and replaced (labelled) by a tagged follow-up when no candidate passes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field

from coach.interviewer._answer_text import pick_detail, refers_to
from coach.corpus.schema import FollowUp as TaggedFollowUp
from coach.corpus.schema import Panel, Signal
from coach.errors import UserInputError
from coach.interviewer._best_of_n import Draws, GenerationProvenance
from coach.interviewer._checks import clean, shares_run, surface_problem
from coach.interviewer._reference import SHOT_DUPLICATE, encode, max_similarity
from coach.interviewer.questions import Question, check_level
from coach.llm.prompts import Prompt
from coach.retrieval.embeddings import Embedder
from coach.scoring import Scorecard
from coach.scoring.text import prompt_answer
from coach.seeding import derive, rng

if TYPE_CHECKING:
    from coach.root import Coach

CANDIDATES = 3  # per batch; one retry batch follows when none passes
BATCHES = 2
TEMPERATURE = 0.7
MAX_TOKENS = 48
EXAMPLES = 3
PROMPT_ID = "followup"
# Generated follow-ups are shorter than questions: "What happens when the hit rate drops to 60%?"
MIN_WORDS, MAX_WORDS = 6, 45


class FollowUpProvenance(GenerationProvenance):
    examples: list[str] = Field(description="ids of the tagged follow-ups shown to the model")
    source: str | None = Field(default=None, description="the tagged follow-up id, for a fallback")


class FollowUp(BaseModel):
    text: str
    panel: str
    signal: str = Field(description="id of the signal the follow-up probes")
    signal_name: str
    is_fallback: bool = False
    fallback_reason: str = ""
    answer_detail: str = Field(default="", description="the sentence of the answer it was asked to build on")
    refers_to_answer: bool = False
    shared_terms: list[str] = Field(default_factory=list, description="what it picks up from the answer")
    provenance: FollowUpProvenance


def weakest_signal(
    panel: Panel,
    card: Scorecard,
    coverage: Mapping[str, str] | None = None,
    avoid: Sequence[str] = (),
) -> Signal | None:
    """The signal to probe next: not evidenced in this answer nor earlier in the session, lowest
    level first (no evidence counts as 0), then least evidence within the level, then panel order.
    None when every signal is covered.

    The signals the question targeted get no preference: the answer usually covers them even when
    the scorer rates them low. On the 70 labelled answers of evals/fixtures/followups, preferring
    them probed a signal the answer had shown 16 times; this order does so 8 times.
    """
    coverage = coverage or {}
    open_ = [
        r for r in card.signals
        if r.status != "evidenced" and coverage.get(r.id) != "evidenced" and r.id not in avoid
    ]
    return panel.signal(min(open_, key=_weakness(panel)).id) if open_ else None


def _weakness(panel: Panel):
    order = {s.id: i for i, s in enumerate(panel.signals)}
    return lambda r: (r.level or 0, r.strength or 0.0, order[r.id])


@dataclass
class _Conversation:
    """What one follow-up is about: the signal to probe, the exchange so far, and the tagged
    follow-ups for that signal. Shared by the generated path and the fallback."""

    panel: Panel
    signal: Signal
    question: str
    answer: str
    asked: Sequence[str]
    tagged: list[TaggedFollowUp]
    examples: list[TaggedFollowUp]
    detail: str
    embedder: Embedder

    @property
    def prompt_parts(self) -> list[str]:
        """What the prompt gives the model besides the answer (a follow-up refers to the answer only
        through words it did not get from these)."""
        return [self.question, self.signal.name, self.signal.strong, *(f.text for f in self.examples)]


def follow_up(
    coach: Coach,
    panel: Panel,
    question: str | Question,
    answer: str,
    coverage: Mapping[str, str] | None = None,
    level: str = "staff",
    seed: int | None = None,
    *,
    scorecard: Scorecard | None = None,
    avoid: Sequence[str] = (),
    asked: Sequence[str] = (),
) -> FollowUp:
    """One follow-up to `answer`, the candidate's reply to `question`.

    `coverage` is the session's signal map, `avoid` the signals already probed after this
    question, `asked` every text already put to the candidate. `scorecard` saves scoring the
    answer again when the caller has already done so."""
    check_level(level)
    if not answer or not answer.strip():
        raise UserInputError("The answer is empty.", "Answer the question first; a follow-up builds on what was said.")
    backend = coach.backend
    seed = coach.settings.seed if seed is None else seed
    q_text = question.text if isinstance(question, Question) else question
    card = scorecard if scorecard is not None else coach.scorer.score(panel, answer, q_text)
    signal = _signal_to_probe(panel, card, coverage, avoid)
    embedder = coach.embedder
    prompt = coach.prompt(PROMPT_ID, backend.style)
    tagged = [f for f in panel.follow_ups if f.signal == signal.id]
    examples = rng(seed, panel.slug, "followup-examples", signal.id).sample(tagged, min(EXAMPLES, len(tagged)))
    detail, point = pick_detail(answer, f"{signal.name}. {signal.strong}", embedder)
    talk = _Conversation(panel, signal, q_text, answer, asked, tagged, examples, detail, embedder)
    draws = Draws(backend, prompt, seed)
    if not point:  # nothing short and specific to say back: a generated follow-up would be generic
        return _fallback(talk, draws, reason="the answer has no short, specific point to build on")
    rendered = prompt.render_from(
        panel_name=panel.name, level=level, question=q_text, answer=prompt_answer(answer), signal_name=signal.name,
        signal_strong=signal.strong, example_followups=_format_examples(examples, backend.style),
        answer_detail=detail, answer_point=point,
    )
    prefill = _prefill(rendered)
    example_texts = [f.text for f in examples]
    check = _Checker(embedder, example_texts, [q_text, *asked], answer, _fixed_text(prompt), quoted=prefill)
    sig_vec = embedder.encode_one(f"{signal.name}. {signal.strong}")
    for batch in range(BATCHES):
        samplings = [
            prompt.sampling(temperature=TEMPERATURE, max_tokens=MAX_TOKENS, seed=derive(seed, panel.slug, "followup", signal.id, batch, i))
            for i in range(CANDIDATES)
        ]
        valid = [c for text, cand_seed in draws.draw([rendered] * CANDIDATES, samplings)
                 if (c := _candidate(talk, draws, check, sig_vec, clean(f"{prefill} {text}"), cand_seed))]
        if valid:
            rank, text, cand_seed, shared, refers = max(valid, key=lambda v: v[0])
            return FollowUp(
                text=text, panel=panel.slug, signal=signal.id, signal_name=signal.name, answer_detail=detail,
                refers_to_answer=refers, shared_terms=shared,
                provenance=FollowUpProvenance(examples=[f.id for f in examples], **draws.provenance(len(valid), cand_seed)),
            )
    if draws.backend_silent and not prefill:
        # Nothing at all from the backend: a failure, not a bad draw. After a prefilled "You said
        # ...;" an empty reply is the model ending the line there, which is a rejected draw.
        raise draws.last_empty
    return _fallback(talk, draws)


def _candidate(talk: _Conversation, draws: Draws, check, sig_vec: np.ndarray, text: str, cand_seed: int):
    """(rank, text, seed, shared terms, refers) for a candidate that passes every check, else None."""
    problem = check(text)
    if problem:
        draws.reject(problem)
        return None
    refers, shared = refers_to(text, talk.answer, talk.prompt_parts)
    # Fit to the signal first; picking up what the candidate said is what makes it a follow-up.
    rank = float(talk.embedder.encode_one(text) @ sig_vec) + 0.3 * refers + 0.1 * min(len(shared), 3)
    return rank, text, cand_seed, shared, refers


def _signal_to_probe(p: Panel, card: Scorecard, coverage, avoid) -> Signal:
    """The weakest uncovered signal; when the session has covered everything, the weakest in this
    answer; when this answer shows everything too, its least-evidenced signal (a depth probe)."""
    signal = weakest_signal(p, card, coverage, avoid) or weakest_signal(p, card)
    return signal or p.signal(min(card.signals, key=_weakness(p)).id)


def _prefill(rendered) -> str:
    """What the completion prompt already wrote of the follow-up: the text after the label on its
    last line ("Follow-up: You said ...;"). The shown follow-up is that plus the model's words."""
    if rendered.style != "completion":
        return ""
    last = rendered.text.rsplit("\n", 1)[-1]
    return last.split(":", 1)[1].strip() if ":" in last else ""


class _Checker:
    """`followup_problem` with the embeddings of the fixed comparison texts computed once."""

    def __init__(self, embedder, example_texts, blocked, answer, fixed, quoted=""):
        self.args = (embedder, example_texts, encode(embedder, example_texts), blocked, encode(embedder, blocked), answer, fixed)
        self.quoted = quoted

    def __call__(self, text: str) -> str | None:
        return followup_problem(text, *self.args, quoted=self.quoted)


def followup_problem(text, embedder, example_texts, example_vecs, blocked, blocked_vecs, answer, fixed,
                     quoted: str = "") -> str | None:
    """Every check a shown follow-up passes; None when it passes. `quoted` is the part that says the
    answer back on purpose ("You said ..."); only the rest must not copy the answer."""
    problem = surface_problem(text, MIN_WORDS, MAX_WORDS)
    if problem:
        return problem
    if any(shares_run(text, part, 5) for part in fixed):
        return "echoes the prompt"
    own = text[len(quoted):] if quoted and text.startswith(quoted) else text
    if quoted and len(own.split()) < 4:
        return "no question after the quote"
    if shares_run(own, answer, 8):
        return "copies the answer"
    vec = embedder.encode_one(text)
    norm = text.lower()
    if any(norm == e.lower() for e in example_texts) or max_similarity(vec, example_vecs) >= SHOT_DUPLICATE:
        return "copies an example follow-up"
    if any(norm == b.lower() for b in blocked) or max_similarity(vec, blocked_vecs) >= SHOT_DUPLICATE:
        return "repeats a question already asked"
    return None


def recheck(coach: Coach, fu: FollowUp, question: str, answer: str, asked: Sequence[str] = (),
            style: str = "completion") -> str | None:
    """Run the shown follow-up through the same checks again (for evals); None when it passes."""
    embedder = coach.embedder
    panel = coach.panel(fu.panel)
    if fu.is_fallback and any(f.text == fu.text for f in panel.follow_ups):
        # A curated follow-up from the corpus may be an instruction ("Walk me through the
        # restart."); the checks exist to catch the model, so only the repeat check applies.
        asked_norm = {a.lower().strip() for a in (question, *asked)}
        return "repeats a question already asked" if fu.text.lower().strip() in asked_norm else None
    examples = [f.text for f in panel.follow_ups if f.id in fu.provenance.examples]
    blocked = [question, *asked]
    fixed = _fixed_text(coach.prompt(PROMPT_ID, style))
    quoted = fu.text.split(";", 1)[0] + ";" if fu.text.startswith("You said ") and ";" in fu.text else ""
    return followup_problem(fu.text, embedder, examples, encode(embedder, examples), blocked, encode(embedder, blocked),
                            answer, fixed, quoted=quoted)


def _format_examples(examples, style: str) -> str:
    if style == "chat":
        return "\n".join(f"- {f.text}" for f in examples)
    return "\n".join(f"Follow-up: {f.text}" for f in examples)


def _fixed_text(prompt: Prompt) -> list[str]:
    """The prompt's own wording (its instructions), without the variables: what must never be echoed."""
    import string

    out = []
    for _, template in prompt.parts:
        for literal, *_ in string.Formatter().parse(template):
            out.extend(line for line in literal.splitlines() if len(line.split()) >= 5)
    return out


def _fit(embedder, tagged, question: str, answer: str) -> dict[str, float]:
    """How well each tagged follow-up fits this conversation. Tagged follow-ups were written for
    particular scenarios ("the SDK deadlock"), so the closest one reads as a follow-up here."""
    if not tagged:
        return {}
    vecs = embedder.encode([f"{question} {prompt_answer(answer)}"] + [f.text for f in tagged])
    return {f.id: float(v @ vecs[0]) for f, v in zip(tagged, vecs[1:])}


def _fallback(talk: _Conversation, draws: Draws, reason: str | None = None) -> FollowUp:
    """A tagged follow-up for the signal: not yet asked, a question over an instruction, the one
    that fits the conversation best, then seeded."""
    asked_norm = {a.lower().strip() for a in talk.asked}
    pool = [f for f in talk.tagged if f.text.lower().strip() not in asked_norm] or talk.tagged
    r = rng(draws.seed, talk.panel.slug, "followup-fallback", talk.signal.id)
    fit = _fit(talk.embedder, pool, talk.question, talk.answer)
    chosen = min(pool, key=lambda f: (not f.text.rstrip().endswith("?"), -round(fit.get(f.id, 0.0), 3), r.random()))
    shown = {e.text for e in talk.examples}
    refers, shared = refers_to(chosen.text, talk.answer, [t for t in talk.prompt_parts if t not in shown])
    return FollowUp(
        text=chosen.text, panel=talk.panel.slug, signal=talk.signal.id, signal_name=talk.signal.name, is_fallback=True,
        fallback_reason=reason or draws.fallback_reason(), answer_detail=talk.detail, refers_to_answer=refers,
        shared_terms=shared,
        provenance=FollowUpProvenance(examples=[f.id for f in talk.examples], source=chosen.id, **draws.provenance(0)),
    )

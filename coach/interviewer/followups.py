"""Adaptive follow-ups: probe the weakest signal the answer has not shown, building on what the
candidate actually said.

    fu = coach.follow_up("system-design", question, answer, coverage={"capacity-math": "evidenced"})
    fu.text, fu.signal, fu.refers_to_answer, fu.composition

A follow-up is composed, not generated: it says back one specific point of the answer in the
second person ("You mentioned that you pulled six months of paging data ..."), then asks the probe
for the weakest signal, chosen from that signal's follow-up frames as the one that fits the
conversation best. When no clause of the answer can be said back cleanly, it asks the probe alone.
A backend that can write may then rewrite the draft for flow, shown only when the gate passes
(`coach.interviewer._rewrite`); the record says whether the draft or the rewrite was shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from coach.corpus.items import FollowUpFrame, ItemBank
from coach.corpus.schema import FollowUp as Frame
from coach.corpus.schema import Panel, Signal
from coach.errors import UserInputError
from coach.interviewer._anchored import find as find_anchors
from coach.interviewer._answer_text import candidate_points, pick_detail, refers_to, say_back
from coach.interviewer._best_of_n import GenerationProvenance
from coach.interviewer._checks import shares_run, surface_problem
from coach.interviewer._followup_choice import CANDIDATE_SIGNALS, STRENGTH_MARGIN, choose, uses_points, work_named
from coach.interviewer._reference import SHOT_DUPLICATE, encode, max_similarity
from coach.interviewer._rewrite import Spoken, rewrite
from coach.interviewer.questions import Question, check_level
from coach.retrieval.embeddings import encode_reusing
from coach.scoring import Scorecard
from coach.scoring.grader_text import prompt_answer
from coach.text_input import blank

if TYPE_CHECKING:
    from coach.root import Coach

# Composed follow-ups are longer than a bare probe: the said-back point plus the question.
MIN_WORDS, MAX_WORDS = 6, 60
COMPOSER = "follow-up frames"


class FollowUpProvenance(GenerationProvenance):
    """Where a follow-up came from: the frame asked, the frames it was chosen from, and, when an LLM
    rewrote it, the backend, model, prompt and seed of the rewrite."""

    examples: list[str] = Field(description="ids of the follow-up frames it was chosen from")
    source: str | None = Field(default=None, description="id of the frame asked")


class FollowUp(Spoken):
    text: str
    panel: str
    signal: str = Field(description="id of the signal the follow-up probes")
    signal_name: str
    answer_detail: str = Field(default="", description="the sentence of the answer it builds on")
    answer_point: str = Field(default="", description="what of that sentence it says back, in the second person")
    refers_to_answer: bool = False
    composed_as: str = Field(default="alone", description=(
        "anchored: a frame naming a component or person the answer mentioned, after the clause that mentions it "
        "when that can be said back; fits: a frame that points back at the point said back; bridge: the point as "
        "context, then a frame on another aspect of the same work; alone: the frame alone, nothing said back"))
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
    if blank(answer):
        raise UserInputError("The answer is empty.", "Answer the question first; a follow-up builds on what was said.")
    seed = coach.settings.seed if seed is None else seed
    q_text = question.text if isinstance(question, Question) else question
    card = scorecard if scorecard is not None else coach.scorer.score(panel, answer, q_text)
    embedder, bank = coach.embedder, coach.corpus.items.get(panel.slug)
    # The frames' and the signals' vectors once per panel; the answer's sentences as the scorer embedded them.
    known = {**_corpus_vectors(embedder, panel, bank), **card.sentence_vectors}
    candidates = []
    for signal in candidate_signals(panel, card, coverage, avoid):
        frames = frames_for(panel, signal, bank, level)
        points = candidate_points(answer, signal_text(signal), embedder, known) if uses_points() else []
        candidates.append((signal, _unasked(frames, [q_text, *asked]), points))
    anchors = coach.corpus.anchors
    found = find_anchors(answer, anchors) if anchors is not None else []
    anchored = [_unasked_anchored(anchors.for_signal(panel.slug, s.id), [q_text, *asked]) if anchors is not None else []
                for s, _, _ in candidates]
    work = work_named(panel, q_text)
    choice = choose(candidates, embedder, lambda pool: _fit(embedder, pool, q_text, answer, known), work, seed, panel, known,
                    anchored, found)
    signal, probe, point = choice.signal, choice.frame, choice.point
    frames = frames_for(panel, signal, bank, level)
    detail = choice.detail or pick_detail(answer, signal_text(signal), embedder, known)[0]
    draft = choice.draft(say_back)
    text, record = rewrite(coach, draft, kind="follow-up", panel=panel, signal=signal, level=level, seed=seed,
                           asked=[q_text, *asked])
    refers, shared = refers_to(text, answer, [q_text, signal.name, signal.strong, probe.text])
    pv = record.provenance.model_dump() if record.provenance else _composed(coach, seed)
    return FollowUp(
        text=text, panel=panel.slug, signal=signal.id, signal_name=signal.name, composition=record.shown, draft=draft,
        rewrite=record, answer_detail=detail, answer_point=point, refers_to_answer=refers, shared_terms=shared,
        composed_as=choice.how, provenance=FollowUpProvenance(examples=[f.id for f in frames], source=probe.id, **pv),
    )


def frames_for(panel: Panel, signal: Signal, bank: ItemBank | None = None, level: str = "staff") -> list[Frame | FollowUpFrame]:
    """The follow-up frames that probe `signal`: the item bank's frames for it at this level, which
    fit any answer; without any, the panel's tagged follow-ups (some written for one story)."""
    if bank is not None:
        frames = [f for f in bank.frames if f.signal == signal.id and (f.levels is None or level in f.levels)]
        if frames:
            return frames
    return [f for f in panel.follow_ups if f.signal == signal.id]


def signal_text(signal: Signal) -> str:
    """What a follow-up on `signal` is about, as its sentences are compared with it."""
    return f"{signal.name}. {signal.strong}"


_CORPUS_VECTORS: dict[tuple[int, str], dict[str, np.ndarray]] = {}


def prepare(coach: Coach) -> None:
    """Embed every panel's frames and signal texts now, so the first follow-up of a panel does not
    wait for them (a few hundred texts over the seven panels)."""
    for panel in coach.corpus.panels.values():
        _corpus_vectors(coach.embedder, panel, coach.corpus.items.get(panel.slug))


def _corpus_vectors(embedder, panel: Panel, bank: ItemBank | None) -> dict[str, np.ndarray]:
    """Vectors of every frame and signal text a follow-up on `panel` compares, embedded in one batch
    the first time (per process and embedder, like the scorer's rubric), keyed by text so an edited
    corpus is embedded afresh."""
    texts = [*(f.text for f in (bank.frames if bank else [])), *(f.text for f in panel.follow_ups),
             *(signal_text(s) for s in panel.signals)]
    known = _CORPUS_VECTORS.setdefault((id(embedder), panel.slug), {})
    missing = [t for t in dict.fromkeys(texts) if t not in known]
    if missing:
        known.update(zip(missing, embedder.encode(missing)))
    return known


def _composed(coach: Coach, seed: int) -> dict:
    """Provenance of a draft nobody rewrote: composed from the corpus, no model involved."""
    return dict(backend="composer", model=f"{COMPOSER}@corpus:{coach.corpus.hash}", prompt_id="", prompt_hash="", seed=seed)


def _unasked(frames: list, asked: Sequence[str]) -> list:
    """The frames not yet put to the candidate, alone or after a said-back point; all of them when
    every one has been."""
    asked_norm = [" ".join(a.lower().split()) for a in asked]
    return [f for f in frames if not any(" ".join(f.text.lower().split()) in a for a in asked_norm)] or frames


def _unasked_anchored(frames: list, asked: Sequence[str]) -> list:
    """The anchored frames not yet put to the candidate, whatever they named then."""
    def put(frame) -> bool:
        before, after = (re.escape(" ".join(part.lower().split())) for part in frame.text.split("{anchor}"))
        return any(re.search(f"{before}.+?{after}", " ".join(a.lower().split())) for a in asked)
    return [f for f in frames if not put(f)]


def candidate_signals(p: Panel, card: Scorecard, coverage, avoid) -> list[Signal]:
    """The signals a follow-up may probe, weakest first: the weakest uncovered one and the other
    open signals at its level (at most CANDIDATE_SIGNALS). When the session has covered everything,
    the weakest in this answer; when this answer shows everything too, its least-evidenced signal
    (a depth probe)."""
    coverage = coverage or {}
    weakness = _weakness(p)
    for usable in (
        lambda r: r.status != "evidenced" and coverage.get(r.id) != "evidenced" and r.id not in avoid,
        lambda r: r.status != "evidenced",
        lambda r: True,
    ):
        open_ = sorted((r for r in card.signals if usable(r)), key=weakness)
        if open_:
            level, strength = open_[0].level or 0, open_[0].strength or 0.0
            near = [r for r in open_ if (r.level or 0) <= level and (r.strength or 0.0) <= strength + STRENGTH_MARGIN]
            return [p.signal(r.id) for r in near][:CANDIDATE_SIGNALS]
    raise ValueError("a scorecard without signals")


def followup_problem(text: str, embedder, blocked: Sequence[str], answer: str, said_back: str = "") -> str | None:
    """Every check a shown follow-up passes; None when it passes. `said_back` is the part that says
    the answer back on purpose ("You mentioned that ..."); only the rest must not copy the answer."""
    own = text[len(said_back):] if said_back and text.startswith(said_back) else text
    problem = surface_problem(text, MIN_WORDS, MAX_WORDS)
    if problem == "repeated phrase" and own is not text and not surface_problem(own.strip(), 1, MAX_WORDS) \
            and surface_problem(said_back.rstrip(".") + "?", 1, MAX_WORDS) is None:
        problem = None  # an anchored frame names again what the clause said back mentioned ("the CISO")
    if problem:
        return problem
    if shares_run(own, answer, 8):
        return "copies the answer"
    vec = embedder.encode_one(text)
    blocked = [b for b in blocked if b and b.strip()]
    if any(text.lower() == b.lower() for b in blocked) or max_similarity(vec, encode(embedder, blocked)) >= SHOT_DUPLICATE:
        return "repeats a question already asked"
    return None


def recheck(coach: Coach, fu: FollowUp, question: str, answer: str, asked: Sequence[str] = ()) -> str | None:
    """Run the shown follow-up through the checks again (for evals); None when it passes. A frame
    from the corpus asked alone may be an instruction ("Walk me through the restart."): the checks
    exist to catch composition and rewriting, so only the repeat check applies to it."""
    panel = coach.panel(fu.panel)
    bank = coach.corpus.items.get(panel.slug)
    if any(f.text == fu.text for f in [*panel.follow_ups, *(bank.frames if bank else [])]):
        asked_norm = {a.lower().strip() for a in (question, *asked)}
        return "repeats a question already asked" if fu.text.lower().strip() in asked_norm else None
    said_back = say_back(fu.answer_point) if fu.answer_point else ""
    return followup_problem(fu.text, coach.embedder, [question, *asked], answer, said_back)


def _fit(embedder, tagged, question: str, answer: str, known: Mapping[str, np.ndarray] | None = None) -> dict[str, float]:
    """How well each tagged follow-up fits this conversation. Tagged follow-ups were written for
    particular scenarios ("the SDK deadlock"), so the closest one reads as a follow-up here."""
    if not tagged:
        return {}
    vecs = encode_reusing(embedder, [f"{question} {prompt_answer(answer)}"] + [f.text for f in tagged], known or {})
    return {f.id: float(v @ vecs[0]) for f, v in zip(tagged, vecs[1:])}



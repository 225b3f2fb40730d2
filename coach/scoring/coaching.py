"""Feedback that uses the answer: per weak signal, a next step that starts from the candidate's
own words ("you said 'fewer alerts': give the numbers, before and after"), and the card's
recommendation. Generic advice ("show trade-offs") is what candidates already know; pointing at the
sentence that came closest and naming what it lacks is what they can act on.
"""

from __future__ import annotations

import re

import numpy as np

from coach.corpus.schema import Panel
from coach.scoring.detectors import GENERIC, Detection
from coach.scoring.scorecard import Scorecard, Suggestion
from coach.scoring.settings import ScoringSettings
from coach.scoring.verdict import DID_NOT_ANSWER, recommend

WEAK_LEVEL = 1  # at or below: the signal gets a suggestion
QUOTE_WORDS = 10
# What a sentence lacks, by the signal's detectors, and what to add.
_ADD = {
    "numbers": "give the numbers: how much or how many, before and after",
    "named": "name the components, tools or teams involved",
    "tradeoffs": "say which option you turned down and what choosing this one cost",
    "risk": "say what could fail, how you would notice, and what you would do then",
    "phased": "say in what order it happened and what you checked before each step",
    "ownership": "say what you did yourself, in the first person",
    "star": "say what the situation was, what you did, and how it ended",
}
_CLAUSE = re.compile(r"\s*(?:[,;:()]|\s-\s|\band\b|\bbut\b|\bso\b|\bbecause\b)\s*")


def finish_card(card: Scorecard, panel: Panel, s: ScoringSettings, sentences: list[str],
                detections: list[Detection], sims: np.ndarray) -> Scorecard:
    """The card with its coaching suggestions and its recommendation."""
    suggestions = []
    for j, (sig, result) in enumerate(zip(panel.signals, card.signals)):
        if (result.level or 0) <= WEAK_LEVEL and card.probed_signal in (None, sig.id):
            column = sims[:, j] if len(sentences) else np.zeros(0)
            suggestions.append(suggest(sig, sentences, detections, column, s))
    levels = {r.id: r.level for r in card.signals}
    quotes = {r.id: r.evidence for r in card.signals}
    rec = recommend(panel, card.overall, levels, quotes, s, off_question=int(card.answered == "no"), answered_total=1)
    if rec and card.answered == "no":
        rec.reasons[0] = f"{DID_NOT_ANSWER}: none of its asks was addressed"
    return card.model_copy(update={"coaching": suggestions, "recommendation": rec})


def suggest(sig, sentences: list[str], detections: list[Detection], sims: np.ndarray, s: ScoringSettings) -> Suggestion:
    """One next step for a weak signal, from the sentence that came closest to showing it."""
    if len(sims) and float(sims.max()) >= s.evidence.sim_floor:
        i = int(np.argmax(sims))
        lacking = [d for d in sig.detectors if d in _ADD and not detections[i].fires(d)] or [d for d in sig.detectors if d in _ADD]
        add = _ADD[lacking[0]] if lacking else f"show it: {sig.strong[0].lower()}{sig.strong[1:]}"
        quote = key_phrase(sentences[i])
        return Suggestion(signal=sig.id, quote=quote, text=f"On {sig.name.lower()}: you said \u201c{quote}\u201d; {add}.")
    return Suggestion(signal=sig.id, text=f"On {sig.name.lower()}: nothing in the answer spoke to it yet; "
                                          f"{sig.strong[0].lower()}{sig.strong[1:].rstrip('.')}.")


def key_phrase(sentence: str) -> str:
    """The clause of the sentence with the most content words, at most QUOTE_WORDS words, verbatim."""
    clauses = [c for c in _CLAUSE.split(sentence.strip().rstrip(".!?")) if c and len(c.split()) >= 2] or [sentence.strip()]

    def content(c: str) -> int:
        return sum(1 for w in re.findall(r"[A-Za-z0-9%$]+", c) if len(w) > 3 and w.lower() not in GENERIC or w[0].isdigit())

    best = max(clauses, key=lambda c: (content(c), -len(c)))
    words = best.split()
    return " ".join(words[:QUOTE_WORDS]) + (" …" if len(words) > QUOTE_WORDS else "")

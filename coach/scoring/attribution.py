"""Which of a signal's evidence sentences are quoted under it: the ones that speak to this signal.

A specific sentence (numbers, named parts, causes) earns evidence for every signal it is even
loosely similar to, so the most specific sentences of an answer used to be quoted under most
signals. The level still sums all of a signal's evidence; the quotes are held to more: a
sentence's evidence for a signal is weighted by how close that signal comes to the sentence's
closest signal on the panel, a softmax over the panel's signals taken relative to its maximum,

    weight = exp(-(similarity to the sentence's closest signal - similarity to this one) / temperature)

(1 for the closest signal, e^-1 for one `temperature` further away), and a sentence is quoted when
its weighted evidence reaches `min_quote_evidence`. Quotes come only from the sentences the level
summed, so every quote is part of the score it explains; a signal whose evidence all sits in
sentences about other signals shows none, and its reason says so (a wrong quote misleads more
than a missing one).
Both numbers live in `corpus/scoring.yaml`; `python -m coach.evals.fit_attribution` refits them
against the blind evidence labels and reports them cross-validated.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class Attribution(BaseModel):
    """The `attribution` section of `corpus/scoring.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float = Field(gt=0, description="cosine gap to the sentence's closest signal that costs a factor e")
    min_quote_evidence: float = Field(ge=0, description="weighted evidence a sentence needs to be quoted")


def attribution_weights(similarity: np.ndarray, temperature: float) -> np.ndarray:
    """(sentences, signals) -> weights in (0, 1]: 1 where the signal is the sentence's closest."""
    if similarity.size == 0:
        return np.ones_like(similarity)
    gap = similarity.max(axis=1, keepdims=True) - similarity
    return np.exp(-gap / temperature)


def quote_indices(summed: list[tuple[float, int]], weights: np.ndarray, settings: Attribution) -> list[int]:
    """The sentences to quote for one signal, in answer order: of the (evidence, sentence index)
    pairs behind its level, those whose evidence weighted by the signal's column of
    `attribution_weights` reaches the minimum."""
    return sorted(i for e, i in summed if e * float(weights[i]) >= settings.min_quote_evidence)

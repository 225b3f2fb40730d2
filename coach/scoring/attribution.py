"""Which of a signal's evidence sentences are quoted under it: the ones that speak to this signal.

A specific sentence (numbers, named parts, causes) earns evidence for every signal it is even
loosely similar to, so the level of a signal sums sentences that an interviewer would cite under
another one. The level keeps summing them; the quotes are held to more. Every sentence with
evidence for a signal at level 1 or more is a candidate, and a small logistic model, fit on the
blind evidence labels (`python -m coach.evals.fit_attribution`), gives the probability that an
interviewer would cite it under this signal from how it compares with the panel's *other* signals
(similarity to the signal's indicators, its strong and weak descriptions, shared rubric words,
evidence share, the signal's detectors). A sentence is quoted when that probability reaches
`threshold`, best first, at most `top_sentences` per signal. A signal with no such sentence keeps
its level and shows no quote, and its reason says so: a wrong quote misleads more than a missing one.

The coefficients live in `corpus/scoring.yaml`; the fit reports them cross-validated over the
labelled answers (never in-sample). Without coefficients every summed sentence is quoted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

# One row per (sentence, signal) candidate. "excl" = this signal's value minus the best other
# signal's, the part that says the sentence is about *this* signal rather than about the panel.
FEATURES = (
    "sim", "sim_gap", "sim_excl", "evidence", "specificity", "detectors", "evidence_share", "summed",
    "words", "words_gap", "indicator_max", "indicator_max_excl", "indicator_mean", "indicator_mean_excl",
    "strong", "strong_excl", "weak", "weak_excl",
)


class Attribution(BaseModel):
    """The `attribution` section of `corpus/scoring.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float = Field(default=0.0, ge=0, le=1, description="probability a candidate needs to be quoted")
    bias: float = 0.0
    weights: dict[str, float] = Field(default_factory=dict, description="feature -> coefficient; empty: quote every summed sentence")

    @model_validator(mode="after")
    def _known(self) -> Attribution:
        unknown = sorted(set(self.weights) - set(FEATURES))
        if unknown:
            raise ValueError(f"unknown attribution feature(s) {unknown}; known: {', '.join(FEATURES)}")
        return self

    def probability(self, x: np.ndarray) -> np.ndarray:
        """(candidates, FEATURES) -> probability each is cited under its signal."""
        w = np.array([self.weights.get(f, 0.0) for f in FEATURES])
        return 1.0 / (1.0 + np.exp(-(x @ w + self.bias)))


@dataclass(frozen=True)
class SignalParts:
    """(sentences, signals) similarities to each part of a signal's rubric text."""

    sim: np.ndarray  # the scorer's similarity (closest indicator or strong description)
    indicator_max: np.ndarray
    indicator_mean: np.ndarray
    strong: np.ndarray
    weak: np.ndarray
    words: np.ndarray  # content words shared with the signal's name, description and indicators


@dataclass(frozen=True)
class Candidates:
    """Every (sentence, signal) pair the quotes are chosen from, with its features: what the fit reads."""

    pairs: list[tuple[int, int]]  # (sentence index, signal index)
    x: np.ndarray  # (len(pairs), len(FEATURES))


def signal_parts(vecs: np.ndarray, sim: np.ndarray, signal_rows: list[np.ndarray], weak_rows: list[np.ndarray],
                 sentence_words: list[set[str]], signal_words: list[set[str]]) -> SignalParts:
    """The parts for one answer. `signal_rows[j]` embeds signal j's indicators then its strong
    description (the scorer's layout), `weak_rows[j]` its weak description."""
    n, k = len(vecs), len(signal_rows)
    ind_max, ind_mean, strong, weak = (np.zeros((n, k)) for _ in range(4))
    for j, (rows, weak_row) in enumerate(zip(signal_rows, weak_rows)):
        ind = vecs @ rows[:-1].T if len(rows) > 1 else vecs @ rows.T
        ind_max[:, j], ind_mean[:, j] = ind.max(axis=1), ind.mean(axis=1)
        strong[:, j] = vecs @ rows[-1]
        weak[:, j] = (vecs @ weak_row.T).max(axis=1)
    words = np.array([[len(sw & gw) for gw in signal_words] for sw in sentence_words], dtype=float).reshape(n, k)
    return SignalParts(sim=sim, indicator_max=ind_max, indicator_mean=ind_mean, strong=strong, weak=weak, words=words)


def _excl(m: np.ndarray) -> np.ndarray:
    """Each entry minus the largest other entry of its row (0 with one column): how far a signal
    stands out from the rest for that sentence."""
    n, k = m.shape
    if k < 2:
        return np.zeros_like(m, dtype=float)
    order = np.argsort(m, axis=1, kind="stable")
    rows = np.arange(n)
    top, second = m[rows, order[:, -1]], m[rows, order[:, -2]]
    other = np.where(np.arange(k)[None, :] == order[:, -1][:, None], second[:, None], top[:, None])
    return m - other


def candidates(parts: SignalParts, evidence: np.ndarray, summed: list[set[int]], levels: list[int],
               specificity: list[float], detector_share: np.ndarray) -> Candidates:
    """The candidates of every signal at level 1 or more: its sentences with evidence > 0.
    `evidence` is (sentences, signals), `summed` the sentences behind each signal's level and
    `detector_share` the share of each signal's detectors that fire on each sentence. Computed for
    all pairs at once: a score has a few hundred of them, and the eval scores thousands of answers."""
    pairs = [(int(i), j) for j, level in enumerate(levels) if level for i in np.nonzero(evidence[:, j] > 0)[0]]
    if not pairs:
        return Candidates([], np.zeros((0, len(FEATURES))))
    ii = np.array([i for i, _ in pairs])
    jj = np.array([j for _, j in pairs])
    best_evidence = evidence.max(axis=1)
    in_summed = np.array([float(i in summed[j]) for i, j in pairs])
    spec = np.asarray(specificity, dtype=float)
    f = {
        "sim": parts.sim[ii, jj], "sim_gap": parts.sim.max(axis=1)[ii] - parts.sim[ii, jj], "sim_excl": _excl(parts.sim)[ii, jj],
        "evidence": evidence[ii, jj], "specificity": spec[ii], "detectors": detector_share[ii, jj],
        "evidence_share": evidence[ii, jj] / best_evidence[ii], "summed": in_summed,
        "words": parts.words[ii, jj], "words_gap": parts.words[ii, jj] - parts.words.max(axis=1)[ii],
        "indicator_max": parts.indicator_max[ii, jj], "indicator_max_excl": _excl(parts.indicator_max)[ii, jj],
        "indicator_mean": parts.indicator_mean[ii, jj], "indicator_mean_excl": _excl(parts.indicator_mean)[ii, jj],
        "strong": parts.strong[ii, jj], "strong_excl": _excl(parts.strong)[ii, jj],
        "weak": parts.weak[ii, jj], "weak_excl": _excl(parts.weak)[ii, jj],
    }
    return Candidates(pairs, np.column_stack([np.asarray(f[name], dtype=float) for name in FEATURES]))


def choose_quotes(cands: Candidates, summed: list[set[int]], settings: Attribution, cap: int) -> list[list[int]]:
    """Per signal, the sentence indices to quote, in answer order. Without coefficients: the summed
    sentences (the behaviour before attribution)."""
    if not settings.weights:
        return [sorted(s) for s in summed]
    quotes: list[list[int]] = [[] for _ in summed]
    p = settings.probability(cands.x) if len(cands.pairs) else np.zeros(0)
    ranked: dict[int, list[tuple[float, int]]] = {}
    for (i, j), prob in zip(cands.pairs, p):
        if prob >= settings.threshold:
            ranked.setdefault(j, []).append((float(prob), i))
    for j, items in ranked.items():
        items.sort(key=lambda t: (-t[0], t[1]))
        quotes[j] = sorted(i for _, i in items[:cap])
    return quotes

"""Evidence precision: the metric, the blind labels it reads, and the quote attribution it measures."""

from __future__ import annotations

import numpy as np
import pytest

from coach.config import REPO_ROOT
from coach.evals import precision
from coach.evals.scoring import load_scoring_fixtures
from coach.scoring.attribution import Attribution, attribution_weights, quote_indices
from coach.scoring.evidence import EvidenceScorer
from coach.scoring.scorecard import Scorecard, ScorerInfo, SignalResult
from coach.scoring.settings import load_scoring_settings
from coach.scoring.text import split_sentences

FIXTURES = REPO_ROOT / "evals" / "fixtures"
# Measured with the shipped attribution on all 87 labelled answers: precision 0.565, recall 0.177.
# The floor leaves room for a different CPU's float rounding, not for a worse attribution.
PRECISION_FLOOR = 0.54


def _card(quotes: dict[str, tuple[int, list[str]]]) -> Scorecard:
    return Scorecard(
        panel="coding", overall=50, band="hire", scorer=ScorerInfo(name="evidence", version="t"),
        signals=[SignalResult(id=sid, name=sid, level=level, evidence=ev) for sid, (level, ev) in quotes.items()],
    )


def _labels() -> dict[str, precision.LabelledAnswer]:
    return {"a1": precision.LabelledAnswer.model_validate({"id": "a1", "panel": "coding", "sentences": [
        {"text": "We shard by tenant id.", "signals": ["data"]},
        {"text": "p99 fell from 900 ms to 300 ms.", "signals": ["numbers", "data"]},
        {"text": "It went well.", "signals": []},
        {"text": "Writes are idempotent on the key.", "signals": ["data"]},
    ]})}


def test_precision_and_recall_on_a_hand_made_case():
    card = _card({
        # two quotes, one right ("p99 ..." supports numbers), one wrong ("It went well.")
        "numbers": (2, ["p99 fell from 900  ms\nto 300 ms.", "It went well."]),
        # one right quote; the signal has three labelled sentences, so two are missed
        "data": (1, ["We shard by tenant id."]),
        # level 0: no quotes, and its labelled sentences do not count against recall
        "tests": (0, []),
    })
    report = precision.measure({"a1": card}, _labels())
    assert (report.precision.right, report.precision.shown) == (2, 3)
    assert (report.recall.right, report.recall.shown) == (2, 4)  # numbers 1/1 + data 1/3
    assert report.metrics() == {"evidence_precision": 0.6667, "evidence_recall": 0.5}
    assert report.details()["per_signal_precision"] == {"coding/data": 1.0, "coding/numbers": 0.5}
    assert report.wrong == [{"case": "a1", "signal": "numbers", "quote": "It went well.", "labelled": []}]


def test_a_quote_missing_from_the_labels_counts_as_wrong_and_is_reported():
    card = _card({"data": (2, ["A sentence added after labelling."])})
    report = precision.measure({"a1": card, "unlabelled": card}, _labels())
    assert report.answers == 1 and report.unmatched == 1 and report.precision.rate == 0.0


def test_attribution_weights_favour_the_closest_signal():
    sim = np.array([[0.50, 0.48, 0.30], [0.20, 0.20, 0.10]])
    w = attribution_weights(sim, 0.02)
    assert w[0, 0] == 1.0 and w[0, 1] == pytest.approx(np.exp(-1)) and w[0, 2] < 1e-4
    assert w[1, 0] == w[1, 1] == 1.0  # a tie: the sentence speaks to both equally
    assert attribution_weights(np.zeros((0, 3)), 0.02).shape == (0, 3)


def test_quotes_are_the_summed_sentences_whose_weighted_evidence_reaches_the_minimum():
    weights = np.array([1.0, 0.1, 0.9, 1.0])
    summed = [(0.9, 1), (0.6, 3), (0.5, 2)]  # sentence 1 has the most evidence but speaks to another signal
    setting = Attribution(temperature=0.02, min_quote_evidence=0.4)
    assert quote_indices(summed, weights, setting) == [2, 3]
    assert quote_indices(summed, weights, setting.model_copy(update={"min_quote_evidence": 0.0})) == [1, 2, 3]


def test_labels_cover_every_sentence_of_every_graded_answer(corpus):
    labels = precision.load_labels(FIXTURES)
    graded = {a["id"]: (slug, a["text"]) for slug, fx in load_scoring_fixtures(FIXTURES).items() for a in fx["answers"]}
    assert set(labels) == set(graded)
    for answer_id, lab in labels.items():
        slug, text = graded[answer_id]
        assert lab.panel == slug
        assert [s.text for s in lab.sentences] == [precision.key(s) for s in split_sentences(text)], answer_id
        known = {s.id for s in corpus.panel(slug).signals}
        assert all(set(s.signals) <= known for s in lab.sentences), answer_id
    assert sum(1 for a in labels.values() for s in a.sentences if s.signals) > 500


def test_shipped_attribution_is_configured():
    settings = load_scoring_settings(REPO_ROOT / "corpus")
    assert 0 < settings.attribution.temperature < 1 and settings.attribution.min_quote_evidence > 0


def _score_graded(scorer, corpus) -> dict[str, Scorecard]:
    cards = {}
    for slug, fx in load_scoring_fixtures(FIXTURES).items():
        panel = corpus.panel(slug)
        questions = {q.id: q.text for q in panel.sample_questions}
        for a in fx["answers"]:
            cards[a["id"]] = scorer.score(panel, a["text"], questions.get(a["question"], ""))
    return cards


def test_quote_precision_holds_its_floor_with_the_real_embedder(scorer, corpus):
    labels = precision.load_labels(FIXTURES)
    cards = _score_graded(scorer, corpus)
    report = precision.measure(cards, labels)
    assert report.answers == 87 and report.unmatched == 0
    assert report.precision.rate >= PRECISION_FLOOR, report.details()["per_panel_precision"]
    # Attribution only chooses the quotes: without it every level is the same, and the quotes
    # are many more and far less precise.
    off = Attribution(temperature=1e6, min_quote_evidence=0)
    plain = _score_graded(EvidenceScorer(scorer.embedder, scorer.settings.model_copy(update={"attribution": off}), corpus), corpus)
    assert all([s.level for s in plain[k].signals] == [s.level for s in cards[k].signals] for k in cards)
    before = precision.measure(plain, labels)
    assert before.precision.shown > 2 * report.precision.shown and before.precision.rate < report.precision.rate - 0.2

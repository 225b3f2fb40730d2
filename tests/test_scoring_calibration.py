"""Per-signal evidence scales: how they are fit, checked and applied."""

from __future__ import annotations

import shutil

import pytest

from coach.config import REPO_ROOT
from coach.errors import CorpusError
from coach.evals.calibrate import fit_bands, fit_signal_scales, level_agreement
from coach.scoring.evidence import EvidenceScorer
from coach.scoring.settings import load_scoring_settings

THRESHOLDS = [0.25, 0.7, 1.3, 2.0]


def test_every_shipped_scale_names_a_signal_of_its_panel(corpus):
    # A renamed signal would otherwise lose its calibration without a word.
    settings = load_scoring_settings(REPO_ROOT / "corpus")
    assert settings.signal_scale, "corpus/scoring.yaml ships calibrated scales"
    for key in settings.signal_scale:
        panel, signal = key.split("/")
        assert signal in {s.id for s in corpus.panel(panel).signals}, key


@pytest.mark.parametrize("entry", ["coding-communication: 0.8", "coding/communication: 0", "coding/communication: 7"])
def test_malformed_scale_is_named(tmp_path, entry):
    shutil.copy(REPO_ROOT / "corpus" / "scoring.yaml", tmp_path / "scoring.yaml")
    text = (tmp_path / "scoring.yaml").read_text()
    head = text[: text.index("signal_scale:")]
    (tmp_path / "scoring.yaml").write_text(f"{head}signal_scale:\n  {entry}\n")
    with pytest.raises(CorpusError, match="signal_scale"):
        load_scoring_settings(tmp_path)


def test_fit_scales_a_signal_onto_its_grades_and_leaves_a_right_one_alone():
    # "loud" earns twice the evidence its grades warrant; "right" already lands on its grades.
    rows = {"coding": [
        ({"loud": 2 * 0.3, "right": 0.3}, {"loud": 1, "right": 1}),
        ({"loud": 2 * 0.8, "right": 0.8}, {"loud": 2, "right": 2}),
        ({"loud": 2 * 1.5, "right": 1.5}, {"loud": 3, "right": 3}),
        ({"loud": 2 * 2.2, "right": 2.2}, {"loud": 4, "right": 4}),
    ]}
    scales = fit_signal_scales(rows, THRESHOLDS)
    # 0.5 and 0.6 both fit perfectly; the tie goes to the factor nearest 1.
    assert scales == {"coding/loud": 0.6}
    assert level_agreement(rows, {}, THRESHOLDS) < level_agreement(rows, scales, THRESHOLDS) == (1.0, 1.0)


def test_fit_bands_separates_graded_bands():
    points = [(80, "strong-hire"), (75, "strong-hire"), (50, "hire"), (45, "hire"), (25, "lean-no"), (20, "lean-no"), (5, "no-hire")]
    settings = load_scoring_settings(REPO_ROOT / "corpus")
    cuts = fit_bands(points, settings.bands)
    assert cuts.pop("accuracy") == 1.0
    assert 50 < cuts["strong-hire"] <= 75 and 25 < cuts["hire"] <= 45 and 5 < cuts["lean-no"] <= 20


def test_scale_multiplies_the_signal_evidence(embedder, corpus):
    base = load_scoring_settings(REPO_ROOT / "corpus")
    answer = (
        "I kept the p99 under 80 ms by moving the fan-out to a queue with 16 partitions. "
        "Each consumer is idempotent on the event id, so a redelivery after a crash is a no-op, "
        "and I load-tested 3x the peak of 25k requests per second before the rollout."
    )
    panel = corpus.panel("coding")
    plain = EvidenceScorer(embedder, base.model_copy(update={"signal_scale": {}}), corpus).score(panel, answer)
    halved = EvidenceScorer(embedder, base.model_copy(update={"signal_scale": {"coding/concurrency-idempotency": 0.5}}), corpus).score(panel, answer)
    before = {r.id: r for r in plain.signals}
    after = {r.id: r for r in halved.signals}
    assert before["concurrency-idempotency"].strength > 0
    assert after["concurrency-idempotency"].strength == pytest.approx(before["concurrency-idempotency"].strength / 2, abs=1e-3)
    assert "calibrated x0.5" in after["concurrency-idempotency"].reason
    assert after["communication"] == before["communication"]

"""The eval harness: floors from the committed baseline, drift detection and its proof."""

from __future__ import annotations

import json

import pytest
import yaml

from coach.config import REPO_ROOT
from coach.evals.baseline import compare, load_rules
from coach.evals.base import SuiteResult
from coach.evals.harness import run_eval
from coach.evals.mutations import workspace


def _workspace(built_settings, tmp_path):
    """Private inputs and a private copy of the shared index: a test that edits the corpus
    re-indexes its own copy, never the index the other tests read."""
    return workspace(built_settings, tmp_path)


def test_floor_and_tolerance_rules():
    rules = load_rules(REPO_ROOT / "evals" / "floors.yaml")
    base = {"suites": {"retrieval": {"recall@5": 0.99, "mrr": 0.8}}, "fingerprint": {"corpus": "a"}}
    ok = compare([SuiteResult("retrieval", {"recall@5": 0.99, "mrr": 0.8})], base, rules, {"corpus": "a"})
    assert not ok.failed and not ok.drift
    dropped = compare([SuiteResult("retrieval", {"recall@5": 0.96, "mrr": 0.7})], base, rules, {"corpus": "b"})
    assert {c.metric: c.status for c in dropped.checks} == {"recall@5": "dropped", "mrr": "dropped"}
    assert dropped.drift and dropped.fingerprint_changes[0]["component"] == "corpus"
    below = compare([SuiteResult("retrieval", {"recall@5": 0.9})], base, rules, {"corpus": "a"})
    assert below.checks[0].status == "below-floor"
    lower_better = compare([SuiteResult("scoring", {"probe_score_rises": 2.0})], {"suites": {"scoring": {"probe_score_rises": 0.0}}}, rules, {})
    assert lower_better.checks[0].failed


@pytest.mark.slow
def test_committed_baseline_holds_for_retrieval_and_scoring(built_settings):
    """`make test` fails when a suite falls below its floor or drops beyond tolerance."""
    run = run_eval(["retrieval", "scoring"], settings=built_settings, progress=False)
    assert run.ok, [f"{c.suite}.{c.metric}={c.value} ({c.status})" for c in run.comparison.failed]
    metrics = {r.name: r.metrics for r in run.results}
    assert metrics["retrieval"]["recall@5"] >= 0.95
    assert metrics["scoring"]["junk_abstain_rate"] == 1.0 and metrics["scoring"]["probe_score_rises"] == 0


@pytest.mark.slow
def test_update_baseline_writes_changelog_and_report(built_settings, tmp_path):
    ws = _workspace(built_settings, tmp_path)
    first = run_eval(["retrieval"], settings=ws, update_baseline=True, reason="test", progress=False, report_dir=tmp_path / "r1")
    assert first.changelog and "retrieval.recall@5" in (ws.evals_dir / "CHANGELOG.md").read_text()
    stored = json.loads((ws.evals_dir / "baselines" / "embedded.json").read_text())
    assert stored["suites"]["retrieval"]["recall@5"] == first.results[0].metrics["recall@5"]
    again = run_eval(["retrieval"], settings=ws, report_dir=tmp_path / "r2", progress=False)
    assert not again.comparison.drift  # nothing changed: quiet
    page = (tmp_path / "r2" / "report.html").read_text()
    assert "<svg" in page and "recall@5" in page and "PASS" in page
    assert "## Summary" in (tmp_path / "r2" / "report.md").read_text()

    # A corpus change is attributed to the file that changed.
    path = ws.corpus_dir / "panels" / "coding.yaml"
    data = yaml.safe_load(path.read_text())
    data["failure_modes"] = data["failure_modes"][:3]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    changed = run_eval(["retrieval"], settings=ws, progress=False)
    assert any(c["component"] == "corpus:panels/coding.yaml" for c in changed.comparison.fingerprint_changes)

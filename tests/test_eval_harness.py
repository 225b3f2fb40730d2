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


@pytest.mark.slow
def test_openai_backend_runs_the_same_suite_against_its_own_baseline(built_settings, llama_server, tmp_path):
    """The backend matrix: an OpenAI-compatible server (a real llama.cpp server here) gets its own
    baseline file and its own replay-cache entries; the embedded baseline is untouched."""
    ws = _workspace(built_settings, tmp_path).model_copy(
        update={"openai_base_url": llama_server, "openai_style": "completion", "llm_timeout_s": 300, "rewrite": "on"}
    )
    embedded_before = (ws.evals_dir / "baselines" / "embedded.json").read_text()
    first = run_eval(["questions"], backend="openai", settings=ws, panels=("system-design",), update_baseline=True,
                     reason="openai matrix", progress=False)
    assert first.backend == "openai" and first.cache_misses > 0
    shown = first.results[0].details["shown"]
    assert shown and all(r["text"].endswith("?") for r in shown)
    assert first.results[0].details["backend"] == "openai"
    stored = json.loads((ws.evals_dir / "baselines" / "openai.json").read_text())
    assert stored["backend"] == "openai" and "questions" in stored["suites"]
    assert (ws.evals_dir / "baselines" / "embedded.json").read_text() == embedded_before
    # Replayed from the cache: no call reaches the server, nothing moves.
    again = run_eval(["questions"], backend="openai", settings=ws, panels=("system-design",), progress=False)
    assert again.cache_misses == 0 and again.cache_hits == first.cache_misses
    assert not again.comparison.drift, [c.metric for c in again.comparison.moved]


@pytest.mark.slow
def test_repeat_reports_mean_spread_and_case_failure_rates(built_settings, tmp_path):
    # Repeats matter where a model writes: the embedded model rewriting each composed question.
    ws = _workspace(built_settings, tmp_path).model_copy(update={"rewrite": "on"})
    run = run_eval(["questions"], settings=ws, panels=("system-design",), repeat=2, progress=False)
    result = run.results[0]
    assert result.details["repeats"] == 2
    spread = result.details["spread"]["shown_valid_rate"]
    assert spread["min"] <= result.metrics["shown_valid_rate"] <= spread["max"]
    assert all(0 < f["fail_rate"] <= 1 for f in result.failures)
    # Each repeat is its own sample: the second one missed the cache instead of replaying the first.
    assert run.cache_misses >= 2 * len(result.details["shown"])

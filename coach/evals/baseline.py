"""Baselines per backend, floors per metric, and the comparison that decides pass or fail."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from coach.errors import EvalError
from coach.evals.base import SuiteResult

EPS = 1e-9


@dataclass
class Rule:
    floor: float
    tolerance: float
    lower_is_better: bool = False

    def worse(self, value: float, than: float) -> bool:
        return value > than + EPS if self.lower_is_better else value < than - EPS


@dataclass
class MetricCheck:
    suite: str
    metric: str
    value: float
    baseline: float | None
    rule: Rule | None
    status: str = "ok"  # ok | changed | improved | dropped | below-floor | new

    @property
    def delta(self) -> float | None:
        return None if self.baseline is None else round(self.value - self.baseline, 4)

    @property
    def failed(self) -> bool:
        return self.status in ("dropped", "below-floor")


@dataclass
class Comparison:
    checks: list[MetricCheck] = field(default_factory=list)
    fingerprint_changes: list[dict] = field(default_factory=list)

    @property
    def failed(self) -> list[MetricCheck]:
        return [c for c in self.checks if c.failed]

    @property
    def moved(self) -> list[MetricCheck]:
        return [c for c in self.checks if c.delta not in (None, 0.0)]

    @property
    def drift(self) -> bool:
        """Anything measurable differs from the baseline: a metric moved or an input changed."""
        return bool(self.moved or self.fingerprint_changes)


def load_rules(path: Path) -> dict[str, dict[str, Rule]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise EvalError(f"Floors file {path} cannot be read: {err}", "Restore evals/floors.yaml from git.") from err
    rules: dict[str, dict[str, Rule]] = {}
    for suite, metrics in data.items():
        rules[suite] = {
            name: Rule(float(r["floor"]), float(r.get("tolerance", 0)), r.get("better", "higher") == "lower")
            for name, r in metrics.items()
        }
    return rules


def baseline_path(evals_dir: Path, backend: str) -> Path:
    return evals_dir / "baselines" / f"{backend}.json"


def load_baseline(evals_dir: Path, backend: str) -> dict:
    path = baseline_path(evals_dir, backend)
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise EvalError(f"Baseline {path} is not valid JSON: {err}", "Restore it from git, or rewrite it with `coach eval --update-baseline`.") from err


def compare(results: list[SuiteResult], baseline: dict, rules: dict[str, dict[str, Rule]], fingerprint: dict) -> Comparison:
    from coach.evals.fingerprint import diff

    base_metrics = baseline.get("suites", {})
    comp = Comparison(fingerprint_changes=diff(baseline.get("fingerprint", {}), fingerprint) if baseline else [])
    for result in results:
        for metric, value in result.metrics.items():
            rule = rules.get(result.name, {}).get(metric)
            old = base_metrics.get(result.name, {}).get(metric)
            check = MetricCheck(result.name, metric, float(value), None if old is None else float(old), rule)
            if rule and rule.worse(value, rule.floor):
                check.status = "below-floor"
            elif old is None:
                check.status = "new"
            elif rule and rule.worse(value, old + (rule.tolerance if rule.lower_is_better else -rule.tolerance)):
                check.status = "dropped"
            elif abs(value - old) > EPS:
                better = (value < old) if (rule and rule.lower_is_better) else (value > old)
                check.status = "improved" if better else "changed"
            comp.checks.append(check)
    return comp


def write_baseline(evals_dir: Path, backend: str, results: list[SuiteResult], fingerprint: dict, reason: str) -> list[str]:
    """Store the run as the new baseline, keep a history for the report's chart, and return the
    changelog lines ("what changed, old -> new") that were appended to evals/CHANGELOG.md."""
    path = baseline_path(evals_dir, backend)
    old = load_baseline(evals_dir, backend)
    suites = dict(old.get("suites", {}))
    for r in results:
        suites[r.name] = r.metrics
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    history = list(old.get("history", []))
    history.append({"at": now, "reason": reason, "metrics": {f"{s}.{m}": v for s, ms in suites.items() for m, v in ms.items()}})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"backend": backend, "updated": now, "fingerprint": fingerprint, "suites": suites, "history": history[-50:]}, indent=2, sort_keys=True) + "\n")

    from coach.evals.fingerprint import diff

    changes = [f"{r.name}.{m}: {old.get('suites', {}).get(r.name, {}).get(m, 'new')} -> {v}" for r in results for m, v in r.metrics.items() if old.get("suites", {}).get(r.name, {}).get(m) != v]
    inputs = [c["component"] for c in diff(old.get("fingerprint", {}), fingerprint)] if old else ["first baseline"]
    line = f"- {now} [{backend}] {reason or 'baseline updated'}; inputs changed: {', '.join(inputs) or 'none'}; metrics: {'; '.join(changes) or 'unchanged'}"
    log = evals_dir / "CHANGELOG.md"
    if not log.exists():
        log.write_text("# Eval baseline changelog\n\nOne line per `coach eval --update-baseline`: what changed, old -> new.\n\n")
    with log.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    return [line]

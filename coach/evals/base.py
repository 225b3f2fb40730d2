"""What every suite returns: metrics, per-panel breakdowns and the failing cases, with their inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from coach.errors import EvalError


@dataclass
class SuiteResult:
    name: str
    metrics: dict[str, float]
    per_panel: dict[str, dict[str, float]] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "metrics": self.metrics,
            "per_panel": self.per_panel,
            "failures": self.failures,
            "details": self.details,
            "seconds": round(self.seconds, 2),
        }


def load_fixture(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise EvalError(f"Eval fixture {path} is missing.", "Restore it from git; fixtures are versioned files.") from err
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise EvalError(f"Eval fixture {path} cannot be parsed: {err}", "Fix the YAML at the line shown.") from err
    if not isinstance(data, dict):
        raise EvalError(f"Eval fixture {path} must be a mapping at the top level.", "See the other fixtures for the shape.")
    return data

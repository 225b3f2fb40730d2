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


def embed_together(embedder, answers: list[str]) -> None:
    """Embed the sentences of every answer a suite will score in one call before it scores them one
    by one. The model pads each batch to its longest text: one answer's sentences (8 to 60 tokens) in
    batches of 16 are 86 % padding, all answers' sentences sorted by length together 5 % (measured on
    the scoring fixtures). The vectors are the same; the embedder's memo serves them to each score."""
    from coach.scoring.grader_text import sanitise
    from coach.scoring.text import split_sentences

    if embedder is not None:
        embedder.encode(list(dict.fromkeys(s for a in answers for s in split_sentences(sanitise(a).text))))

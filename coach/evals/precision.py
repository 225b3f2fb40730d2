"""Evidence precision: are the quotes shown under a signal the sentences that support it?

The reference is `evals/fixtures/scoring/evidence_labels.yaml`: every sentence of the graded
answers, labelled blind to the scorer with the signals it supports (possibly none).

- precision: of the quotes a scorecard shows under a signal, the share whose sentence is labelled
  as supporting that signal;
- recall: of the labelled (sentence, signal) pairs whose signal reached level 1 or more, the share
  quoted under it. The scorer shows at most `top_sentences` quotes per signal, so a long strong
  answer caps recall well below 1; read it for change, not as an absolute.

Sentences are matched on their whitespace-collapsed text, so a wrapped line does not matter; a
quote that matches no labelled sentence (the fixture's answer was edited after labelling) counts
as a miss and is reported, never skipped silently.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from coach.config import REPO_ROOT
from coach.errors import EvalError
from coach.evals.base import load_fixture
from coach.scoring.scorecard import Scorecard

LABELS_FILE = "evidence_labels.yaml"
MAX_LISTED = 40  # misattributed quotes listed in the report


class LabelledSentence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    signals: tuple[str, ...] = ()


class LabelledAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    panel: str
    sentences: tuple[LabelledSentence, ...]

    def supports(self) -> dict[str, frozenset[str]]:
        """Sentence key -> the signals it supports."""
        return {key(s.text): frozenset(s.signals) for s in self.sentences}


def key(sentence: str) -> str:
    return " ".join(sentence.split())


DEFAULT_FIXTURES = REPO_ROOT / "evals" / "fixtures"


def load_labels(fixtures_dir: Path) -> dict[str, LabelledAnswer]:
    path = fixtures_dir / "scoring" / LABELS_FILE
    if not path.exists() and fixtures_dir.resolve() != DEFAULT_FIXTURES.resolve():
        return {}  # a fixtures dir of its own (a test, a subset) may carry no labels: nothing to measure
    raw = load_fixture(path)
    try:
        answers = [LabelledAnswer.model_validate(a) for a in raw.get("answers", [])]
    except ValidationError as err:
        first = err.errors()[0]
        raise EvalError(f"Evidence labels {path}: field '{'.'.join(map(str, first['loc']))}': {first['msg']}", "Fix the named entry; see the file's header for the shape.") from err
    return {a.id: a for a in answers}


@dataclass
class Tally:
    right: int = 0
    shown: int = 0

    def add(self, ok: bool) -> None:
        self.right += ok
        self.shown += 1

    @property
    def rate(self) -> float:
        return round(self.right / self.shown, 4) if self.shown else 1.0


@dataclass
class PrecisionReport:
    precision: Tally = field(default_factory=Tally)
    recall: Tally = field(default_factory=Tally)
    per_panel: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    per_signal: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    wrong: list[dict] = field(default_factory=list)  # misattributed quotes, for the report
    unmatched: int = 0  # quotes whose sentence is not in the labels (labels out of date)
    answers: int = 0

    def metrics(self) -> dict[str, float]:
        return {"evidence_precision": self.precision.rate, "evidence_recall": self.recall.rate}

    def details(self) -> dict:
        return {
            "answers": self.answers,
            "quotes": self.precision.shown,
            "unmatched_quotes": self.unmatched,
            "per_panel_precision": {k: v.rate for k, v in sorted(self.per_panel.items())},
            "per_signal_precision": {k: v.rate for k, v in sorted(self.per_signal.items())},
            "per_signal_quotes": {k: v.shown for k, v in sorted(self.per_signal.items())},
            "misattributed": self.wrong[:MAX_LISTED],
        }


def measure(cards: dict[str, Scorecard], labels: dict[str, LabelledAnswer]) -> PrecisionReport:
    """Precision and recall of the quotes on `cards` (answer id -> its scorecard) against the labels.
    Answers without labels, and abstained cards, are left out."""
    report = PrecisionReport()
    for answer_id, card in cards.items():
        labelled = labels.get(answer_id)
        if labelled is None or card.overall is None:
            continue
        report.answers += 1
        supports = labelled.supports()
        for sig in card.signals:
            quoted = {key(q) for q in sig.evidence}
            for q in sig.evidence:
                got = supports.get(key(q))
                report.unmatched += got is None
                ok = got is not None and sig.id in got
                for tally in (report.precision, report.per_panel[card.panel], report.per_signal[f"{card.panel}/{sig.id}"]):
                    tally.add(ok)
                if not ok:
                    report.wrong.append({"case": answer_id, "signal": sig.id, "quote": q[:160], "labelled": sorted(got) if got is not None else "not labelled"})
            if (sig.level or 0) >= 1:
                for sentence, signals in supports.items():
                    if sig.id in signals:
                        report.recall.add(sentence in quoted)
    return report

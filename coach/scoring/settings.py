"""Scorer thresholds and band cut-offs, read from `corpus/scoring.yaml` (never buried in code), and
the off-topic check's reference sentences from `corpus/topic_reference.yaml`."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from coach.errors import CorpusError, yaml_problem
from coach.scoring.attribution import Attribution
from coach.scoring.topic import TopicReferenceFile, read_topic_reference

CODE_VERSION = "6"  # bump when the algorithm changes; the settings hash covers the numbers (2: off-topic by contrast; 3: attribution, question alignment; 4: text addressed to the grader removed; 5: learned quote attribution; 6: relative question-alignment test)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bands(_Strict):
    strong_hire: float = Field(alias="strong-hire")
    hire: float
    lean_no: float = Field(alias="lean-no")

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if not self.strong_hire > self.hire > self.lean_no >= 0:
            raise ValueError("bands must satisfy strong-hire > hire > lean-no >= 0")
        return self

    def band(self, overall: float) -> str:
        if overall >= self.strong_hire:
            return "strong-hire"
        if overall >= self.hire:
            return "hire"
        if overall >= self.lean_no:
            return "lean-no"
        return "no-hire"


class Abstain(_Strict):
    min_words: int
    min_known_word_ratio: float
    min_topic_contrast: float
    pasted_question_similarity: float


def level_for(total: float, thresholds) -> int:
    """A signal's level (0-4): how many of the level thresholds its summed evidence reaches."""
    return sum(1 for t in thresholds if total >= t)


class Evidence(_Strict):
    sim_floor: float
    sim_ceiling: float
    specificity_full: float
    detector_bonus: float
    passive_penalty: float
    top_sentences: int
    level_thresholds: list[float] = Field(min_length=4, max_length=4)
    evidenced_level: int
    failure_cue_similarity: float
    weak_contrast: float = 0.0
    failure_max_specificity: float = 1.5


    @model_validator(mode="after")
    def _sane(self) -> Evidence:
        if not self.sim_ceiling > self.sim_floor:
            raise ValueError("sim_ceiling must be above sim_floor")
        if self.level_thresholds != sorted(self.level_thresholds):
            raise ValueError("level_thresholds must increase")
        return self


class Overall(_Strict):
    depth_weight: float = Field(ge=0, le=1, description="share of the overall from depth across the answer")
    depth_full: float = Field(gt=0, description="summed specific, on-panel sentences for full depth")
    failure_penalty: float = Field(ge=0, description="points off per failure mode shown")
    depth_min_specificity: float = Field(ge=0, description="sentences less specific than this add no depth")


class Alignment(_Strict):
    """When a sentence of the answer addresses an ask of the question (see `coach.scoring.asks`)."""

    ask_similarity: float = Field(ge=0, le=1, description="cosine of sentence and ask for the ask to be addressed")
    subject_threshold: float = Field(ge=0, description="on-subject measure below which the answer addresses no ask")
    word_weight: float = Field(ge=0, description="weight of the question's shared content words in that measure")
    min_subject_weight: float = Field(default=0.0, ge=0, description="least idf weight the shared-word share is taken of")
    elsewhere_margin: float | None = Field(
        default=None, ge=0, description="on-subject lead of another sample question of the panel over the asked one "
        "at which the answer answers that one instead (none: no relative test)")
    partial_penalty: float = Field(ge=0, le=1, description="share of the overall lost when every ask is missed")
    min_specificity: float = Field(ge=0, description="a sentence sharing no word with the question needs this much specificity to count")


class ScoringSettings(_Strict):
    bands: Bands
    abstain: Abstain
    evidence: Evidence
    overall: Overall
    alignment: Alignment
    attribution: Attribution = Attribution()  # absent: quote every summed sentence
    signal_scale: dict[str, float] = Field(
        default_factory=dict,
        description="'panel/signal' -> multiplier on that signal's summed evidence, fit on the graded fixtures",
    )
    topic_reference: TopicReferenceFile | None = Field(
        default=None, description="the off-topic check's reference sentences (corpus/topic_reference.yaml)"
    )
    source_hash: str = ""

    @model_validator(mode="after")
    def _scales(self) -> ScoringSettings:
        for key, factor in self.signal_scale.items():
            if key.count("/") != 1 or not 0 < factor <= 3:
                raise ValueError(f"signal_scale entry {key!r}: {factor} must be 'panel/signal' with a factor in (0, 3]")
        return self

    def scale(self, panel: str, signal: str) -> float:
        return self.signal_scale.get(f"{panel}/{signal}", 1.0)

    @property
    def version(self) -> str:
        return f"{CODE_VERSION}+{self.source_hash}"


def load_scoring_settings(corpus_dir: Path) -> ScoringSettings:
    path = Path(corpus_dir) / "scoring.yaml"
    try:
        raw = path.read_bytes()
        data = yaml.safe_load(raw.decode("utf-8"))
    except yaml.YAMLError as err:
        raise CorpusError(f"Scorer settings {path} are not valid YAML: {yaml_problem(err)}.", "Fix the YAML there, or restore corpus/scoring.yaml from git.") from err
    except (OSError, UnicodeDecodeError) as err:
        raise CorpusError(f"Scorer settings {path} cannot be read: {err}", "Restore corpus/scoring.yaml from git.") from err
    try:
        settings = ScoringSettings.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise CorpusError(f"Scorer settings {path} are malformed: field '{field}': {first['msg']}", "Fix the named field.") from err
    # The off-topic check's reference sentences are scorer data too: they share its version.
    reference, ref_raw = read_topic_reference(corpus_dir)
    digest = hashlib.sha256(raw + b"\0" + ref_raw).hexdigest()[:10]
    return settings.model_copy(update={"topic_reference": reference, "source_hash": digest})

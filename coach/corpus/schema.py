"""Pydantic models for everything under `corpus/`.

Every file is validated at load time; `extra="forbid"` makes a typo in a field name an error
instead of a silently ignored key.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PANEL_SLUGS: tuple[str, ...] = (
    "coding",
    "system-design",
    "architecture-deep-dive",
    "behavioral",
    "leadership",
    "cross-functional",
    "bar-raiser",
)
LEVELS: tuple[str, ...] = ("senior", "staff", "principal")
Level = Literal["senior", "staff", "principal"]

# Explicit detectors the evidence scorer can combine with embedding similarity.
Detector = Literal["numbers", "star", "tradeoffs", "risk", "phased", "ownership", "named"]

_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_panel(value: str) -> str:
    if value not in PANEL_SLUGS:
        raise ValueError(f"unknown panel {value!r}; valid panels: {', '.join(PANEL_SLUGS)}")
    return value


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"{value!r} is not a kebab-case id (lowercase letters, digits, dashes)")
    return value


class SampleQuestion(Strict):
    id: str
    text: str = Field(min_length=20)
    level: Level = "staff"
    signals: list[str] = Field(min_length=1, description="ids of the signals this question probes")

    _id = field_validator("id")(_check_id)

    @field_validator("text")
    @classmethod
    def _is_question(cls, value: str) -> str:
        if not value.rstrip().endswith("?"):
            raise ValueError("a sample question must end with '?'")
        return value


class Signal(Strict):
    id: str
    name: str
    weight: float = Field(default=1.0, gt=0, description="relative weight in the overall score")
    strong: str = Field(min_length=20, description="what a strong answer shows")
    indicators: list[str] = Field(min_length=5, description="phrases a strong answer tends to contain")
    weak: str = Field(min_length=20, description="what a weak answer looks like")
    detectors: list[Detector] = Field(default_factory=list)

    _id = field_validator("id")(_check_id)


class FollowUp(Strict):
    id: str
    signal: str
    text: str = Field(min_length=15)

    _id = field_validator("id")(_check_id)


class FailureMode(Strict):
    id: str
    name: str
    description: str
    cues: list[str] = Field(min_length=2, description="phrases or behaviours that reveal it")

    _id = field_validator("id")(_check_id)


class LevelExpectations(Strict):
    senior: str
    staff: str
    principal: str


class Panel(Strict):
    slug: str
    name: str
    goal: str = Field(min_length=20)
    draws_on: list[int] = Field(min_length=1, description="compendium section numbers (1-20)")
    sample_questions: list[SampleQuestion] = Field(min_length=10)
    signals: list[Signal] = Field(min_length=5, max_length=7)
    follow_ups: list[FollowUp] = Field(min_length=5)
    failure_modes: list[FailureMode] = Field(min_length=3)
    level_expectations: LevelExpectations

    _slug = field_validator("slug")(_check_panel)

    @field_validator("draws_on")
    @classmethod
    def _sections_exist(cls, value: list[int]) -> list[int]:
        bad = [n for n in value if not 1 <= n <= 20]
        if bad:
            raise ValueError(f"compendium sections run 1-20; got {bad}")
        return value

    @model_validator(mode="after")
    def _references_resolve(self) -> Panel:
        signal_ids = [s.id for s in self.signals]
        _unique("signal", signal_ids)
        _unique("sample question", [q.id for q in self.sample_questions])
        _unique("follow-up", [f.id for f in self.follow_ups])
        _unique("failure mode", [f.id for f in self.failure_modes])
        known = set(signal_ids)
        for q in self.sample_questions:
            for sid in q.signals:
                if sid not in known:
                    raise ValueError(f"question {q.id} names unknown signal {sid!r}")
        for f in self.follow_ups:
            if f.signal not in known:
                raise ValueError(f"follow-up {f.id} names unknown signal {f.signal!r}")
        untagged = known - {f.signal for f in self.follow_ups}
        if untagged:
            raise ValueError(f"signals without any follow-up: {sorted(untagged)}")
        return self

    def signal(self, signal_id: str) -> Signal:
        for s in self.signals:
            if s.id == signal_id:
                return s
        raise KeyError(signal_id)


class Case(Strict):
    id: str
    title: str
    summary: str
    categories: list[str] = Field(min_length=1)
    panels: list[str] = Field(min_length=1, description="panels this case opens well")

    _id = field_validator("id")(_check_id)

    @field_validator("panels")
    @classmethod
    def _known_panels(cls, value: list[str]) -> list[str]:
        bad = [p for p in value if p not in PANEL_SLUGS]
        if bad:
            raise ValueError(f"unknown panels {bad}; valid panels: {', '.join(PANEL_SLUGS)}")
        return value


class CaseFile(Strict):
    cases: list[Case] = Field(min_length=1)


def _unique(kind: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"duplicate {kind} id {i!r}")
        seen.add(i)


class Term(Strict):
    abbr: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9]*$", description="as the corpus writes it, e.g. RPO")
    means: str = Field(min_length=3, description="what it stands for, in plain words")


class Glossary(Strict):
    terms: list[Term] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Glossary:
        _unique("abbreviation", [t.abbr.lower() for t in self.terms])
        return self

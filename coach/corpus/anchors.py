"""Anchored follow-up frames (`corpus/anchors.yaml`): probes that name something the candidate
mentioned, a component ("Redis", "the cache") or a person ("the CISO", "your director"), typed so
that only a frame written for that kind of thing takes it.

Saying a whole clause of the answer back before a frame that points at it with "that" was graded
by blind reviewers as a non sequitur about a third of the time: a rule or a sentence embedding
cannot tell whether "Was that your call?" follows "the error budget is 0.1%". A frame that names
the thing it asks about, from a category whose every member the frame fits ("If {anchor} slowed
to a crawl, what would happen to the callers waiting on it?" for datastores, caches, queues),
follows the clause that mentions it by construction.
"""

from __future__ import annotations

import re
from pydantic import Field, field_validator, model_validator

from coach.corpus.schema import Strict, _check_id, _check_panel


class Category(Strict):
    """A kind of thing an answer mentions. `names`: proper names, matched as written, case aside
    ("Redis"); `nouns`: common nouns, matched after a determiner ("the cache", "our primary") and
    said back with one ("the cache", "your primary")."""

    names: list[str] = Field(default_factory=list)
    nouns: list[str] = Field(default_factory=list)
    people: bool = Field(default=False, description="people, not components: said back after what the candidate did towards them")

    @model_validator(mode="after")
    def _something(self) -> Category:
        if not self.names and not self.nouns:
            raise ValueError("a category lists names, nouns or both")
        return self


class AnchoredFrame(Strict):
    """A probe for one signal with one slot, `{anchor}`, for a thing of the categories it `takes`."""

    id: str
    panel: str
    signal: str
    takes: list[str] = Field(min_length=1)
    names_only: bool = Field(default=False, description=(
        "only a proper name reads well in it ('the choice of Envoy', not 'the choice of the primary')"))
    text: str = Field(min_length=15)

    _id = field_validator("id")(_check_id)

    _panel = field_validator("panel")(_check_panel)

    @field_validator("text")
    @classmethod
    def _one_slot(cls, value: str) -> str:
        if value.count("{anchor}") != 1 or re.search(r"\{(?!anchor\})", value):
            raise ValueError("an anchored frame names its slot exactly once, as {anchor}")
        if not value.endswith("?") or value.count("?") > 1 or value != " ".join(value.split()):
            raise ValueError("an anchored frame is one question ending in '?', single-spaced")
        if value.startswith("{anchor}"):
            raise ValueError("an anchored frame does not open with its slot (a name's case would be lost)")
        return value

    def fill(self, anchor: str) -> str:
        return self.text.replace("{anchor}", anchor)


class Anchors(Strict):
    categories: dict[str, Category] = Field(min_length=1)
    frames: list[AnchoredFrame] = Field(default_factory=list)

    @model_validator(mode="after")
    def _coherent(self) -> Anchors:
        ids = [f.id for f in self.frames]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"frames: duplicate ids {dupes}")
        for f in self.frames:
            unknown = [c for c in f.takes if c not in self.categories]
            if unknown:
                raise ValueError(f"frames[{f.id}].takes: unknown categories {unknown}; known: {', '.join(self.categories)}")
        return self

    def check_signals(self, signals: dict[str, set[str]]) -> None:
        """Every frame probes a signal of its panel (`signals`: panel slug -> signal ids)."""
        for f in self.frames:
            if f.signal not in signals.get(f.panel, set()):
                raise ValueError(f"frames[{f.id}].signal: {f.signal!r} is not a signal of panel {f.panel!r}")

    def for_signal(self, panel: str, signal: str) -> list[AnchoredFrame]:
        return [f for f in self.frames if f.panel == panel and f.signal == signal]

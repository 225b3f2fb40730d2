"""Item models: the interviewer's questions, composed from the corpus instead of generated.

Automatic item generation (Gierl and Lai): an item model is a stem with typed slots; element pools
supply the values; constraint coding keeps only valid combinations. Elements may nest elements
("n-layer" models), so a scenario carries its own scale variants and numbers agree by construction.
One file per panel, `corpus/items/<panel-slug>.yaml`:

    panel: system-design
    elements:                        # type -> pool
      scenario:
        - id: checkout               # ids are unique across the file, items included
          text: the checkout service of an online shop
          tags: [request-path, writes, money]
          sources: [section:2, section:14]         # compendium sections, case:<id> for cases
          levels: [staff, principal]               # optional; all levels when absent
          parts:                                    # nested pools, by type
            scale:
              - id: black-friday                    # path checkout/black-friday
                text: takes 400 orders a second at peak
      twist:
        - id: charge-once
          text: finance insists that no customer is ever charged twice
          requires: [money, writes]                 # tags some *other* chosen element must carry
          excludes: [read-only]                     # tags no other chosen element may carry
    items:
      - id: sd-cap-staff-1
        signal: capacity-math
        levels: [staff]
        stem: "You own {scenario}, which {scale}. {twist}. Which tier gives out first?"
        slots: {scenario: scenario, scale: scenario.scale, twist: twist}
        requires: [scenario:request-path]           # `slot:tag`, or a bare tag for any element
        asks: [which tier gives out first]

A slot's type is a top-level pool (`scenario`) or `<slot>.<part>`, a part of the element chosen
for another slot (`scenario.scale`). A combination is valid at a level when the item and every
chosen element admit the level, no element is chosen twice, every `requires`/`excludes` holds and
every slot is filled. Questions then read `asks`: the item's, followed by those of its elements
(a `probe` may carry its own), 1-3 in all.

The grammatical form of each slot type, so that every combination a stem allows reads right:
- scenario: a singular noun phrase with its own determiner and no trailing relative clause, fit to
  follow "You own ..." or "Your team runs ..." and to be called "it" ("the checkout service of an
  online shop"). Behavioral and leadership panels use it for a situation in the same form, fit to
  follow "Tell me about ..." ("a launch you owned slipping by a quarter").
- scale: a verb phrase in the third person singular present, whose subject is the scenario, fit to
  follow "which ..." or "It ..." ("takes 400 orders a second at peak").
- constraint, twist: an independent clause in the present tense, fit to follow "Suppose ...",
  "The catch is that ..." or "Now ..." ("the budget is capped at $40k a month").
- probe: a question in the second person without its question mark ("where does it break first").
Types are open: a panel whose stems need another form (a past-tense clause, say) declares its own
type and states the form in its file's header comment.
Element texts start lowercase unless a proper noun starts them, carry no final punctuation and no
braces; the composer capitalises sentence starts and ends the question with one "?".

Loading checks that every top-level element cites a source (a part without its own inherits its
parent's), every source exists, every tag named in requires/excludes is carried by some element,
every placeholder is a declared slot and every slot is used, every signal of the panel has item
models at senior, staff and principal, and every item has a valid combination at each of its
levels. Checks that need the rest of the corpus read it from the validation context:
{"signals": [...], "sections": [...], "cases": [...]}.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import Field, ValidationInfo, field_validator, model_validator

from coach.corpus.combinations import combinations, slot_order
from coach.corpus.schema import LEVELS, Level, Strict, _check_id, _check_panel, _unique

_TAG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_SLOT = re.compile(r"^[a-z][a-z0-9_]*$")
_KIND = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
# "ideally one that {system}", "preferably one where {x}", "especially if {x}": optional colour.
_QUALIFIER = re.compile(r"\b(?:ideally|preferably) one (?:that|where|who)? ?\{([a-z][a-z0-9_]*)\}|\bespecially if \{([a-z][a-z0-9_]*)\}")
_SOURCE = re.compile(r"^(section:(\d+)|case:([a-z0-9]+(-[a-z0-9]+)*))$")


def _check_tags(values: list[str]) -> list[str]:
    for value in values:
        if not _TAG.match(value):
            raise ValueError(f"{value!r} is not a kebab-case tag")
    return values


def _check_qualified_tags(values: list[str]) -> list[str]:
    for value in values:
        slot, _, tag = value.rpartition(":")
        if not _TAG.match(tag) or (slot and not _SLOT.match(slot)):
            raise ValueError(f"{value!r} is not a kebab-case tag or slot:tag")
    return values


def _check_sources(values: list[str], info: ValidationInfo) -> list[str]:
    context = info.context or {}
    for value in values:
        match = _SOURCE.match(value)
        if not match:
            raise ValueError(f"source {value!r} must be section:N (a compendium section) or case:<case-id>")
        if match.group(2) and "sections" in context and int(match.group(2)) not in context["sections"]:
            raise ValueError(f"source {value!r}: the compendium has no section {match.group(2)}")
        if match.group(3) and "cases" in context and match.group(3) not in context["cases"]:
            raise ValueError(f"source {value!r}: no case with id {match.group(3)!r} in corpus/cases")
    return values


class Element(Strict):
    """One value a slot can take; see the module docstring for the form its text takes."""

    id: str
    text: str = Field(min_length=2)
    tags: list[str] = Field(default_factory=list, description="what this element is about, for requires/excludes")
    sources: list[str] = Field(default_factory=list, description="section:N or case:<id> it is grounded in")
    levels: list[Level] | None = Field(default=None, description="levels it suits; all when absent")
    requires: list[str] = Field(default_factory=list, description="tags another chosen element must carry")
    excludes: list[str] = Field(default_factory=list, description="tags no other chosen element may carry")
    asks: list[str] = Field(default_factory=list, max_length=2, description="asks this element adds (probes)")
    parts: dict[str, list[Element]] = Field(default_factory=dict, description="nested pools, by type")

    _id = field_validator("id")(_check_id)
    _tags = field_validator("tags", "requires", "excludes")(_check_tags)
    _sources = field_validator("sources")(_check_sources)

    @field_validator("text")
    @classmethod
    def _slot_text(cls, value: str) -> str:
        if value != " ".join(value.split()):
            raise ValueError("element text has leading, trailing or doubled spaces")
        if "{" in value or "}" in value:
            raise ValueError("element text may not contain braces")
        if value[-1] in ".?!,;:":
            raise ValueError("element text must not end in punctuation; the stem supplies it")
        return value

    @field_validator("parts")
    @classmethod
    def _part_types(cls, value: dict[str, list[Element]]) -> dict[str, list[Element]]:
        for name, pool in value.items():
            if not _SLOT.match(name) or not pool:
                raise ValueError(f"part {name!r} must be a lowercase type name with at least one element")
        return value


class ItemModel(Strict):
    """A stem with typed slots, the signal it probes, the levels it suits and what it asks."""

    id: str
    signal: str
    levels: list[Level] = Field(min_length=1)
    stem: str = Field(min_length=20)
    slots: dict[str, str] = Field(min_length=1, description="slot name -> element type, or <slot>.<part>")
    requires: list[str] = Field(default_factory=list, description="tags (or slot:tag) the combination must carry")
    excludes: list[str] = Field(default_factory=list, description="tags (or slot:tag) it must not carry")
    uses: dict[str, list[str]] = Field(
        default_factory=dict, description="qualifier slot -> the tags its ask can use; the element must carry one")
    asks: list[str] = Field(default_factory=list, max_length=3, description="the short asks of the question")
    sources: list[str] = Field(default_factory=list, description="section:N or case:<id> the ask draws on")

    _id = field_validator("id")(_check_id)
    _sources = field_validator("sources")(_check_sources)

    _tags = field_validator("requires", "excludes")(_check_qualified_tags)

    @field_validator("signal")
    @classmethod
    def _known_signal(cls, value: str, info: ValidationInfo) -> str:
        signals = (info.context or {}).get("signals")
        if signals is not None and value not in signals:
            raise ValueError(f"unknown signal {value!r}; the panel's signals are: {', '.join(signals)}")
        return value

    @field_validator("asks")
    @classmethod
    def _short_asks(cls, value: list[str]) -> list[str]:
        if any(not a.strip() or len(a.split()) > 14 for a in value):
            raise ValueError("each ask is a short phrase of 1-14 words")
        return value

    @model_validator(mode="after")
    def _slots_match_stem(self) -> ItemModel:
        used = _PLACEHOLDER.findall(self.stem)
        rest = _PLACEHOLDER.sub("", self.stem)
        if "{" in rest or "}" in rest:
            raise ValueError(f"item {self.id}: stem has a brace that is not a {{slot}} placeholder")
        for name in used:
            if name not in self.slots:
                raise ValueError(f"item {self.id}: stem uses {{{name}}}, which slots does not declare")
        for name, kind in self.slots.items():
            if not _SLOT.match(name):
                raise ValueError(f"item {self.id}: slot name {name!r} must be lowercase letters, digits, _")
            if name not in used:
                raise ValueError(f"item {self.id}: slot {name!r} is declared but the stem never uses it")
            if not _KIND.match(kind):
                raise ValueError(f"item {self.id}: slot {name!r} has type {kind!r}; use a type or <slot>.<part>")
            parent = kind.split(".", 1)[0] if "." in kind else None
            if parent is not None and parent not in self.slots:
                raise ValueError(f"item {self.id}: slot {name!r} is a part of {parent!r}, which is not a slot")
        for entry in self.requires + self.excludes:
            if ":" in entry and entry.split(":", 1)[0] not in self.slots:
                raise ValueError(f"item {self.id}: {entry!r} names a slot the item does not have")
        for slot, tags in self.uses.items():
            if slot not in self.slots or not tags:
                raise ValueError(f"item {self.id}: uses names {slot!r}, which is not a slot, or no tags")
            _check_tags(tags)
        self._qualifiers_are_used()
        slot_order(self.slots)  # raises on a cycle
        return self

    def _qualifiers_are_used(self) -> None:
        """A hedged qualifier ("ideally one that {system}") reads as bolted on unless the ask uses
        it: the item must say which of its tags the ask uses (`uses`, or `requires` on that slot),
        unless the slot's own parts supply the ask ("{pressure}. {ask}?")."""
        parents = {kind.split(".", 1)[0] for kind in self.slots.values() if "." in kind}
        for match in _QUALIFIER.finditer(self.stem):
            name = match.group(1) or match.group(2)
            declared = name in self.uses or any(r.startswith(f"{name}:") for r in self.requires)
            if not declared and name not in parents:
                raise ValueError(
                    f"item {self.id}: {{{name}}} is a qualifier the ask may not use; name the tags its ask uses "
                    f"(uses: {{{name}: [...]}}) or drop the qualifier from the stem")


# The kinds of point a follow-up can say back before a frame (coach.interviewer._point_kinds).
POINT_KINDS = ("thing", "act", "choice", "design", "result", "figure", "claim")
STANDALONE_FRAMES = 2


class FollowUpFrame(Strict):
    """A probe for one signal that fits any answer on it. A frame that points back ("Who disagreed
    with that?") is asked after one point of the answer is said back, and only after a point of a
    kind it `needs` ("-figure": never after a number); a frame with no needs stands alone and is
    asked without saying anything back. No "that lock" or "the SDK deadlock" that only one story has."""

    id: str
    signal: str
    text: str = Field(min_length=15)
    needs: list[str] = Field(description="kinds of point it can follow; [] when it stands alone")
    bridge: bool = Field(default=True, description=(
        "a frame that stands alone may follow a point as context, after 'In that same <work>,'; false for "
        "frames with an opener of their own ('Pause there ...')"))
    any_point: bool = Field(default=False, description=(
        "its ask is about the point said back and carries no topic of its own ('How did you know that was the "
        "right call?'), so it follows any point of a kind it needs, however far apart the two are in meaning"))
    levels: list[Level] | None = Field(default=None, description="levels it suits; all when absent")

    @field_validator("needs")
    @classmethod
    def _kinds(cls, value: list[str]) -> list[str]:
        for kind in value:
            if kind.removeprefix("-") not in POINT_KINDS:
                raise ValueError(f"unknown point kind {kind!r}; use {', '.join(POINT_KINDS)} (or -kind to rule one out)")
        if value and all(k.startswith("-") for k in value):
            raise ValueError("a frame that rules kinds out must also name a kind it can follow")
        return value

    _id = field_validator("id")(_check_id)
    _signal = field_validator("signal")(ItemModel._known_signal.__func__)  # type: ignore[attr-defined]

    @field_validator("text")
    @classmethod
    def _one_question(cls, value: str) -> str:
        if not value.endswith("?") or value.count("?") > 2 or value != " ".join(value.split()):
            raise ValueError("a frame is one question ending in '?', single-spaced")
        return value

    @model_validator(mode="after")
    def _points_somewhere(self) -> FollowUpFrame:
        if self.any_point and not self.needs:
            raise ValueError(f"frame {self.id}: any_point needs the kinds of point it follows (needs: [choice, ...])")
        return self


class ItemBank(Strict):
    """The item models, element pools and follow-up frames of one panel."""

    panel: str
    elements: dict[str, list[Element]] = Field(min_length=1)
    items: list[ItemModel] = Field(min_length=1)
    frames: list[FollowUpFrame] = Field(default_factory=list, description="follow-up probes, per signal")

    _panel = field_validator("panel")(_check_panel)

    @model_validator(mode="after")
    def _bank_is_coherent(self, info: ValidationInfo) -> ItemBank:
        elements = list(self.walk())
        _unique("element, item or frame", [path for path, _, _ in elements] + [i.id for i in self.items] + [f.id for f in self.frames])
        for path, kind, element in elements:
            if "/" not in path and not element.sources:
                raise ValueError(f"elements.{kind}[{element.id}].sources: a top-level element names what grounds it")
        known_tags = {t for _, _, e in elements for t in e.tags}
        self._check_references(known_tags)
        self._check_coverage((info.context or {}).get("signals"))
        self._check_standalone_frames()
        for item in self.items:
            for level in item.levels:
                if next(combinations(self, item, level), None) is None:
                    raise ValueError(f"items[{item.id}]: no valid combination of elements at level {level}")
        return self

    def _check_references(self, known_tags: set[str]) -> None:
        def check(where: str, tags: Iterable[str]) -> None:
            for t in tags:
                if t.split(":", 1)[-1] not in known_tags:
                    raise ValueError(f"{where}: tag {t!r} is carried by no element (a typo?)")

        for path, kind, element in self.walk():
            check(f"elements.{kind}[{path}]", element.requires + element.excludes)
        for item in self.items:
            check(f"items[{item.id}].requires/excludes/uses", item.requires + item.excludes + [t for ts in item.uses.values() for t in ts])
            least = most = len(item.asks)
            for slot, kind in item.slots.items():
                pool = self.pool(kind, item.slots)
                if not pool:
                    raise ValueError(f"items[{item.id}].slots: type {kind!r} of slot {slot!r} has no elements")
                least += min(len(e.asks) for e in pool)
                most += max(len(e.asks) for e in pool)
            if least < 1 or most > 3:
                raise ValueError(f"items[{item.id}].asks: a question carries 1-3 asks; this one {least} to {most}")

    def _check_coverage(self, signals: list[str] | None) -> None:
        covered = {(i.signal, level) for i in self.items for level in i.levels}
        for signal in signals or ():
            missing = [level for level in LEVELS if (signal, level) not in covered]
            if missing:
                raise ValueError(f"items: signal {signal!r} has no item model for {', '.join(missing)}")

    def _check_standalone_frames(self) -> None:
        """A follow-up on a signal must have frames to ask alone, for answers with nothing that fits
        the frames which point back: two at least, so a session need not repeat one."""
        for signal in sorted({f.signal for f in self.frames}):
            for level in LEVELS:
                alone = [f for f in self.frames if f.signal == signal and not f.needs and (f.levels is None or level in f.levels)]
                if len(alone) < STANDALONE_FRAMES:
                    raise ValueError(f"frames: signal {signal!r} has {len(alone)} frame(s) with needs: [] at level {level}; "
                                     f"write at least {STANDALONE_FRAMES} to ask alone")

    def walk(self) -> Iterable[tuple[str, str, Element]]:
        """Every element with its path (parent/child ids) and type, parents before parts."""

        def visit(prefix: str, kind: str, pool: list[Element]):
            for e in pool:
                path = f"{prefix}/{e.id}" if prefix else e.id
                yield path, kind, e
                for part, sub in e.parts.items():
                    yield from visit(path, part, sub)

        for kind, pool in self.elements.items():
            yield from visit("", kind, pool)

    def pool(self, kind: str, slots: dict[str, str]) -> list[Element]:
        """Every element a slot of this type could take, across all parents for a part."""
        if "." not in kind:
            return list(self.elements.get(kind, []))
        parent, part = kind.split(".", 1)
        return [sub for p in self.pool(slots[parent], slots) for sub in p.parts.get(part, [])]

    def items_for(self, signal: str, level: str) -> list[ItemModel]:
        return [i for i in self.items if i.signal == signal and level in i.levels]

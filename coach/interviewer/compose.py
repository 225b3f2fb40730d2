"""Compose interview questions from a panel's item models: no model calls, same seed, same question.

    bank = corpus.items["system-design"]
    q = compose(bank, "capacity-math", "staff", rng(seed, "system-design", "question", 0))
    q.text, q.asks, q.sources, q.elements

An item model of the signal and level is drawn at random, then one of its valid combinations
(`coach.corpus.combinations`), shuffled by the caller's `random.Random` and, when the caller passes
`rank`, stably sorted by it (highest first): a rank of 1 for "matches the user's focus" and 0
otherwise keeps the variety within each group. Every question shown passes the same surface checks
as a generated one.

With `reviewed` (the panel's item review ledger, `coach.corpus.reviews`), the texts two reviewers
accepted are drawn first, a text they refused never, and an unreviewed one only once every accepted
text of the signal and level is avoided; `Composed.reviewed` says which it was.
"""

from __future__ import annotations

import dataclasses
import math
import random
import re
import weakref
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass

from coach.corpus.combinations import Combination, cached_combinations, valid_combinations
from coach.corpus.items import Element, ItemBank
from coach.corpus.reviews import Review, normalise
from coach.corpus.schema import LEVELS
from coach.errors import UserInputError, unknown_choice
from coach.interviewer._checks import surface_problem

__all__ = ["Composed", "compose", "all_composed", "render", "valid_combinations"]

# (element type, element) -> preference; higher is tried first.
Rank = Callable[[str, Element], float]

_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:?!])")
_SENTENCE_START = re.compile(r"([.?!]\s+)([a-z])")


@dataclass(frozen=True)
class Composed:
    text: str
    item_id: str
    signal: str
    level: str
    elements: dict[str, str]  # slot -> path of the element that fills it ("checkout/black-friday")
    sources: tuple[str, ...]  # the item's and every element's, in order, each once
    asks: tuple[str, ...]
    key: str  # the item and its elements: equal keys are the same question
    reviewed: bool = False  # two reviewers accepted this text word for word before it was shown


def render(stem: str, fills: dict[str, str]) -> str:
    """The stem with its slots filled, spaced, capitalised and ending in exactly one '?'."""
    text = re.sub(r"\{([a-z][a-z0-9_]*)\}", lambda m: fills[m.group(1)], stem)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(text.split()))
    text = text.rstrip(" ,;:.?!") + "?"
    text = _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), text)
    return text[:1].upper() + text[1:]


def _composed(combo: Combination) -> Composed:
    item = combo.item
    text = render(item.stem, {slot: element.text for slot, _, element in combo.choices})
    sources = dict.fromkeys(item.sources)
    asks = dict.fromkeys(item.asks)
    for _, path, element in combo.choices:
        sources.update(dict.fromkeys(element.sources or _parent_sources(combo, path)))
        asks.update(dict.fromkeys(element.asks))
    return Composed(
        text=text, item_id=item.id, signal=item.signal, level=combo.level,
        elements={slot: path for slot, path, _ in combo.choices},
        sources=tuple(sources), asks=tuple(asks), key=combo.key,
    )  # fmt: skip


def _parent_sources(combo: Combination, path: str) -> list[str]:
    """A part without sources of its own is grounded in what grounds its parent."""
    parent = path.rpartition("/")[0]
    return [s for _, p, e in combo.choices if p == parent for s in e.sources]


def _avoided(q: Composed, avoid: Collection[str]) -> bool:
    if not avoid:
        return False
    return (
        q.key in avoid or q.item_id in avoid or " ".join(q.text.lower().split()) in avoid
        or any(path in avoid for path in q.elements.values())
    )  # fmt: skip


def _ordered(bank: ItemBank, signal: str, level: str, rng: random.Random, rank: Rank | None,
             keep: Callable[[Combination], bool], spread: Callable[[int], float] = math.sqrt) -> list[list[Combination]]:
    """Each item's valid combinations that `keep` lets through, items and combinations in the order to try them.

    Items come in a random order weighted by `spread` of their number of combinations, by default
    the square root: a rich item comes first more often without drowning the small ones, and each
    item adds about the same chance that two seeds draw the same question. Within an item every combination is equally
    likely (choosing slot by slot would favour elements with few compatible partners), then the
    caller's rank sorts them, slot by slot in the order the item declares its slots.
    """
    per_item = [[c for c in cached_combinations(bank, item, level) if keep(c)] for item in bank.items_for(signal, level)]
    draws = [(rng.random() ** (1 / spread(len(c))), c) for c in per_item if c]
    ordered = [c for _, c in sorted(draws, key=lambda d: -d[0])]
    for combos in ordered:
        rng.shuffle(combos)
        if rank is not None:
            kinds = {slot: kind.rpartition(".")[2] for slot, kind in combos[0].item.slots.items()}
            combos.sort(key=lambda c: tuple(-rank(kinds[slot], e) for slot, _, e in c.choices))
    return ordered


def compose(
    bank: ItemBank,
    signal: str,
    level: str,
    rng: random.Random,
    rank: Rank | None = None,
    avoid: Collection[str] = (),
    reviewed: Mapping[str, Review] | None = None,
) -> Composed:
    """One question for `signal` at `level`.

    `avoid` holds what must not be asked again: question texts (compared case- and
    space-insensitively), combination keys, item ids and element paths. `reviewed` maps normalised
    texts to their review: accepted ones first, refused ones never. Raises UserInputError when
    every valid combination is avoided.
    """
    if level not in LEVELS:
        raise unknown_choice("level", level, LEVELS)
    signals = sorted({i.signal for i in bank.items})
    if signal not in signals:
        raise unknown_choice(f"signal of panel {bank.panel}", signal, signals)
    avoid = {" ".join(a.lower().split()) if " " in a else a for a in avoid}
    rejected = 0
    reviewed = reviewed or {}
    verdict = _verdicts(bank, reviewed)
    for accepted in (True, None):
        # Accepted texts are few per item, so an item is drawn by how many it has: every accepted
        # text equally likely, which keeps first questions of different seeds apart.
        spread = (lambda n: n) if accepted else math.sqrt
        for combos in _ordered(bank, signal, level, rng, rank, lambda c: verdict(c) is accepted, spread):
            for combo in combos:
                q = _composed(combo)
                if _avoided(q, avoid):
                    continue
                if surface_problem(q.text):
                    rejected += 1  # a content bug; tests/test_items.py keeps it at zero
                    continue
                return q if accepted is None else dataclasses.replace(q, reviewed=True)
    note = f" ({rejected} failed the surface checks)" if rejected else ""
    raise UserInputError(
        f"No {signal} question is left for level {level} in panel {bank.panel}: every valid combination is avoided{note}.",
        "Ask for another signal or level, or start a new session so earlier questions may be asked again.",
    )


# (bank, ledger) -> combination key -> True (accepted), False (refused) or None (not reviewed). The
# ledger is fixed for a loaded corpus, and rendering every combination on every question would
# cost more than composing. Keyed by id() and dropped with the bank, like the combinations cache.
_VERDICTS: dict[tuple[int, int], tuple[Mapping[str, Review], dict[str, bool | None]]] = {}


def _verdicts(bank: ItemBank, reviewed: Mapping[str, Review]) -> Callable[[Combination], bool | None]:
    if not reviewed:
        return lambda combo: None
    key = (id(bank), id(reviewed))
    if key not in _VERDICTS:
        _VERDICTS[key] = (reviewed, {})  # holding the ledger keeps its id from being reused
        weakref.finalize(bank, _VERDICTS.pop, key, None)
    known = _VERDICTS[key][1]

    def verdict(combo: Combination) -> bool | None:
        if combo.key not in known:
            review = reviewed.get(normalise(_composed(combo).text))
            known[combo.key] = None if review is None else review.askable
        return known[combo.key]

    return verdict


def all_composed(bank: ItemBank, level: str | None = None, signal: str | None = None) -> Iterator[Composed]:
    """Every valid combination rendered, unchecked: for variety figures and content tests."""
    for combo in valid_combinations(bank, level, signal):
        yield _composed(combo)

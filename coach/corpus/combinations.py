"""The valid combinations of an item model: which elements may fill its slots together.

A depth-first walk over the slots, parents before their parts. Level filters and excludes prune a
branch as soon as an element is placed; requires can only be judged once every slot is filled,
because any later element may carry the tag. The same walk serves the load-time check ("is there
at least one?"), the composer (all of one item's, to draw from) and the variety count.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coach.corpus.items import Element, ItemBank, ItemModel

@dataclass(frozen=True)
class Combination:
    item: ItemModel
    level: str
    choices: tuple[tuple[str, str, Element], ...]  # (slot, path, element), in the item's slot order

    @property
    def key(self) -> str:
        """Stable id of this combination: the item and the path of each slot's element."""
        return self.item.id + "|" + ",".join(f"{slot}={path}" for slot, path, _ in self.choices)


def slot_order(slots: dict[str, str]) -> list[tuple[str, str | None, str]]:
    """(slot, parent slot or None, type of element) with every parent before its parts."""
    ordered: list[tuple[str, str | None, str]] = []
    placed: set[str] = set()
    pending = dict(slots)
    while pending:
        ready = [s for s, kind in pending.items() if "." not in kind or kind.split(".", 1)[0] in placed]
        if not ready:
            raise ValueError(f"slots {sorted(pending)} are parts of each other in a cycle")
        for slot in ready:
            kind = pending.pop(slot)
            parent, _, part = kind.rpartition(".")
            ordered.append((slot, parent or None, part))
            placed.add(slot)
    return ordered


def _qualified(entries: list[str]) -> tuple[set[str], dict[str, set[str]]]:
    plain: set[str] = set()
    by_slot: dict[str, set[str]] = {}
    for entry in entries:
        slot, _, tag = entry.rpartition(":")
        (by_slot.setdefault(slot, set()) if slot else plain).add(tag)
    return plain, by_slot


def combinations(bank: ItemBank, item: ItemModel, level: str) -> Iterator[Combination]:
    """Every valid combination of `item` at `level`, elements in the order the bank lists them."""
    slots = slot_order(item.slots)
    declared = {slot: i for i, slot in enumerate(item.slots)}
    needs, needs_at = _qualified(item.requires)
    bans, bans_at = _qualified(item.excludes)
    chosen: list[tuple[str, str, Element, frozenset[str]]] = []
    paths: dict[str, tuple[str, Element]] = {}

    def fits(slot: str, element: Element, tags: frozenset[str]) -> bool:
        if element.levels is not None and level not in element.levels:
            return False
        if tags & bans or tags & bans_at.get(slot, set()) or not needs_at.get(slot, set()) <= tags:
            return False
        if slot in item.uses and not tags & set(item.uses[slot]):
            return False  # a qualifier the ask would not use
        return not any(tags & set(other.excludes) or tags2 & set(element.excludes) for _, _, other, tags2 in chosen)

    def complete() -> bool:
        if not needs <= frozenset().union(*(c[3] for c in chosen)):
            return False
        for i, (_, _, element, _) in enumerate(chosen):
            if element.requires and not set(element.requires) <= frozenset().union(*(c[3] for j, c in enumerate(chosen) if j != i)):
                return False
        return True

    def walk(depth: int) -> Iterator[Combination]:
        if depth == len(slots):
            if complete():
                ordered = sorted(chosen, key=lambda c: declared[c[0]])
                yield Combination(item, level, tuple((slot, path, e) for slot, path, e, _ in ordered))
            return
        slot, parent, kind = slots[depth]
        if parent is None:
            pool = [(e.id, e) for e in bank.elements.get(kind, [])]
        else:
            ppath, pelement = paths[parent]
            pool = [(f"{ppath}/{e.id}", e) for e in pelement.parts.get(kind, [])]
        used = {c[1] for c in chosen}
        for path, element in pool:
            tags = frozenset(element.tags)
            if path in used or not fits(slot, element, tags):
                continue
            chosen.append((slot, path, element, tags))
            paths[slot] = (path, element)
            yield from walk(depth + 1)
            chosen.pop()
            del paths[slot]

    if level in item.levels:
        yield from walk(0)


# Combinations per bank, item and level: banks are immutable, and the composer draws from the same
# few hundred combinations on every question. Keyed by id() because banks are unhashable; the
# finalizer drops a bank's entries when the bank goes away, so an id is never reused stale.
_CACHE: dict[int, dict[tuple[str, str], tuple[Combination, ...]]] = {}


def cached_combinations(bank: ItemBank, item: ItemModel, level: str) -> tuple[Combination, ...]:
    per_bank = _CACHE.get(id(bank))
    if per_bank is None:
        per_bank = _CACHE[id(bank)] = {}
        weakref.finalize(bank, _CACHE.pop, id(bank), None)
    key = (item.id, level)
    if key not in per_bank:
        per_bank[key] = tuple(combinations(bank, item, level))
    return per_bank[key]


def valid_combinations(bank: ItemBank, level: str | None = None, signal: str | None = None) -> Iterator[Combination]:
    """Every valid combination in the bank (optionally of one level and one signal), unrendered."""
    for item in bank.items:
        if signal is not None and item.signal != signal:
            continue
        for lvl in item.levels if level is None else [level]:
            yield from combinations(bank, item, lvl)


def count_combinations(bank: ItemBank, level: str | None = None, signal: str | None = None) -> int:
    return sum(1 for _ in valid_combinations(bank, level, signal))

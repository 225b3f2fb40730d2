"""The valid combinations of an item model: which elements may fill its slots together.

A depth-first walk over the slots, parents before their parts. Level filters and excludes prune a
branch as soon as an element is placed; requires can only be judged once every slot is filled,
because any later element may carry the tag. The caller orders each slot's candidates (shuffled
and ranked when composing, as written when counting), so the same walk serves the load-time check
("is there at least one?"), the composer ("the first one I like") and the variety count ("all").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coach.corpus.items import Element, ItemBank, ItemModel

# (slot, type, candidates as (path, element)) -> the candidates in the order to try them.
Order = Callable[[str, str, list[tuple[str, "Element"]]], list[tuple[str, "Element"]]]


@dataclass(frozen=True)
class Combination:
    item: ItemModel
    level: str
    choices: tuple[tuple[str, str, Element], ...]  # (slot, path, element), in slot order

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


def combinations(bank: ItemBank, item: ItemModel, level: str, order: Order | None = None) -> Iterator[Combination]:
    """Every valid combination of `item` at `level`, in the order `order` gives each slot."""
    slots = slot_order(item.slots)
    needs, needs_at = _qualified(item.requires)
    bans, bans_at = _qualified(item.excludes)
    chosen: list[tuple[str, str, Element]] = []
    paths: dict[str, tuple[str, Element]] = {}

    def fits(slot: str, element: Element) -> bool:
        if element.levels is not None and level not in element.levels:
            return False
        tags = set(element.tags)
        if tags & bans or tags & bans_at.get(slot, set()) or not needs_at.get(slot, set()) <= tags:
            return False
        for _, _, other in chosen:
            if tags & set(other.excludes) or set(element.excludes) & set(other.tags):
                return False
        return True

    def complete() -> bool:
        tags = [set(e.tags) for _, _, e in chosen]
        if not needs <= set().union(*tags):
            return False
        for i, (_, _, element) in enumerate(chosen):
            others = set().union(*(t for j, t in enumerate(tags) if j != i))
            if not set(element.requires) <= others:
                return False
        return True

    def walk(depth: int) -> Iterator[Combination]:
        if depth == len(slots):
            if complete():
                yield Combination(item, level, tuple(chosen))
            return
        slot, parent, kind = slots[depth]
        if parent is None:
            pool = [(e.id, e) for e in bank.elements.get(kind, [])]
        else:
            ppath, pelement = paths[parent]
            pool = [(f"{ppath}/{e.id}", e) for e in pelement.parts.get(kind, [])]
        used = {path for _, path, _ in chosen}
        candidates = [(p, e) for p, e in pool if p not in used and fits(slot, e)]
        for path, element in order(slot, kind, candidates) if order else candidates:
            chosen.append((slot, path, element))
            paths[slot] = (path, element)
            yield from walk(depth + 1)
            chosen.pop()
            del paths[slot]

    if level in item.levels:
        yield from walk(0)


def valid_combinations(bank: ItemBank, level: str | None = None, signal: str | None = None) -> Iterator[Combination]:
    """Every valid combination in the bank (optionally of one level and one signal), unrendered."""
    for item in bank.items:
        if signal is not None and item.signal != signal:
            continue
        for lvl in item.levels if level is None else [level]:
            yield from combinations(bank, item, lvl)


def count_combinations(bank: ItemBank, level: str | None = None, signal: str | None = None) -> int:
    return sum(1 for _ in valid_combinations(bank, level, signal))

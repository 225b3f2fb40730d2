"""A hedged qualifier ("ideally one that ...") is added only when the ask uses it, and setups do
not pair elements that clash (constraint coding on the shipped banks)."""

from __future__ import annotations

import re

import pytest

from coach.corpus.items import ItemModel
from coach.interviewer.compose import all_composed


def test_a_hedged_qualifier_without_the_tags_its_ask_uses_is_refused():
    with pytest.raises(ValueError, match="qualifier the ask may not use"):
        ItemModel(id="x-1", signal="s", levels=["staff"], slots={"system": "system"},
                  stem="Pick a service you built, ideally one that {system}. What would you delete?")
    ItemModel(id="x-2", signal="s", levels=["staff"], slots={"system": "system"}, uses={"system": ["spend"]},
              stem="Pick a service you built, ideally one that {system}. What does it cost each month?")


def test_every_hedged_qualifier_in_the_banks_carries_a_tag_its_ask_uses(corpus):
    bank = corpus.items["architecture-deep-dive"]
    systems = {e.id: set(e.tags) for e in bank.elements["system"]}
    items = {i.id: i for i in bank.items}
    hedged = [q for q in all_composed(bank) if re.search(r"\b(?:ideally|preferably) one that", q.text)]
    assert hedged
    for q in hedged:
        item = items[q.item_id]
        used = set(item.uses.get("system", [])) | {r.split(":", 1)[1] for r in item.requires if r.startswith("system:")}
        assert systems[q.elements["system"]] & used, q.text


def test_known_clashes_are_ruled_out(corpus):
    beh = list(all_composed(corpus.items["behavioral"]))
    announced = [q for q in beh if q.elements.get("pressure") == "announced"]
    assert announced and not any(q.elements["situation"] == "platform-adopted" for q in announced)
    sd = list(all_composed(corpus.items["system-design"]))
    vanish = [q for q in sd if "own-writes" in q.elements.values()]
    assert vanish and not any(q.elements.get("scenario") == "checkout" for q in vanish)
    add = list(all_composed(corpus.items["architecture-deep-dive"]))
    assert not [q.text for q in add if "many other services read and that" in q.text or "internal services and that" in q.text]

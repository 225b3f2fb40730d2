"""Saying a point back only before a frame that fits it: the kinds of a point, the grammar of the
say-back, the frames' declared needs, and the follow-up asked alone when nothing fits."""

from __future__ import annotations

import pytest

from coach.corpus.items import FollowUpFrame
from coach.interviewer._answer_text import say_back
from coach.interviewer._point_kinds import fits, kinds
from coach.interviewer._followup_choice import best_fit, points_back


@pytest.mark.parametrize(
    ("point", "has", "lacks"),
    [
        ("a workload that is 90% reads", {"thing", "figure"}, {"claim"}),
        ("the share of events reflected in rollups within 30 minutes, objective 99.99%", {"thing"}, {"claim"}),
        ("the managed global database, self-run CockroachDB", {"thing"}, {"claim"}),
        ("the RPO allows 5 minutes", {"design", "figure", "claim"}, {"thing", "act"}),
        ("each replica owns one slot in a map", {"design"}, {"thing", "act"}),
        ("you mapped who had to say yes", {"act", "claim"}, {"thing", "design"}),
        ("the fix is a read-after-write token", {"choice"}, {"thing"}),
        ("you decided to shard by tenant", {"choice", "act"}, {"thing"}),
        ("six months later it was holding at $18k", {"result", "figure"}, {"thing", "act"}),
        ("the assumption that flipped it was whether platform could staff the on-call", {"claim"}, {"thing"}),
    ],
)
def test_the_kind_of_a_point_comes_from_its_form(point, has, lacks):
    found = kinds(point)
    assert has <= found and not lacks & found, sorted(found)


def test_a_noun_phrase_is_said_back_without_that_and_a_clause_with_it():
    assert say_back("a workload that is 90% reads") == "You mentioned a workload that is 90% reads."
    assert say_back("you pulled six months of paging data.") == "You mentioned that you pulled six months of paging data."


def test_a_frame_follows_only_the_kinds_it_needs_and_never_one_it_rules_out():
    assert fits(["choice"], kinds("the fix is a read-after-write token"))
    assert not fits(["choice"], kinds("six months later it was holding at $18k"))
    assert not fits(["design", "-figure"], kinds("the RPO allows 5 minutes"))
    assert not fits([], kinds("the fix is a read-after-write token"))  # stands alone: follows nothing


def test_frames_declare_what_they_follow_and_reject_unknown_kinds():
    with pytest.raises(ValueError, match="unknown point kind"):
        FollowUpFrame(id="x-fr", signal="s", text="Who disagreed with that, and why?", needs=["decision"])
    with pytest.raises(ValueError, match="must also name a kind"):
        FollowUpFrame(id="x-fr", signal="s", text="Who disagreed with that, and why?", needs=["-figure"])


class _SameVector:
    """Every text at the same point: every pair is a perfect fit, so only kinds decide."""

    def encode(self, texts):
        import numpy as np

        return np.ones((len(texts), 4), dtype=np.float32) / 2.0


def test_a_point_is_paired_only_with_a_frame_that_needs_its_kind():
    disagree = FollowUpFrame(id="a", signal="s", text="Who disagreed with that, and what did you concede?", needs=["choice"])
    alone = FollowUpFrame(id="b", signal="s", text="Which decision would you defend hardest, and why?", needs=[])
    number = [("It held at $18k.", "six months later it was holding at $18k")]
    assert best_fit(_SameVector(), number, [disagree, alone]) == (0.0, None, None)  # no frame fits a result
    choice = [("The fix is a token.", "the fix is a read-after-write token")]
    assert best_fit(_SameVector(), choice, [disagree, alone])[2] is disagree
    assert points_back(alone) == [] and points_back(disagree) == ["choice"]


def test_every_signal_of_every_bank_has_a_frame_to_ask_alone(corpus):
    for bank in corpus.items.values():
        for signal in {f.signal for f in bank.frames}:
            assert any(f.signal == signal and not f.needs for f in bank.frames), (bank.panel, signal)

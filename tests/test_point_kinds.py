"""Saying a point back only before a frame that fits it: the kinds of a point, the grammar of the
say-back, the frames' declared needs, and the follow-up asked alone when nothing fits."""

from __future__ import annotations

import pytest

from coach.corpus.items import FollowUpFrame
from coach.interviewer._answer_text import points_from, say_back
from coach.interviewer._point_kinds import fits, kinds
from coach.interviewer._followup_choice import about_point, best_fit, points_back


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


@pytest.mark.parametrize(
    ("point", "has", "lacks"),
    [
        ("your three largest renewals have SOC 2 clauses", {"claim", "figure"}, {"act", "choice"}),  # not the candidate acting
        ("your team shipped the fix in a week", {"act"}, {"thing"}),
        ("you'd spent a quarter building it", {"act"}, {"thing"}),  # 'd + participle: had
        ("you'd put a queue in front", {"choice"}, {"act"}),  # 'd + base form: a plan
    ],
)
def test_who_acts_and_when_comes_from_the_subject_and_the_auxiliary(point, has, lacks):
    found = kinds(point)
    assert has <= found and not lacks & found, sorted(found)


def _frame(fid, text, needs, any_point=True):
    return FollowUpFrame(id=fid, signal="s", text=text, needs=needs, any_point=any_point)


class _Orthogonal:
    """Every text far from every other: no cosine reaches any threshold."""

    def encode(self, texts):
        import numpy as np

        return np.eye(len(texts), 8, dtype=np.float32)


def test_a_frame_about_the_point_itself_follows_the_best_point_of_its_kind_whatever_the_cosine():
    right_call = _frame("a", "How did you know that was the right call?", ["choice", "act"])
    topical = _frame("b", "If two updates race there, which one wins?", ["choice", "design"], any_point=False)
    points = [("d1", "a workload that is 90% reads"),  # a noun phrase gives it nothing to ask about
              ("d2", "you'd lead with impact"),  # a plan: nothing happened yet to ask about
              ("d3", "you decided to shard by tenant"),
              ("d4", "you moved the dual-write onto the CDC stream")]
    fit, (detail, point), frame = about_point(_Orthogonal(), points, [topical, right_call])
    assert (detail, point, frame) == ("d3", "you decided to shard by tenant", right_call)
    assert about_point(_Orthogonal(), points, [topical]) is None  # a frame with a topic needs the cosine
    assert about_point(_Orthogonal(), points[:2], [right_call]) is None


def test_a_frame_about_any_point_must_say_which_kinds_it_follows():
    with pytest.raises(ValueError, match="any_point needs the kinds"):
        _frame("x-fr", "How did you know that was the right call?", [])


@pytest.mark.parametrize(
    "detail",
    ["The real question is the exit cost.", "SMS is the one that hurts.", "The SLI that matters is completeness.",
     "I turned that into a guardrail in our migration checklist.", "I paired with her on the first design review.",
     "I left that org two years ago."],
)
def test_a_clause_that_only_frames_the_story_or_lost_its_antecedent_is_not_said_back(detail):
    assert points_from(detail) == []


def test_a_region_name_is_not_a_pronoun():
    assert points_from("All checkout writes go to one primary in us-east-1.") == ["all checkout writes go to one primary in us-east-1"]

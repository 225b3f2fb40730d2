"""Anchored follow-ups: frames that name a component or a person the answer mentioned, said back
only when the clause that mentions it sets the question up."""

from __future__ import annotations

import shutil

import pytest
import yaml

from coach.corpus.anchors import Anchors
from coach.corpus.loader import load_corpus
from coach.errors import CorpusError
from coach.interviewer._anchored import find
from coach.scoring import Scorecard, SignalResult
from coach.scoring.scorecard import ScorerInfo
from coach.testing import FakeBackend


@pytest.fixture(scope="module")
def anchors(corpus) -> Anchors:
    assert corpus.anchors is not None
    return corpus.anchors


def _named(answer: str, anchors: Anchors) -> dict[str, str]:
    return {a.text: a.point for a in find(answer, anchors)}


def _only(panel, signal_id) -> Scorecard:
    return Scorecard(
        panel=panel.slug, overall=50, band="lean-no", scorer=ScorerInfo(name="test", version="0"),
        signals=[SignalResult(id=s.id, name=s.name, level=0 if s.id == signal_id else 4,
                              status="missing" if s.id == signal_id else "evidenced") for s in panel.signals],
    )


# --- what an answer names ------------------------------------------------------------------------


def test_names_are_spelled_as_the_corpus_spells_them_and_nouns_take_the_listeners_determiner(anchors):
    found = _named("We put redis in front of our database, and my director signed off on the plan.", anchors)
    assert set(found) == {"Redis", "your database", "your director"}


def test_a_thing_the_answer_weighed_rather_than_used_is_not_named(anchors):
    assert _named("We rejected Kafka because nobody could run it.", anchors) == {}
    assert _named("We could use Redis or Memcached for the sessions.", anchors) == {}
    # Weighed in one sentence, described in the next: still not something the design uses.
    weighed = "We priced Aurora Global and Spanner at about $38k a month. Spanner meant leaving Postgres semantics behind."
    assert "Spanner" not in _named(weighed, anchors)


def test_a_noun_used_as_a_modifier_names_other_work(anchors):
    assert "the gateway" not in _named("The gateway rollout went really well for the whole org.", anchors)
    assert "the gateway" in _named("Every request goes through the gateway before it reaches a pod.", anchors)


def test_people_outside_engineering_are_asked_in_business_terms_and_engineers_are_not(corpus, anchors):
    frame = next(f for f in anchors.frames if f.signal == "business-translation")
    peers = {c for c, cat in anchors.categories.items() if cat.people} - set(frame.takes)
    assert "peer-team" in peers and "colleague" in peers  # nobody explains "the technical side" to the platform lead
    assert {a.category for a in find("I met the platform lead and the finance partner one-on-one.", anchors)} == {
        "peer-team", "partner"}


def test_one_of_many_is_not_asked_about_as_the_only_one(anchors):
    # "You mentioned that each region gets a read replica. If the read replica failed ..." (graded "no")
    assert set(_named("Each region gets a read replica, and writes go to one primary.", anchors)) == {"the primary"}
    assert "the read replica" not in _named("We run a read replica per region for the reporting reads.", anchors)
    assert "the read replica" in _named("We added a read replica for the reporting queries.", anchors)


def test_a_name_said_back_is_spelled_as_the_question_spells_it(anchors):
    found = _named("The decision owner was the VP of engineering.", anchors)
    assert found["the VP of Engineering"] == "the decision owner was the VP of Engineering"


def test_a_modifier_is_kept_and_a_line_break_is_not(anchors):
    found = _named("We mapped who had to say yes: the data-infrastructure\ndirector and two teams.", anchors)
    assert "the data-infrastructure director" in found


def test_the_clause_is_said_back_only_when_it_sets_the_question_up(anchors):
    placed = _named("The catalog service sits in front of Postgres with Redis, about 85% hit rate at 22k RPS.", anchors)
    assert placed["Redis"] == "the catalog service sits in front of Postgres with Redis, about 85% hit rate at 22k RPS"
    # A cost, a plan and something done to the candidate are not where the thing sits or what it is to them.
    assert _named("Six Envoy nodes run about $2.8k a month in total.", anchors)["Envoy"] == ""
    assert _named("I'd also put Redis in front for caching preferences.", anchors)["Redis"] == ""
    assert _named("My manager thanked me in the team meeting on Monday.", anchors)["your manager"] == ""
    towards = _named("I told the product manager in person why we had to slip.", anchors)
    assert towards["the product manager"] == "you told the product manager in person why you had to slip"
    # "You mentioned that you told the product manager in person why." reads as clipped (round 18).
    assert _named("I told the product manager in person why.", anchors)["the product manager"] == ""


def test_a_list_or_comma_splice_is_never_said_back(anchors):
    found = _named("Context first: one Postgres primary in us-east-1, about 2.1k writes/s at peak, 3.2 TB on disk.", anchors)
    assert found.get("Postgres", "") == ""


# --- the corpus file -------------------------------------------------------------------------------


def test_every_frame_probes_a_signal_of_its_panel_and_takes_known_categories(corpus, anchors):
    assert anchors.frames
    for frame in anchors.frames:
        assert frame.signal in {s.id for s in corpus.panel(frame.panel).signals}
        assert set(frame.takes) <= set(anchors.categories)
        assert frame.fill("Redis").count("Redis") == 1 and frame.fill("Redis").endswith("?")


@pytest.mark.parametrize("change, message", [
    (lambda d: d["frames"][0].update(text="Which journey depends on it, and why?"), "exactly once, as {anchor}"),
    (lambda d: d["frames"][0].update(takes=["warehouse"]), "unknown categories ['warehouse']"),
    (lambda d: d["frames"][0].update(signal="vibes"), "'vibes' is not a signal of panel"),
])
def test_a_broken_anchors_file_names_the_file_and_the_problem(tmp_path, change, message):
    from coach.config import REPO_ROOT

    root = tmp_path / "corpus"
    shutil.copytree(REPO_ROOT / "corpus", root)
    data = yaml.safe_load((root / "anchors.yaml").read_text())
    change(data)
    (root / "anchors.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(CorpusError) as err:
        load_corpus(root)
    assert "anchors.yaml" in str(err.value) and message in str(err.value)


# --- the follow-up ---------------------------------------------------------------------------------


def test_the_weakest_signal_is_probed_with_a_frame_naming_what_the_answer_mentioned(fake_coach, anchors):
    panel = fake_coach.panel("system-design")
    answer = ("Every order write goes to one Postgres primary, and the order service runs behind an NLB. "
              "The catalog service sits in front of Postgres with Redis, about 85% hit rate at 22k RPS.")
    fu = fake_coach.with_parts(backend=FakeBackend([])).follow_up(
        panel, "How does the catalog stay up?", answer, seed=4, scorecard=_only(panel, "resilience"))
    frame = next(f for f in anchors.frames if f.id == fu.provenance.source)
    assert fu.composed_as == "anchored" and fu.signal == "resilience" and frame.signal == "resilience"
    assert any(fu.text.endswith(frame.fill(name)) for name in ("Postgres", "Redis", "the NLB"))
    if fu.answer_point:
        assert fu.text.startswith(f"You mentioned that {fu.answer_point}. ")
    again = fake_coach.with_parts(backend=FakeBackend([])).follow_up(
        panel, "How does the catalog stay up?", answer, seed=4, scorecard=_only(panel, "resilience"), asked=[fu.text])
    assert again.provenance.source != fu.provenance.source  # an anchored frame, once asked, is not asked again


def test_a_name_only_frame_never_takes_a_common_noun_and_plans_are_not_anchors_outside_designs(fake_coach):
    panel = fake_coach.panel("architecture-deep-dive")
    only_nouns = "Each region gets a read replica, and the orders database keeps every write."
    fu = fake_coach.follow_up(panel, "Walk me through it.", only_nouns, seed=1, scorecard=_only(panel, "decision-rationale"))
    assert fu.composed_as != "anchored"  # "Was the choice of the replica your call ...?" reads wrong
    planned = "I'd put Redis in front of everything and I'd move the writes to Kafka."
    fu = fake_coach.follow_up(panel, "Walk me through it.", planned, seed=1, scorecard=_only(panel, "failure-modes"))
    assert fu.composed_as != "anchored"  # "If Redis failed at peak ..." presumes it runs


def test_with_anchored_frames_off_the_frame_is_asked_alone(fake_coach, monkeypatch):
    monkeypatch.setattr("coach.interviewer._followup_choice.ANCHORED", False)
    panel = fake_coach.panel("system-design")
    fu = fake_coach.follow_up(panel, "How?", "The catalog service sits in front of Postgres with Redis.", seed=4,
                              scorecard=_only(panel, "resilience"))
    assert fu.composed_as == "alone" and "Redis" not in fu.text


def test_naming_again_what_the_clause_said_back_passes_the_checks(fake_coach):
    from coach.interviewer.followups import followup_problem

    said = "You mentioned that you told the product manager in person why."
    text = f"{said} Where did the product manager stand on this at the start, and what, if anything, changed their mind?"
    assert followup_problem(text, fake_coach.embedder, ["Tell me about a slip."], "I told the product manager in person why.", said) is None
    # Without a clause said back, the same repetition inside one question is still refused.
    twice = "Where did the product manager stand, and did the product manager change their mind later?"
    assert followup_problem(twice, fake_coach.embedder, [], "We slipped.") == "repeated phrase"

"""The blind-grading bookkeeping: rates per source, and grades that go stale when a text changes."""

from __future__ import annotations

import yaml

from coach.evals.grading import summarise, write


def _items():
    return [
        {"id": "g01", "source": "composed-question", "panel": "coding", "text": "How would you test the refill?"},
        {"id": "g02", "source": "composed-follow-up", "panel": "coding", "text": "What broke first, and why?"},
        {"id": "g03", "source": "corpus-question", "panel": "coding", "text": "Design a rate limiter?"},
        {"id": "g04", "source": "composed-question", "panel": "behavioral", "text": "Tell me about a failure?"},
    ]


def test_the_sample_hides_the_source_and_the_rates_come_from_current_grades(tmp_path):
    stale = write(_items(), tmp_path)
    assert stale == ["g01", "g02", "g03", "g04"]
    sample = yaml.safe_load((tmp_path / "sample.yaml").read_text())["items"]
    assert sample[0] == {"id": "g01", "text": "How would you test the refill?"}  # nothing but the text
    grades = [
        {"id": "g01", "text": "How would you test the refill?", "askable": "yes", "reason": "clear"},
        {"id": "g02", "text": "What broke first, and why?", "askable": "no", "reason": "vague"},
        {"id": "g03", "text": "Design a rate limiter?", "askable": "yes", "reason": "classic"},
        {"id": "g04", "text": "An older wording?", "askable": "yes", "reason": "graded before the text changed"},
    ]
    (tmp_path / "grades.yaml").write_text(yaml.safe_dump({"grades": grades}))
    rates = summarise(tmp_path)
    assert rates["composed-question_askable"] == 1.0 and rates["composed-follow-up_askable"] == 0.0
    assert rates["corpus-question_askable"] == 1.0 and rates["composed_askable"] == 0.5
    assert rates["ungraded"] == 1.0  # g04's grade is for another text
    assert write(_items(), tmp_path) == ["g04"]


# --- spot checks: fresh random draws, graded once each -------------------------------------------

def test_a_spot_round_is_reproducible_and_each_round_draws_afresh(fake_coach):
    from coach.corpus.schema import PANEL_SLUGS
    from coach.evals import spot

    first = spot.draw(fake_coach, 1, questions=2, followups=1)
    assert first == spot.draw(fake_coach, 1, questions=2, followups=1)
    assert len(first) == 3 * len(PANEL_SLUGS) and [i["id"] for i in first][:2] == ["s01", "s02"]
    for slug in PANEL_SLUGS:
        mine = [i for i in first if i["panel"] == slug]
        assert sorted(i["source"] for i in mine) == ["composed-follow-up", "composed-question", "composed-question"]
    assert all(i["item"] for i in first if i["source"] == "composed-question")
    other = spot.draw(fake_coach, 2, questions=2, followups=1)
    assert {(i["panel"], i["seed"]) for i in first}.isdisjoint({(i["panel"], i["seed"]) for i in other})


def test_spot_rates_are_the_grades_as_given_per_source(tmp_path):
    from coach.evals import spot

    items = [{"id": "s01", "source": "composed-question", "text": "Which copy is authoritative?"},
             {"id": "s02", "source": "composed-question", "text": "What broke first?"},
             {"id": "s03", "source": "composed-follow-up", "text": "Who decided?"}]
    write(items, tmp_path)
    grades = [{"id": "s01", "text": "Which copy is authoritative?", "askable": "yes", "reason": "clear"},
              {"id": "s02", "text": "What broke first?", "askable": "no", "reason": "no setup"}]
    (tmp_path / "grades.yaml").write_text(yaml.safe_dump({"grades": grades}))
    rates = spot.summarise(tmp_path)
    assert rates == {"composed-question_askable": 0.5, "askable": 0.5, "graded": 2.0, "drawn": 3.0}
    # Two graders apart: askable only where both said yes, and each grader's own rate.
    grades[0] |= {"grader_a": "yes", "grader_b": "yes"}
    grades[1] |= {"grader_a": "yes", "grader_b": "no"}
    (tmp_path / "grades.yaml").write_text(yaml.safe_dump({"grades": grades}))
    rates = spot.summarise(tmp_path)
    assert rates["askable"] == 0.5 and rates["askable_grader_a"] == 1.0 and rates["askable_grader_b"] == 0.5


def test_every_committed_spot_round_is_fully_graded():
    from pathlib import Path

    from coach.evals import spot

    rounds = spot.rounds(Path(__file__).parents[1] / "evals" / "fixtures" / "grading" / "spot")
    assert len(rounds) >= 2
    for folder in rounds:
        rates = spot.summarise(folder)
        assert rates["graded"] == rates["drawn"], folder.name

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

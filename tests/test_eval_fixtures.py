"""Eval fixtures: the follow-up fixtures are complete and validated, and an edited fixture is
named as the cause when metrics move."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest
import yaml

from coach.config import REPO_ROOT
from coach.errors import EvalError
from coach.evals.fingerprint import diff, fixture_hashes, suites_affected
from coach.evals.followups import load_followup_fixtures
from coach.corpus.schema import PANEL_SLUGS

FIXTURES = REPO_ROOT / "evals" / "fixtures"


def test_every_signal_is_both_missing_and_shown_in_several_followup_cases(corpus):
    fixtures = load_followup_fixtures(FIXTURES, corpus)
    assert set(fixtures) == set(PANEL_SLUGS)
    for slug, fx in fixtures.items():
        missing = Counter(s for c in fx.cases for s in c.missing)
        shown = Counter(s for c in fx.cases for s in c.shows)
        for signal in corpus.panel(slug).signals:
            # A signal never missing would never be tested as a target; one never shown would
            # never test that the follow-up leaves shown signals alone.
            assert missing[signal.id] >= 3 and shown[signal.id] >= 3, (slug, signal.id, missing, shown)
        assert len({c.id for c in fx.cases}) == len(fx.cases)


def _broken_copy(tmp_path, edit) -> None:
    shutil.copytree(FIXTURES, tmp_path / "fixtures")
    path = tmp_path / "fixtures" / "followups" / "coding.yaml"
    data = yaml.safe_load(path.read_text())
    edit(data["cases"][0])
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c["shows"].append(c["missing"][0]), "both shown and missing"),
        (lambda c: c["shows"].pop(), "unlabelled signals"),
        (lambda c: c["missing"].append("charisma"), "unknown signals"),
        (lambda c: c.update(question="cod-q99"), "unknown question"),
        (lambda c: c.pop("answer"), "answer"),
    ],
)
def test_a_malformed_followup_fixture_names_the_file_case_and_problem(tmp_path, corpus, edit, message):
    _broken_copy(tmp_path, edit)
    with pytest.raises(EvalError) as err:
        load_followup_fixtures(tmp_path / "fixtures", corpus, ("coding",))
    assert "coding.yaml" in str(err.value) and message in str(err.value)


def test_an_edited_fixture_is_attributed_to_its_suite(tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "fixtures")
    before = fixture_hashes(tmp_path / "fixtures")
    assert {"fixtures:followups", "fixtures:scoring", "fixtures:retrieval"} <= set(before)
    path = tmp_path / "fixtures" / "followups" / "behavioral.yaml"
    path.write_text(path.read_text() + "\n# relabelled\n")
    changes = diff(before, fixture_hashes(tmp_path / "fixtures"))
    assert [c["component"] for c in changes] == ["fixtures:followups"]
    assert suites_affected("fixtures:followups") == ("followups",)
    assert "sessions" in suites_affected("fixtures:scoring")

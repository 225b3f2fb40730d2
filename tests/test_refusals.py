"""The off-topic check and its eval: real answers on unlisted topics are scored, junk still abstains."""

from __future__ import annotations

import shutil

import pytest
import yaml

from coach.config import REPO_ROOT
from coach.errors import CorpusError, EvalError
from coach.evals import refusals, scoring
from coach.scoring.evidence import EvidenceScorer
from coach.scoring.settings import load_scoring_settings
from coach.scoring.topic import compendium_sentences, panel_texts

FIXTURES = REPO_ROOT / "evals" / "fixtures"
SHORT = "Too short to judge, on purpose."


def _settings_dir(tmp_path):
    for name in ("scoring.yaml", "topic_reference.yaml"):
        shutil.copy(REPO_ROOT / "corpus" / name, tmp_path / name)
    return tmp_path


def test_reference_sentences_are_loaded_and_hashed_into_the_scorer_version(tmp_path):
    corpus_dir = _settings_dir(tmp_path)
    before = load_scoring_settings(corpus_dir)
    assert len(before.topic_reference.engineering_sentences) >= 100 and len(before.topic_reference.everyday_sentences) >= 50
    path = corpus_dir / "topic_reference.yaml"
    path.write_text(path.read_text() + "    - We walked along the canal and fed the ducks on the way home.\n")
    after = load_scoring_settings(corpus_dir)
    assert after.version != before.version
    assert after.topic_reference.everyday_sentences[-1] == "We walked along the canal and fed the ducks on the way home."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "missing"),
        ("engineering:\n  code: []\neveryday:\n  food: [We cooked dinner for the whole family.]\n", "'code' has no sentences"),
        ("engineering:\n  code: [Reviews matter.]\neveryday:\n  food: [We cooked dinner for the whole family.]\n", "too short"),
        ("engineering:\n  code: [I wrote the parser and its unit tests.]\n", "everyday"),
    ],
)
def test_a_missing_or_malformed_reference_is_named(tmp_path, text, message):
    corpus_dir = _settings_dir(tmp_path)
    path = corpus_dir / "topic_reference.yaml"
    path.unlink() if text is None else path.write_text(text)
    with pytest.raises(CorpusError, match=message) as err:
        load_scoring_settings(corpus_dir)
    assert "topic_reference.yaml" in str(err.value)


def test_the_reference_takes_rubric_descriptions_and_compendium_sentences_but_not_failure_cues(corpus):
    for panel in corpus.panels.values():
        texts = set(panel_texts(panel))
        assert {q.text for q in panel.sample_questions} <= texts
        assert not {cue for fm in panel.failure_modes for cue in fm.cues} & texts, panel.slug
    sentences = compendium_sentences(corpus.compendium)
    assert len(sentences) > 150
    assert all(len(s.split()) >= 5 and "**" not in s and not s.startswith(("#", "-", "|")) for s in sentences)


def test_everyday_sentences_lower_the_contrast_of_everyday_text(corpus, toy_embedder):
    from coach.scoring.topic import TopicReferenceFile, topic_reference

    text = "We cooked dinner for the whole family and then watched a film together."
    vecs = toy_embedder.encode([text])
    eng = {"code": ["I wrote the parser and its unit tests."]}
    plain = topic_reference(toy_embedder, [], "", TopicReferenceFile(engineering=eng, everyday={"other": ["The sea was grey under a grey sky."]}))
    contrasted = topic_reference(toy_embedder, [], "", TopicReferenceFile(engineering=eng, everyday={"food": [text]}))
    assert contrasted.contrast(vecs) < plain.contrast(vecs)
    assert contrasted.contrast(toy_embedder.encode(["I wrote the parser and its unit tests."])) > 0.5


def _fixtures(tmp_path, pairs, probes=None):
    (tmp_path / "scoring").mkdir()
    shutil.copy(FIXTURES / "scoring" / "coding.yaml", tmp_path / "scoring" / "coding.yaml")
    shutil.copy(FIXTURES / "scoring" / "junk.yaml", tmp_path / "scoring" / "junk.yaml")
    (tmp_path / "scoring" / refusals.FIXTURE).write_text(yaml.safe_dump({"pairs": pairs}))
    if probes is not None:
        (tmp_path / "scoring" / refusals.PROBES).write_text(yaml.safe_dump(probes))
    return tmp_path


def _pair(pid, concrete, hollow):
    return {"id": pid, "panel": "coding", "topic": "t", "question": "How did you debug it?", "concrete": concrete, "hollow": hollow}


def test_the_scoring_suite_reports_false_refusals_and_real_over_hollow(tmp_path, corpus, toy_embedder):
    # The toy embedder knows no meaning, so the wiring is checked with abstentions it does decide:
    # an answer too short to judge is refused; a refused hollow twin ranks below any scored answer.
    real = yaml.safe_load((FIXTURES / "scoring" / refusals.FIXTURE).read_text())["pairs"][0]
    settings = load_scoring_settings(REPO_ROOT / "corpus")
    settings = settings.model_copy(update={"abstain": settings.abstain.model_copy(update={"min_topic_contrast": -1.0})})
    probes = {
        "on_topic": [{"id": "on-short", "panel": "coding", "text": SHORT}, {"id": "on-long", "panel": "coding", "text": real["concrete"]}],
        "off_topic": [{"id": "off-long", "panel": "coding", "text": real["hollow"]}],
    }
    fixtures = _fixtures(tmp_path, [_pair("ok", real["concrete"], SHORT), _pair("refused", SHORT, real["hollow"])], probes)
    result = scoring.run(EvidenceScorer(toy_embedder, settings, corpus), corpus, fixtures, ("coding",), with_probes=False)
    assert result.metrics["false_refusals"] == 1.0
    assert result.metrics["real_topic_over_hollow"] == 0.5
    assert result.metrics["probe_false_refusals"] == 1.0 and result.metrics["probe_off_topic_scored"] == 1.0
    assert "topic_margin" in result.metrics and result.details["real_topic_pairs"] == 2 and result.details["topic_probes"] == 3
    problems = {f["case"]: f["problem"] for f in result.failures}
    assert "too short" in problems["refused"] and "not above its hollow twin" in problems["refused:hollow"]
    assert "too short" in problems["on-short"] and "scored an off-topic probe" in problems["off-long"]
    assert not {"ok", "ok:hollow", "on-long"} & set(problems)


def test_a_pair_missing_a_field_is_named(tmp_path):
    broken = _pair("rt-x", "A concrete answer.", "")
    with pytest.raises(EvalError, match="rt-x.*hollow"):
        refusals.load_pairs(_fixtures(tmp_path, [broken]))


def test_the_fixture_has_ten_pairs_per_technical_panel_of_the_stated_shape():
    pairs = refusals.load_pairs(FIXTURES)
    for panel in ("coding", "system-design", "architecture-deep-dive"):
        assert sum(p["panel"] == panel for p in pairs) >= 10, panel
    for p in pairs:
        concrete, hollow = len(p["concrete"].split()), len(p["hollow"].split())
        assert 120 <= concrete <= 300 and 0.8 <= hollow / concrete <= 1.2, p["id"]


def test_no_false_refusals_on_real_topics_and_junk_still_abstains(scorer, corpus):
    metrics, details, failures = refusals.run(scorer, corpus, FIXTURES)
    assert metrics["false_refusals"] == 0 and metrics["probe_false_refusals"] == 0, failures
    assert metrics["real_topic_over_hollow"] == 1.0, failures
    assert metrics["probe_off_topic_scored"] <= 1, failures
    assert metrics["topic_margin"] > 0, details
    for junk in yaml.safe_load((FIXTURES / "scoring" / "junk.yaml").read_text())["junk"]:
        panel = corpus.panel(junk["panel"])
        question = next((q.text for q in panel.sample_questions if q.id == junk["question"]), "")
        card = scorer.score(panel, junk["text"].replace("{question}", question), question)
        assert card.abstained and card.overall is None, junk["id"]

"""The encode path does its work once: a scored answer's sentences are not embedded again for the
follow-up, a score makes one encode call, and the grader probes run on a fixed sample that covers
every band on every panel."""

from __future__ import annotations

import numpy as np
import yaml

from coach.config import REPO_ROOT
from coach.evals.grader_probes import sample
from coach.evals.scoring import load_scoring_fixtures
from coach.interviewer.followups import follow_up
from coach.retrieval.embeddings import VectorCache, encode_reusing
from coach.scoring.grader_text import sanitise
from coach.scoring.text import split_sentences

FIXTURES = REPO_ROOT / "evals" / "fixtures"


class Recording:
    """The coach's embedder, writing down each encode call."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []
        self.dim = inner.dim

    def encode(self, texts):
        texts = list(texts)
        self.calls.append(texts)
        return self.inner.encode(texts)

    def encode_one(self, text):
        return self.encode([text])[0]

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _answer(panel: str) -> tuple[str, str]:
    fx = yaml.safe_load((FIXTURES / "scoring" / f"{panel}.yaml").read_text())
    a = next(a for a in fx["answers"] if a["band"] == "hire")
    return a["text"], a["question"]


def test_a_score_is_one_encode_call_and_a_follow_up_reuses_its_sentence_vectors(fake_coach):
    recording = Recording(fake_coach.embedder)
    coach = fake_coach.with_parts(embedder=recording)
    panel = coach.panel("system-design")
    answer, qid = _answer("system-design")
    question = next(q.text for q in panel.sample_questions if q.id == qid)
    coach.scorer.score(panel, answer, question)  # the rubric and the off-topic reference, once per process

    recording.calls.clear()
    card = coach.scorer.score(panel, answer, question)
    sentences = split_sentences(sanitise(answer).text)
    assert len(recording.calls) == 1 and set(sentences) <= set(recording.calls[0]) and question in recording.calls[0]
    assert set(card.sentence_vectors) == set(sentences) and "vectors" not in card.model_dump_json()

    recording.calls.clear()
    fu = follow_up(coach, panel, question, answer, seed=1, scorecard=card)
    again = [t for call in recording.calls for t in call if t in set(sentences)]
    assert fu.text and again == []  # none of the scored sentences is embedded a second time

    recording.calls.clear()
    cold = follow_up(coach, panel, question, answer, seed=1, scorecard=card.model_validate(card.model_dump()))
    assert cold.text == fu.text  # a card read back from storage carries no vectors: same follow-up, embedded afresh
    assert set(sentences) & {t for call in recording.calls for t in call}


def test_encode_reusing_encodes_only_what_it_does_not_know(fake_coach):
    recording = Recording(fake_coach.embedder)
    known = {"a known sentence": np.ones(recording.dim, dtype=np.float32)}
    vecs = encode_reusing(recording, ["a known sentence", "a new one", "a new one"], known)
    assert recording.calls == [["a new one"]] and vecs.shape == (3, recording.dim)
    assert np.array_equal(vecs[0], known["a known sentence"]) and np.array_equal(vecs[1], vecs[2])
    assert encode_reusing(recording, [], known).shape == (0, recording.dim)


def test_the_vector_cache_keeps_no_forgotten_text_in_its_write_ahead_log(tmp_path):
    cache = VectorCache(tmp_path / "embeddings.sqlite3", "model", 4)
    cache.put({"the zanzibarite migration": np.ones(4, dtype=np.float32), "kept": np.zeros(4, dtype=np.float32)})
    assert set(cache.get(["the zanzibarite migration", "kept", "absent"])) == {"the zanzibarite migration", "kept"}
    assert VectorCache(tmp_path / "embeddings.sqlite3", "model", 4).forget(["the zanzibarite migration"]) == 1
    assert set(cache.get(["the zanzibarite migration", "kept"])) == {"kept"}  # the kept connection sees the deletion
    wal = tmp_path / "embeddings.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0


def test_grader_probes_run_on_one_answer_per_band_on_every_panel_the_same_each_run():
    for slug, fx in load_scoring_fixtures(FIXTURES).items():
        ids = sample(fx["answers"], slug)
        bands = {a["id"]: a["band"] for a in fx["answers"]}
        assert ids == sample(fx["answers"], slug)
        assert sorted(bands[i] for i in ids) == sorted(set(bands.values()))

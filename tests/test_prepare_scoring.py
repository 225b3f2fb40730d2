"""While the candidate reads a prompt, the question's part of scoring is embedded in the background,
so the wait after the answer holds only the answer's own work."""

from __future__ import annotations

import uuid

import pytest

from coach.root import Coach
from coach.scoring.asks import asks_of, question_texts
from coach.scoring.text import split_sentences
from coach.testing import FakeScorer


def test_nothing_is_prepared_before_a_scorer_is_loaded(fake_settings):
    coach = Coach(fake_settings)
    assert coach.prepare_scoring("How accurate must the limit be?") is None
    assert "evidence_scorer" not in coach.__dict__  # preparing does not load it early


def test_a_failure_in_the_background_is_not_raised_there(fake_settings):
    class Broken(FakeScorer):
        def prepare_question(self, question, asks=None):
            raise RuntimeError("embedder gone")

    coach = Coach(fake_settings).with_parts(evidence_scorer=Broken(lambda a: 2))
    assert coach.prepare_scoring("Why?").result(timeout=30) is None


@pytest.mark.slow
def test_a_session_prepares_each_prompt_and_scoring_then_embeds_only_the_answer(coach, monkeypatch):
    futures = []
    real_prepare = Coach.prepare_scoring
    monkeypatch.setattr(Coach, "prepare_scoring", lambda self, q, asks=None: futures.append((q, asks, real_prepare(self, q, asks))))
    coach.evidence_scorer  # loaded, as after the first answer or the web app's warm-up
    session = coach.start_session("system-design", questions=1, followups=1, seed=11)
    (question, asks, future), = futures
    assert question == session.current_prompt.text and asks == session.current_prompt.question.asks
    future.result(timeout=60)
    embedded = []
    lc = coach.embedder.lc
    real_embed = type(lc).embed_documents
    monkeypatch.setattr(type(lc), "embed_documents", lambda self, texts: embedded.append(list(texts)) or real_embed(self, texts))
    marker = uuid.uuid4().hex[:8]  # sentences no earlier test embedded
    answer = (f"I would shard the counters by tenant ({marker}) and sync them every 100 ms. "
              f"The limit can drift by about 5% between syncs, which product accepted for run {marker}.")
    session.answer(answer)
    # (A panel's first score in a process also embeds its rubric, in a call of its own.)
    call = next(texts for texts in embedded if any(marker in t for t in texts))
    assert set(call) == set(split_sentences(answer))  # nothing of the question
    assert not set(question_texts(question, asks_of(question, asks))) & {t for texts in embedded for t in texts}
    # The follow-up asked next is prepared too, against what its answer is scored with.
    follow = session.current_prompt
    assert follow.kind == "follow-up" and len(futures) == 2 and futures[1][0].endswith(" ".join(futures[1][1]))

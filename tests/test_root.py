"""The composition root: one Coach builds each part once, uses what it is given, and passes the
same parts down to every stage (fast tier: toy embedder, fake backend, real Chroma)."""

from __future__ import annotations

import os

import pytest

from coach import Coach, Settings
from coach.errors import UserInputError
from coach.llm import BACKENDS
from coach.session.store import SessionStore
from coach.testing import FAKE_EMBEDDING_MODEL, FakeBackend, FakeEmbedder

QUESTION = " Your payments API has no SLOs and pages twenty times a week; which SLIs do you define first, and why?"


def test_nothing_loads_until_it_is_used(tmp_path):
    coach = Coach(Settings(data_dir=tmp_path, embedding_model=FAKE_EMBEDDING_MODEL))
    assert not {"corpus", "embedder", "index", "retriever", "backend", "store"} & set(vars(coach))
    assert coach.panel("coding").slug == "coding"
    assert "corpus" in vars(coach) and "embedder" not in vars(coach) and not tmp_path.joinpath("index").exists()


def test_each_part_is_built_once_and_shared(fake_coach):
    assert fake_coach.corpus is fake_coach.corpus and fake_coach.embedder is fake_coach.retriever.index.embedder
    assert fake_coach.evidence_scorer is fake_coach.scorer and fake_coach.store is fake_coach.store
    other = fake_coach.with_parts(backend=FakeBackend([]))
    assert other.retriever is fake_coach.retriever and other.embedder is fake_coach.embedder
    assert other.backend is not fake_coach.__dict__.get("backend")


def test_from_env_overrides_without_writing_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COACH_SEED", "11")
    coach = Coach.from_env(chroma_url="http://127.0.0.1:9", seed=None)
    assert coach.settings.chroma_url == "http://127.0.0.1:9" and coach.settings.seed == 11
    assert "COACH_CHROMA_URL" not in os.environ


def test_an_injected_backend_serves_questions_follow_ups_and_the_judge(fake_settings):
    backend = FakeBackend(lambda prompt, sampling: QUESTION if prompt.prompt_id == "question" else " And then?", style="chat")
    coach = Coach(fake_settings.model_copy(update={"backend": "openai", "scorer": "judge"}), backend=backend)
    question = coach.ask("system-design", seed=1)
    assert backend.calls and all(c.prompt.prompt_id == "rewrite" for c in backend.calls)  # an instruct model rewrites
    assert question.provenance.backend == "fake" or question.composition == "draft"
    assert coach.scorer.backend is backend  # the judge asks the coach's backend, not a new one


def test_a_backend_registered_by_name_is_found_through_the_settings(monkeypatch, fake_settings):
    backend = FakeBackend(lambda prompt, sampling: QUESTION)
    monkeypatch.setitem(BACKENDS, "fake", lambda settings: backend)
    coach = Coach(fake_settings.model_copy(update={"backend": "fake", "rewrite": "on"}))
    coach.ask("system-design", seed=2)
    assert coach.backend is backend and backend.calls  # the registered backend was asked to rewrite
    with pytest.raises(UserInputError, match="embedded, openai, ollama"):
        Coach(fake_settings.model_copy(update={"backend": "nope"})).backend


def test_a_session_uses_the_coach_store_backend_and_scorer(fake_coach, tmp_path):
    backend = FakeBackend(lambda prompt, sampling: QUESTION)
    coach = fake_coach.with_parts(backend=backend, store=SessionStore(tmp_path / "s.sqlite3"))
    session = coach.start_session("system-design", questions=1, followups=0, seed=4)
    assert session.panel.slug == "system-design" and session.coach is coach
    session.answer("We set a 99.9% availability SLO on checkout and page on a 14x burn rate over one hour.")
    assert session.finished and coach.list_sessions()[0]["id"] == session.id
    again = coach.load_session(session.id)
    assert again.turns[0].scorecard == session.turns[0].scorecard
    assert session.turns[0].scorecard.scorer.name == coach.scorer.info.name


def test_the_toy_embedder_is_deterministic_and_lexical():
    toy = FakeEmbedder(FAKE_EMBEDDING_MODEL)
    a, b, c = toy.encode(["cache hit rate fell", "the cache hit rate fell to 70%", "we hired two engineers"])
    assert (toy.encode_one("cache hit rate fell") == a).all() and abs(float(a @ a) - 1) < 1e-5
    assert float(a @ b) > 0.5 > abs(float(a @ c))
    assert "prose" in toy.vocabulary() and "qwrtzp" not in toy.vocabulary()


def test_after_warm_up_a_score_and_its_follow_up_embed_only_the_answer(tmp_path):
    # A fresh embedder (not the process-wide toy one), so nothing is cached from other tests.
    embedder = FakeEmbedder("fake:96")
    coach = Coach(Settings(data_dir=tmp_path, embedding_model="fake:96"), embedder=embedder)
    coach.warm_up()
    references = embedder.encoded
    assert references > 500  # the rubrics of seven panels and the off-topic reference
    answer = ("I split the monolith's billing path out over two quarters. I ran dual writes behind a flag and a nightly "
              "reconciliation job. Incidents fell from six a quarter to one.")
    card = coach.score("behavioral", answer, "Tell me about a migration you led.")
    assert embedder.encoded - references < 20  # the answer's sentences and the question's asks, nothing else
    scored = embedder.encoded
    coach.follow_up("behavioral", "Tell me about a migration you led.", answer, seed=1, scorecard=card)
    assert embedder.encoded - scored < 10  # no frame or signal text of the panel: those came with the warm-up


@pytest.mark.parametrize(("rewrite", "prepared"), [("on", True), ("off", False)])
def test_warm_up_prepares_the_rewrite_prompt_only_when_rewriting_is_on(tmp_path, rewrite, prepared):
    class Preparing(FakeBackend):
        def prepare(self, prompt):
            self.prepared.append(prompt)

    backend = Preparing([])
    backend.prepared = []
    coach = Coach(Settings(data_dir=tmp_path, embedding_model=FAKE_EMBEDDING_MODEL, rewrite=rewrite), backend=backend)
    coach.warm_up()
    assert [p.prompt_id for p in backend.prepared] == (["rewrite"] if prepared else [])
    if prepared:  # the head is what every rewrite shares: the instruction and the worked examples
        assert backend.prepared[0].head.count("Spoken:") == 2 and not backend.calls

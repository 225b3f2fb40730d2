"""What keyword search matches on: stems, stem pairs, numbers, and the corpus glossary both ways.
Fast tier; the last test runs the real corpus through a real Chroma store with the toy embedder,
whose hashed words know no synonyms, so only the glossary can make the match."""

from __future__ import annotations

import numpy as np
import pytest

from coach.corpus.loader import load_corpus
from coach.errors import CorpusError
from coach.retrieval.hybrid import CorpusView
from coach.retrieval.lexical import Lexicon, tokens

GLOSSARY = {"DR": "disaster recovery", "SLO": "service level objective", "TTL": "time to live"}


def test_stems_without_function_words_then_adjacent_pairs():
    assert tokens("Merging the CRDTs") == ["merg", "crdts", "merg_crdts"]
    assert tokens("one hot key") == ["1", "hot", "key", "1_hot", "hot_key"]


def test_number_words_match_digits():
    assert set(tokens("a four month plan")) >= {"4", "month", "4_month"}
    assert set(tokens("Integrated 4-Month Cadence")) >= {"4", "month", "4_month"}


def test_an_abbreviation_and_its_meaning_yield_the_same_terms():
    lex = Lexicon(GLOSSARY)
    short, long = set(lex("DR drill")), set(lex("disaster recovery drills"))
    assert {"dr", "disast", "recoveri", "drill"} <= short and {"dr", "disast", "recoveri", "drill"} <= long
    # function words inside the meaning are skipped on both sides
    assert "ttl" in lex("cache entries live for a time to live of 60s") and "ttl" not in lex("live for a long time")
    assert "dr" not in lex("recovery after a disaster")  # the words out of order are not the phrase


def test_a_plural_abbreviation_is_the_abbreviation():
    lex = Lexicon(GLOSSARY)
    assert lex("SLOs")[:1] == ["slo"] and "object" in lex("SLOs")
    assert Lexicon()("SLOs") == ["slos"]  # without a glossary nothing says it is an abbreviation


def test_the_glossary_lets_bm25_find_the_other_form():
    # Two compendium chunks and no useful vector: only the words decide, and only the glossary
    # says that "disaster recovery" is "DR".
    texts = ["Multi-region playbook: DR drill every quarter", "Incident review: timeline and actions"]
    ids = ["compendium:s14:template:0", "compendium:s8:template:0"]
    metas = [{"source": "compendium", "kind": "template", "section": n} for n in (14, 8)]
    vecs = np.asarray([[0.6, 0.8], [0.6, 0.8]], dtype=np.float32)
    query, everything = "disaster recovery practice", np.ones(2, dtype=bool)
    plain = CorpusView(ids, texts, metas, vecs)
    assert not plain.bm25.vectorizer.get_scores(tokens(query)).any()
    view = CorpusView(ids, texts, metas, vecs, Lexicon(GLOSSARY))
    assert view.ids[view.rank(np.array([1.0, 0.0]), ids[::-1], everything, query)[0].row] == ids[0]


def test_the_corpus_glossary_loads_and_every_abbreviation_is_in_the_corpus(corpus):
    assert {"DR", "RPO", "SLO", "CRDT", "STAR"} <= set(corpus.glossary)
    assert corpus.glossary["RPO"] == "recovery point objective"


def test_an_abbreviation_the_corpus_never_uses_is_refused(corpus_copy):
    path = corpus_copy / "glossary.yaml"
    path.write_text(path.read_text() + "  - {abbr: HIPAA, means: health insurance portability act}\n")
    with pytest.raises(CorpusError, match=r"glossary\.yaml.*'HIPAA' appears nowhere"):
        load_corpus(corpus_copy)


@pytest.mark.parametrize(
    "entry, field",
    [("  - {abbr: DR, means: data residency}\n", "duplicate abbreviation"), ("  - {abbr: 'R P O', means: x y z}\n", "terms[2].abbr"),
     ("  - {abbr: RPO, meaning: recovery point}\n", "meaning")],
)
def test_a_malformed_glossary_names_the_file_and_field(corpus_copy, entry, field):
    path = corpus_copy / "glossary.yaml"
    head = path.read_text().split("terms:\n")[0]
    path.write_text(head + "terms:\n  - {abbr: DR, means: disaster recovery}\n  - {abbr: RTO, means: recovery time objective}\n" + entry)
    with pytest.raises(CorpusError) as err:
        load_corpus(corpus_copy)
    assert "glossary.yaml" in str(err.value) and field in str(err.value)


def test_a_corpus_without_a_glossary_still_loads(corpus_copy):
    (corpus_copy / "glossary.yaml").unlink()
    assert load_corpus(corpus_copy).glossary == {}


def test_search_finds_the_dr_playbook_for_disaster_recovery(fake_coach):
    hits = fake_coach.search("disaster recovery failback", k=3)
    assert hits[0].section == 14


def test_term_scores_equal_bm25_get_scores():
    from langchain_community.retrievers import BM25Retriever

    from coach.retrieval.lexical import TermScores

    lex = Lexicon(GLOSSARY)
    texts = ["DR drill every quarter; failback tested", "SLO burn rate alerts page on call", "time to live jitter stops a thundering herd",
             "drill drill drill", "service level objectives and disaster recovery drills"]
    bm25 = BM25Retriever.from_texts(texts, preprocess_func=lex).vectorizer
    scores = TermScores(bm25)
    for query in ("disaster recovery drill", "SLOs", "cache TTL herd herd", "nothing matches here", ""):
        assert np.allclose(scores(lex(query)), bm25.get_scores(lex(query)))

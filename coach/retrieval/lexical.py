"""What keyword (BM25) search matches on: word stems, adjacent stem pairs, numbers written either
way, and the corpus glossary's abbreviations treated as one term with what they stand for.

Why each (measured with `coach eval --suite retrieval`, README "Retrieval"):
- Stem pairs ("hot_key", "burn_rate", "thread_pool") let a phrase outrank a text that has its words
  apart: "one hot key is melting a shard" is about hot keys, not about key rotation.
- People write "four month plan" and "three nines"; the corpus writes "4-Month" and "99.9%".
- People write "disaster recovery drills" and the corpus "DR drill", or the other way round; the
  glossary (`corpus/glossary.yaml`) adds the abbreviation wherever its meaning is spelled out and
  the meaning wherever the abbreviation stands, on documents and queries alike. (Adding only the
  abbreviation would keep common words such as "data" and "type" for CRDT out of the terms; it
  ranked 2 of the 150 labelled queries lower.)
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping

import numpy as np

_local = threading.local()
_WORD = re.compile(r"[a-z0-9]+")
# Function words only: domain words such as "system", "bill" or "interest" must stay searchable.
STOP_WORDS = frozenset(
    "a about an and are as at be been by can could did do does for from how i if in into is it its "
    "just me my no not of on or our over should so than that the their then these they this those to "
    "us was we were what when where which who why will with would you your".split()
)
NUMBER_WORDS = dict(zip("one two three four five six seven eight nine ten eleven twelve".split(), map(str, range(1, 13))))


def _stem(words: list[str]) -> list[str]:
    if not hasattr(_local, "stemmer"):  # a Snowball stemmer keeps state while it works: one per thread
        import snowballstemmer

        _local.stemmer = snowballstemmer.stemmer("english")
    return _local.stemmer.stemWords(words)


def stems(text: str) -> list[str]:
    """Lower-cased word stems without function words, number words as digits."""
    return _stem([NUMBER_WORDS.get(w, w) for w in _WORD.findall(text.lower()) if w not in STOP_WORDS])


class Lexicon:
    """Turns text into BM25 terms. `glossary` maps an abbreviation to what it stands for
    ({"DR": "disaster recovery"}): either form in a text yields the terms of both."""

    def __init__(self, glossary: Mapping[str, str] | None = None):
        self.expansions: dict[str, list[str]] = {}
        self.phrases: dict[str, list[tuple[list[str], str]]] = {}  # first stem -> (phrase stems, abbreviation)
        for short, means in (glossary or {}).items():
            abbr, phrase = _stem([short.lower()])[0], stems(means)
            if not phrase or phrase == [abbr]:
                continue
            self.expansions[abbr] = phrase
            self.phrases.setdefault(phrase[0], []).append((phrase, abbr))

    def __call__(self, text: str) -> list[str]:
        words = [self._singular(s) for s in stems(text)]
        terms = words + [f"{a}_{b}" for a, b in zip(words, words[1:])]
        for n, word in enumerate(words):
            terms += self.expansions.get(word, ())
            terms += [abbr for phrase, abbr in self.phrases.get(word, ()) if words[n : n + len(phrase)] == phrase]
        return terms

    def _singular(self, word: str) -> str:
        # "SLOs" and "SLO" are one term; the stemmer leaves a plural abbreviation alone.
        return word[:-1] if word.endswith("s") and word not in self.expansions and word[:-1] in self.expansions else word


tokens = Lexicon()  # without a glossary: what a view gets when the corpus has none


class TermScores:
    """The BM25 scores of `rank_bm25.BM25Okapi.get_scores` (what langchain's `BM25Retriever`
    ranks with), from an inverted index: `get_scores` walks every document for every query term
    in Python, and stem pairs and glossary terms double a query's terms."""

    def __init__(self, bm25):
        doc_len = np.asarray(bm25.doc_len, dtype=float)
        self.size, self.idf, self.k1 = len(doc_len), bm25.idf, bm25.k1
        self.norm = bm25.k1 * (1 - bm25.b + bm25.b * doc_len / bm25.avgdl)
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for doc, freqs in enumerate(bm25.doc_freqs):
            for term, tf in freqs.items():
                rows, tfs = postings.setdefault(term, ([], []))
                rows.append(doc)
                tfs.append(tf)
        self.postings = {t: (np.asarray(r), np.asarray(f, dtype=float)) for t, (r, f) in postings.items()}

    def __call__(self, terms: list[str]) -> np.ndarray:
        scores = np.zeros(self.size)
        for term in terms:
            if term in self.postings:
                rows, tf = self.postings[term]
                scores[rows] += (self.idf.get(term) or 0) * tf * (self.k1 + 1) / (tf + self.norm[rows])
        return scores

"""What the question asks, and which of the answer's sentences address each ask.

An interviewer's first note on an answer is whether it answered the question. A question has one to
three asks ("how accurate does the limit need to be", "what does accuracy cost you"); composed
questions carry theirs as data, a typed question is split by rule. An ask counts as addressed when
some sentence of the answer is close to it in meaning *and* speaks of the question's subject (shares
its content words, or sits very close to the question as a whole): a strong answer to another
question is fluent and specific, but it talks about something else.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, Field

from coach.scoring.detectors import GENERIC

# A clause that starts a new ask inside one sentence: ", and what does it cost", "; how would you".
_ASK_START = (
    r"what|how|which|where|when|why|who|whom|whose|would|will|do|does|did|is|are|was|were|has|have|can|could|should|"
    r"tell me|walk me|say|show|explain|describe|defend|size|design|write|implement|estimate|give|name|"
    r"pick|list|compare|justify|sketch|draw"
)
_SPLIT = re.compile(rf"(?:[;:]|,\s*(?:and|or|but|then)?|\s(?:and|or|then))\s+(?=(?:{_ASK_START})\b)", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.?!])\s+(?=[A-Z0-9\"'(])")
_IMPERATIVE = re.compile(rf"^(?:{_ASK_START}|let'?s|imagine|suppose|assume)\b", re.IGNORECASE)
_STEM_CUT = 5
_FILLER = {
    "tell", "walk", "through", "describe", "explain", "would", "could", "should", "does", "did", "your",
    "yours", "what", "which", "where", "when", "why", "how", "who", "that", "this", "there", "their", "them",
    "they", "then", "than", "with", "from", "into", "about", "time", "times", "something", "someone", "thing",
    "make", "made", "give", "take", "took", "keep", "need", "needs", "want", "happen", "happens", "happened",
    "first", "exactly", "actually", "today", "know", "think", "going", "were", "have", "been", "being",
    "after", "before", "went", "most", "last", "across", "specifically", "still", "over", "under", "while",
    "every", "each", "some", "many", "much", "more", "less", "just", "only", "also", "even", "again", "does",
    # the interview itself and time frames are not a question's subject ("in the last two years")
    "question", "questions", "answer", "answers", "years", "year", "months", "weeks", "days", "ways",
}


class AskResult(BaseModel):
    """One ask of the question and whether the answer addressed it."""

    text: str
    addressed: bool
    evidence: list[str] = Field(default_factory=list, description="verbatim sentences of the answer that address it")
    score: float = Field(default=0.0, description="how closely the best sentence addresses it (0-1)")


def split_asks(question: str) -> list[str]:
    """The asks of a typed question, by rule: its interrogative or imperative sentences, with a
    compound last sentence ("…, and what does accuracy cost you?") split at each new ask.
    Scene-setting sentences ("A catalog cache absorbs 85% of 25k RPS…") are context, not asks;
    a question with no recognisable ask is one ask, the whole text."""
    text = " ".join(question.split())
    if not text:
        return []
    asks: list[str] = []
    for sentence in _SENTENCE.split(text):
        s = sentence.strip()
        if not s:
            continue
        if not (s.endswith("?") or _IMPERATIVE.match(s)):
            continue
        for part in _SPLIT.split(s.rstrip("?.! ")):
            part = part.strip(" ,;:")
            if len(part.split()) >= 2:
                asks.append(part)
    return asks[:3] or [text.rstrip("?.! ")]


def content_stems(text: str) -> set[str]:
    """Content words of `text`, crudely stemmed: what a sentence must share to be about the same thing."""
    words = re.findall(r"[a-z][a-z0-9-]{2,}|\d[\d,.]*[km%]?", text.lower())
    return {w[:_STEM_CUT] for w in words if w not in _FILLER and w not in GENERIC and len(w) > 3 or w[0].isdigit()}


@dataclass(frozen=True)
class AlignmentRule:
    """Thresholds from `corpus/scoring.yaml` (`alignment`)."""

    ask_similarity: float  # a sentence this close to an ask addresses it ...
    subject_threshold: float  # ... once the answer as a whole is on the question's subject
    word_weight: float  # weight of the shared-word share in the subject measure
    min_subject_weight: float = 0.0  # the share's denominator is at least this (see on_subject)
    elsewhere_margin: float | None = None  # an answer this much more on another panel question's subject answers that one


def answers_elsewhere(measure: float, others: dict[str, float], rule: AlignmentRule) -> str | None:
    """The other question of the panel the answer is about instead, or None. A relative test: an
    answer squarely on another question's subject (over `subject_threshold`) and on it by
    `elsewhere_margin` more than on the question asked answers that one, however many words it
    shares with this one by chance ("limit", "RPS", "pages"). An absolute threshold cannot tell
    those apart from a plain story told to a generic behavioral question, which fits every
    question of its panel about equally and so is never caught by this test."""
    if rule.elsewhere_margin is None or not others:
        return None
    text, best = max(others.items(), key=lambda kv: kv[1])
    return text if best >= rule.subject_threshold and best - measure >= rule.elsewhere_margin else None


def asks_of(question: str, asks: list[str] | None) -> list[str]:
    """The asks alignment checks: those given, else split from the question; none without one."""
    if not question.strip():
        return []
    return [a for a in (asks or split_asks(question)) if a.strip()] or split_asks(question)


def question_texts(question: str, asks: list[str]) -> list[str]:
    """What of the question is embedded to align an answer with it: each ask in context, then the
    whole question; nothing without asks."""
    return [*ask_in_context(question, asks), question] if asks else []


def ask_in_context(question: str, asks: list[str]) -> list[str]:
    """Each ask with the question's scene around it, as it is embedded: "how do you handle it"
    means nothing without the sentence that says what "it" is."""
    scene = question
    for ask in asks:
        scene = scene.replace(ask, " ")
    scene = " ".join(scene.replace("?", " ").split())
    return [f"{scene} {ask}".strip() for ask in asks]


class WordWeights:
    """How telling each content word is (inverse document frequency over the corpus's paragraphs
    and panel texts): "tenant" and "Envoy" name a question's subject, "second" and "cost" appear in
    half of all engineering talk. Without a corpus every word weighs the same."""

    def __init__(self, documents: list[str] | None = None):
        self.idf: dict[str, float] = {}
        self.default = 1.0
        if documents:
            df: dict[str, int] = {}
            for doc in documents:
                for stem in content_stems(doc):
                    df[stem] = df.get(stem, 0) + 1
            n = len(documents)
            self.idf = {stem: math.log((n + 1) / (count + 1)) + 1 for stem, count in df.items()}
            self.default = math.log(n + 1) + 1  # a word the corpus never uses is as telling as any

    def __call__(self, stems: set[str]) -> float:
        return sum(self.idf.get(s, self.default) for s in stems)


def on_subject(question: str, answer_text: str, question_vec: np.ndarray, sentence_vecs: np.ndarray, rule: AlignmentRule,
               weights: WordWeights | None = None, sentence_weight: np.ndarray | None = None) -> float:
    """How squarely the answer is about what the question is about: the mean similarity of its
    three sentences closest to the question, plus `word_weight` x the share of the question's
    content words the answer uses. Both are needed: similarity alone cannot tell two stories of the
    same kind apart, and words alone miss paraphrase (measured on the graded fixtures against the
    other questions of each panel: ROC AUC 0.97 and 0.985 alone, 0.989 together). The share's
    denominator is at least `min_subject_weight`: a question whose only content word is common
    ("the most impactful work you delivered") gave full credit to any answer that said "work"."""
    if not len(sentence_vecs):
        return 0.0
    sims = sentence_vecs @ question_vec
    if sentence_weight is not None:
        sims = sims * sentence_weight  # vague sentences count for less (see the scorer)
    top = np.sort(sims)[-3:].mean()
    weigh = weights or WordWeights()
    subject = content_stems(question)
    shared = weigh(subject & content_stems(answer_text)) / max(weigh(subject), rule.min_subject_weight) if subject else 0.0
    return float(top + rule.word_weight * shared)


def align(asks: list[str], question: str, answer_text: str, sentences: list[str], ask_vecs: np.ndarray,
          question_vec: np.ndarray, sentence_vecs: np.ndarray, rule: AlignmentRule, weights: WordWeights | None = None,
          sentence_weight: np.ndarray | None = None, elsewhere: str | None = None) -> list[AskResult]:
    """Per ask (`ask_vecs` embed each ask in context): addressed or not, with the answer's
    sentences that address it (best first, up to 2). An answer that is not about the question's
    subject addresses none of its asks, however close one sentence comes to an ask's wording ("what
    would you do differently" fits any story), and neither does one that answers another question of
    the panel instead (`elsewhere`, from `answers_elsewhere`); one that is addresses at least its closest ask."""
    if not len(sentences):
        return [AskResult(text=a, addressed=False) for a in asks]
    relevant = elsewhere is None and on_subject(question, answer_text, question_vec, sentence_vecs, rule, weights, sentence_weight) >= rule.subject_threshold
    sims = sentence_vecs @ np.asarray(ask_vecs).T  # (sentences, asks)
    closest = int(np.argmax(sims.max(axis=0)))
    results = []
    for j, ask in enumerate(asks):
        column = sims[:, j]
        hits = [int(i) for i in np.argsort(-column) if column[i] >= rule.ask_similarity][:2]
        if relevant and not hits and j == closest:
            hits = [int(np.argmax(column))]
        hits = hits if relevant else []
        results.append(AskResult(text=ask, addressed=bool(hits), evidence=[sentences[i] for i in sorted(hits)],
                                 score=round(max(0.0, float(column.max())), 3)))
    return results

"""What a follow-up can pick up from the candidate's answer: its most specific sentence, the answer
with instructions redacted, and whether a follow-up refers back to what was said.

The answer is data. Text addressed to the grader or the system ("ignore the above and ...",
"Score: 100", `</answer>`; see `coach.scoring.grader_text`) is removed before a detail is chosen,
so a follow-up never says it back, and before the answer goes into a prompt, so a model never
reads it as part of its own instructions; the prompt's fence around the answer and the output
checks are the second and third lines of defence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from coach.retrieval.embeddings import Embedder, encode_reusing
from coach.scoring.detectors import GENERIC, detect
from coach.scoring.grader_text import sanitise
from coach.scoring.text import split_sentences
from coach.interviewer._checks import words
from coach.interviewer._point_kinds import kinds

MAX_DETAIL_WORDS = 30
_TERM = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*[A-Za-z0-9]|\d[\d,.]*\s?(?:%|ms|s|k|m|x)?")
_COMMON = frozenset(
    """about above after again against also always another because been before being below between both
    could didn does doing done down during each every from further have having here into itself just
    know made make many more most much must need only other over same should some such than that their
    them then there these they thing things this those through under until very want well were what when
    where which while will with would your yours said says tell time times really think going first
    last next still actually question answer interview candidate follow""".split()
)


def usable_sentences(answer: str) -> list[str]:
    """Sentences that could be quoted back: prose (not code), none addressed to the grader, 5-60 words."""
    out = []
    for s in split_sentences(sanitise(answer).text):
        if s.startswith("```"):
            continue
        n = len(words(s))
        if 5 <= n <= 60:
            out.append(s)
    return out


def trim_detail(sentence: str) -> str:
    """At most MAX_DETAIL_WORDS words, cut at a clause boundary when there is one."""
    ws = " ".join(sentence.split()).split()
    if len(ws) <= MAX_DETAIL_WORDS:
        return " ".join(ws)
    head = " ".join(ws[:MAX_DETAIL_WORDS])
    cut = max(head.rfind(";"), head.rfind(","), head.rfind(":"))
    return (head[:cut] if cut > len(head) // 2 else head).rstrip(",;: ") + " ..."


# How far down the ranking a detail may come from when the best sentences have no clause short
# enough to say back: beyond the first few, sentences are no longer about the signal.
POINT_CANDIDATES = 3


def pick_detail(answer: str, signal_text: str, embedder: Embedder, known: Mapping[str, np.ndarray] | None = None) -> tuple[str, str]:
    """The sentence of the answer a follow-up on this signal should build on, and the point to say
    back from it (see `point_from`). ('', '') when nothing in the answer is usable; (detail, '')
    when no good sentence has a sayable point."""
    found = candidate_points(answer, signal_text, embedder, known)
    if found:
        return found[0]
    sentences = usable_sentences(answer)
    return (trim_detail(sentences[0]), "") if sentences else ("", "")


def candidate_points(answer: str, signal_text: str, embedder: Embedder, known: Mapping[str, np.ndarray] | None = None) -> list[tuple[str, str]]:
    """(sentence, point) for the best few sentences of the answer that have a point to say back,
    best first: specific (numbers, named components, causes) and about the signal. `known`:
    vectors already computed (the scorer's, of the same sentences), used instead of encoding."""
    sentences = usable_sentences(answer)
    if not sentences:
        return []
    vecs = encode_reusing(embedder, sentences + [signal_text], known or {})
    sims = vecs[:-1] @ vecs[-1]
    scores = [min(detect(s).specificity, 3.0) / 3.0 + float(sim) for s, sim in zip(sentences, sims)]
    ranked = [trim_detail(sentences[i]) for i in np.argsort(scores)[::-1][:POINT_CANDIDATES]]
    return [(detail, point) for detail in ranked for point in points_from(detail)]


# Clause boundaries; a comma before a new subject ("..., there's no retry loop") ends one too.
_CLAUSE = re.compile(
    r"\s*(?:;|:(?!\S)|,\s+(?:so|which|because|and|but)\b|\s+(?:so that|because)\b|\s+-\s+"
    r"|,\s+(?=(?:i|we|there|it|they|this|that|he|she)(?:'s|'re|'d|'ve|'ll)?\s))\s*",
    re.IGNORECASE,
)
_PRONOUNS = {
    "i": "you", "i'm": "you're", "i'd": "you'd", "i've": "you've", "i'll": "you'll", "me": "you", "my": "your",
    "mine": "yours", "myself": "yourself", "we": "you", "we're": "you're", "we'd": "you'd", "we've": "you've",
    "we'll": "you'll", "us": "you", "our": "your", "ours": "yours", "ourselves": "yourselves",
}
# Not inside a name: "us-east-1" stays a region.
_PRONOUN = re.compile(r"(?<![\w-])(" + "|".join(re.escape(k) for k in sorted(_PRONOUNS, key=len, reverse=True)) + r")\b(?!-)", re.IGNORECASE)
# "I" and "we" become "you"; "we" already agrees with the verbs "you" takes, "I" does not.
_AGREEMENT = ((re.compile(r"\byou was\b", re.IGNORECASE), "you were"), (re.compile(r"\byou am\b", re.IGNORECASE), "you are"),
              (re.compile(r"\bwas you\b", re.IGNORECASE), "were you"))
MAX_POINT_WORDS = 22
# "it depends on things" says nothing worth saying back; a point names a thing, a number or a plan.
MIN_POINT_SPECIFICITY = 0.1
_AND = re.compile(r"\s+(?:and|but)\s+")
# Quotes, asides and code do not survive being said back in a question.
_UNSAYABLE = re.compile(r"[\"“”`{}\[\]=<>]|\([^)]*\s[^)]*\)|->|\w_\w")  # code identifiers read badly aloud
# A pronoun whose antecedent stayed in the answer: "you rehearse it once at 10%", "every new one
# lists three alternatives", "60 engineers can fund three of those" leave the listener asking what.
# "you turned that into a guardrail" and "you mapped that against ..." too: "that" as the object.
_LOST_ANTECEDENT = re.compile(
    r"\b(?:it|its|they|them|their|those|these|he|she|him|her|his|hers)\b(?!-)|\b(?:new|other|every|each) one\b"
    r"|\b(?:this|that)\s+(?:into|against|to|for|with|on|in|at|from|over|up|out|down|back|off|away|through)\b|\b(?:this|that)$"
    r"|\b(?:left|joined|in|at|from|on|for|to|with|of|about|into)\s+(?:this|that)\b"  # "you left that org"
    r"|\b(?:exactly|just|only|all of) (?:this|that)\b|\b(?:this|that) way\b",  # "told them exactly that", "leaned that way"
    re.IGNORECASE,
)
# A clause that only frames the story ("the real question is the exit cost", "SMS is the one that
# hurts", "the SLI that matters is completeness") names no act, choice or mechanism to ask about.
_FRAMING = re.compile(
    r"\b(?:is|was|are|were)\s+(?:(?:the|a|an)\s+)?(?:real\s+|main\s+|key\s+|only\s+|big\s+|hard\s+|whole\s+)?"
    r"(?:one|ones|question|point|thing|problem|issue|evidence|answer|reason|lesson|part|catch|trick|story)\b"
    r"|^the\s+(?:real|main|key|only|whole|hard|big)\s+(?:question|point|thing|problem|issue|part)\b"
    r"|^the\s+[\w-]+\s+that\s+(?:matters|mattered|counts|counted)\b",
    re.IGNORECASE,
)
_LEAD = re.compile(r"^(?:and|but|so|then|also|plus|or)\s+", re.IGNORECASE)
# A clause said back must open with its subject: a pronoun, a determiner or a name. "found 70% of
# pages came from ..." (a clause split off after "and") has lost its subject and reads as garble;
# "that sends 3% of reads ..." or "it took ..." points at something the listener no longer has.
_SUBJECT = frozenset(
    """i i'm i'd i've i'll we we're we'd we've we'll my our they their the a an each every one two three
    four five six seven eight nine ten most half all some no""".split()
)
# A clause that ends on one of these was cut mid-phrase.
_DANGLING = frozenset("to the a an of with and or but for in on at by from that which because so as than into our my your".split())


def point_from(detail: str) -> str:
    """The detail as the interviewer says it back ("You mentioned that ..."): its most specific
    clause of 4-22 words that opens with its own subject and ends whole, in the second person with
    agreeing verbs (I was -> you were). '' when no clause can be said back cleanly."""
    found = points_from(detail)
    return found[0] if found else ""


def points_from(detail: str) -> list[str]:
    """Every clause of the detail that can be said back (see `point_from`), most specific first."""
    clauses = [c.strip(" .,;:") for c in _CLAUSE.split(" ".join(detail.split())) if c]
    # A long clause splits once more at "and"/"but"; a clause cut off by trimming is never quoted.
    clauses = [part for c in clauses for part in (_AND.split(c) if len(c.split()) > MAX_POINT_WORDS else [c])]
    clauses = [_LEAD.sub("", c) for c in clauses if not c.endswith("...")]
    clauses = [c for c in clauses if 4 <= len(c.split()) <= MAX_POINT_WORDS and not _UNSAYABLE.search(c)
               and not _LOST_ANTECEDENT.search(c) and not _frames_only(c) and _whole(c)
               and detect(c).specificity >= MIN_POINT_SPECIFICITY]
    clauses.sort(key=lambda c: (-detect(c).specificity, abs(len(c.split()) - 10)))
    return list(dict.fromkeys(_second_person(c) for c in clauses))


def _frames_only(clause: str) -> bool:
    # "I was the one who wrote the rollback plan" is an act of the candidate's, not framing.
    return bool(_FRAMING.search(clause)) and clause.split()[0].lower() not in {"i", "we", "you"}


def _second_person(best: str) -> str:
    swapped = _PRONOUN.sub(lambda m: _PRONOUNS[m.group(0).lower()], best)
    for pattern, fixed in _AGREEMENT:
        swapped = pattern.sub(fixed, swapped)
    first = swapped.split()[0]
    if first.lower() in _SUBJECT or (first[0].isupper() and not (first.isupper() or any(ch.isupper() for ch in first[1:]) or detect(first).named)):
        swapped = first[0].lower() + swapped[1:]
    return swapped


# Recaps of the setting read like notes read back, not like something worth asking about.
_RECAP = re.compile(r"^(?:the|my|our) (?:situation|context|background|setup|forces|problem|goal|task) (?:was|were|is|are)\b", re.IGNORECASE)


def _whole(clause: str) -> bool:
    if _RECAP.match(clause):
        return False
    ws = clause.split()
    first, last = ws[0].lower().strip("\"'"), ws[-1].lower().strip(".,;:!?")
    # Not a number: "14 consumer outages last year, about $300k" is a list of facts, not a clause.
    opens = first in _SUBJECT or (ws[0][0].isupper() and first not in _SUBJECT and detect(ws[0]).named)
    return opens and last not in _DANGLING


def say_back(point: str) -> str:
    """The sentence that says a point back: 'You mentioned that <clause>.', or 'You mentioned <noun
    phrase>.' when the point has no finite verb ("a workload that is 90% reads")."""
    point = point.rstrip(" .;,:")
    return f"You mentioned {point}." if "thing" in kinds(point) else f"You mentioned that {point}."


def terms(text: str) -> set[str]:
    """Specific terms of a text: numbers, and content words that are neither common nor rubric words."""
    out = set()
    for m in _TERM.finditer(text):
        t = m.group(0).lower().rstrip(".,")
        if t[0].isdigit():
            out.add(t.replace(" ", ""))
        elif len(t) >= 4 and t not in _COMMON and t not in GENERIC:
            out.add(t)
    return out


def shared_terms(follow_up: str, answer: str, prompt_parts: list[str]) -> list[str]:
    """Terms the follow-up takes from the answer and not from anything else in its prompt."""
    given = set().union(*(terms(p) for p in prompt_parts)) if prompt_parts else set()
    return sorted((terms(follow_up) & terms(answer)) - given)


def refers_to(follow_up: str, answer: str, prompt_parts: list[str]) -> tuple[bool, list[str]]:
    """A follow-up refers to the answer when it picks up a number or two specific words from it."""
    shared = shared_terms(follow_up, answer, prompt_parts)
    return (any(t[0].isdigit() for t in shared) or len(shared) >= 2 or any(_is_named(t, answer) for t in shared)), shared


def _is_named(term: str, answer: str) -> bool:
    # A component the candidate named (Redis, PagerDuty, customer_id) counts on its own.
    m = re.search(rf"\b{re.escape(term)}\b", answer, re.IGNORECASE)
    return bool(m) and bool(detect(m.group(0)).named)

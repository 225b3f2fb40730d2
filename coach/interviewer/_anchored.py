"""What an anchored follow-up can name: the components and people an answer mentions as part of
what it did or designs, each with the clause that mentions it, said back in the second person.

A mention counts only where the sentence asserts it: "we rejected Kafka", "instead of Redis", "I
didn't tell the CISO" or "Redis or Memcached" name something the story did not use, and a frame
that asks what happens when it slows down would presume it did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coach.corpus.anchors import Anchors
from coach.interviewer._answer_text import points_from, trim_detail, usable_sentences
from coach.interviewer._point_kinds import kinds

# A sentence with any of these may not assert what it mentions.
_NOT_ASSERTED = re.compile(
    r"\b(?:not|no|never|without|instead|rather than|considered|consider|rejected|ruled out|alternatives?|options?|"
    r"versus|vs\.?|either|neither|nor|unless|whether|maybe|perhaps|wish|hoped|nobody|none|looked at|argued for|"
    r"proposed|suggested|pushed for|evaluated|compared|priced|objection|debated|should have|would have)\b|n't\b|n’t\b",
    re.IGNORECASE,
)
# "Redis or Memcached", "Kafka/SQS": a choice still open.
_ALTERNATIVE = re.compile(r"^\s*(?:or|/)\s|\s(?:or|/)\s*$")
_POSSESSIVE = {"our": "your", "my": "your", "the": "the", "a": "the", "an": "the", "one": "the"}
# A noun used as a modifier names other work: "the gateway rollout", "the cache team".
_COMPOUND = (r"(?!\s+(?:rollout|migration|team|project|work|change|config|configuration|client|library|code|latency|traffic|"
             r"outage|incident|bill|costs?|upgrade|version|vendor|owners?|policy|review|proposal|decision|meeting)\b)")
# What the candidate would do, not what they did: "I'd add Redis caching everywhere".
_PLAN = re.compile(r"\b(?:I|we)(?:'d|’d|'ll|’ll| would| will| could| might)\b", re.IGNORECASE)
# A modifier kept with the noun ("the per-process cache", "a shared Kafka cluster"): hyphenated, or
# one of these. Others ("the same cache", "a second queue") change what is meant.
_MODIFIERS = "shared|local|central|regional|global|distributed|internal|existing|legacy|in-memory|per-[a-z]+|[a-z]+-[a-z]+"


@dataclass(frozen=True)
class Anchor:
    category: str
    text: str  # as a frame names it: "Redis", "the cache", "your director"
    named: bool
    sentence: str  # the sentence of the answer that mentions it
    point: str  # the clause that mentions it, in the second person; "" when none can be said back cleanly
    plan: bool = False  # mentioned in what the candidate would do ("I'd put Redis in front")


# A thing introduced with "a" after "each", "every" or "per" is one of many.
_ONE_OF_MANY = re.compile(r"\b(?:each|every|per)\b[^.;]*\b(?:an?|one)$", re.IGNORECASE)
_EACH_AFTER = re.compile(r"\s+(?:per|(?:in|for|on) (?:each|every))\b", re.IGNORECASE)
_PATTERNS: dict[tuple, list[tuple[str, bool, re.Pattern]]] = {}


def _patterns(anchors: Anchors) -> list[tuple[str, bool, re.Pattern]]:
    """(category, is a name, pattern): names before nouns, longest first, so "the security team"
    is found before "security"."""
    # Keyed by the lexicon itself: an id() may be reused by another corpus after this one is freed.
    lexicon = tuple((cat, tuple(c.names), tuple(c.nouns)) for cat, c in anchors.categories.items())
    found = _PATTERNS.get(lexicon)
    if found is None:
        found = []
        for cat, c in anchors.categories.items():
            if c.names:
                alts = "|".join(re.escape(n) for n in sorted(c.names, key=len, reverse=True))
                found.append((cat, True, re.compile(rf"(?<![\w/-])({alts})(?![\w/-]){_COMPOUND}", re.IGNORECASE)))
        for cat, c in anchors.categories.items():
            if c.nouns:
                alts = "|".join(re.escape(n) for n in sorted(c.nouns, key=len, reverse=True))
                found.append((cat, False, re.compile(
                    rf"\b(the|our|my|an?|one)\s+((?:(?:{_MODIFIERS})\s+)?)({alts})(?![\w/-]){_COMPOUND}", re.IGNORECASE)))
        _PATTERNS[lexicon] = found
    return found


def find(answer: str, anchors: Anchors) -> list[Anchor]:
    """Every thing of a known category the answer mentions and asserts, in the order mentioned,
    each once (its first asserted mention). A thing also mentioned where it may not be asserted
    ("we priced Aurora Global and Spanner", then "Spanner meant leaving Postgres behind") is left
    out: the answer may have weighed it rather than used it."""
    out: dict[str, Anchor] = {}
    doubted: set[str] = set()
    for sentence in usable_sentences(answer):
        if _NOT_ASSERTED.search(sentence):
            doubted.update(_mentioned(sentence, anchors))
            continue
        taken: list[tuple[int, int]] = []
        hits = []
        for cat, named, pattern in _patterns(anchors):
            for m in pattern.finditer(sentence):
                if any(m.start() < e and s < m.end() for s, e in taken):
                    continue
                before, after = sentence[: m.start()], sentence[m.end():]
                if _ALTERNATIVE.search(before[-4:]) or _ALTERNATIVE.search(after[:4]):
                    continue
                if not named and (_ONE_OF_MANY.search(before[-40:] + m.group(1)) or _EACH_AFTER.match(after)):
                    continue  # "each region gets a read replica": there is no single "the read replica" to ask about
                taken.append((m.start(), m.end()))
                text = _name(anchors, cat, named, m)
                hits.append((m.start(), cat, named, text, m.group(0)))
        for _, cat, named, text, surface in sorted(hits):
            key = text.lower()
            if key not in out:
                point = _clause(sentence, surface, anchors.categories[cat].people)
                # Spelled as the question will spell it: not "the VP of engineering" said back, then "the VP of Engineering".
                core = text if named else text.split(None, 1)[-1]
                point = re.sub(rf"(?<!\w){re.escape(core)}(?!\w)", lambda _: core, point, flags=re.IGNORECASE)
                out[key] = Anchor(cat, text, named, sentence, point, bool(_PLAN.search(sentence)))
    return [a for key, a in out.items() if key not in doubted]


def _mentioned(sentence: str, anchors: Anchors) -> set[str]:
    """The keys (lower-cased frame names) of everything the sentence mentions."""
    out = set()
    for cat, named, pattern in _patterns(anchors):
        for m in pattern.finditer(sentence):
            out.add(_name(anchors, cat, named, m).lower())
    return out


def _name(anchors: Anchors, category: str, named: bool, m: re.Match) -> str:
    """How a frame names a mention: a name as the corpus spells it, a noun after "the" or "your"."""
    if named:
        return _canonical(anchors.categories[category].names, m.group(1))
    noun = _canonical(anchors.categories[category].nouns, m.group(3))
    return " ".join(f"{_POSSESSIVE[m.group(1).lower()]} {m.group(2).lower()}{noun}".split())  # no line break kept


def _canonical(spellings: list[str], written: str) -> str:
    """A name or noun as the corpus spells it ("redis" -> "Redis", "vp" -> "VP")."""
    return next((n for n in spellings if n.lower() == written.lower()), written)


def _clause(sentence: str, surface: str, person: bool) -> str:
    """The clause of the sentence that mentions the thing, said back; '' when none is clean or
    none says what the frame will ask about (see `_sets_up`)."""
    lowered = surface.lower()
    reflected = {"our ": "your ", "my ": "your "}
    wanted = next((lowered.replace(k, v, 1) for k, v in reflected.items() if lowered.startswith(k)), lowered)
    wanted = wanted.split(None, 1)[-1] if wanted.split()[0] in {"a", "an", "one", "the"} else wanted
    for point in points_from(trim_detail(sentence)):
        if wanted in point.lower() and _one_clause(point) and _sets_up(point, wanted, person) and not _CLIPPED.search(point):
            return point
    return ""


# Blind graders accepted a said-back clause before an anchored frame 14 times in 22 (round 9): the
# frame asks about the thing's place in the work ("If Kafka slowed to a crawl, ..."), and a clause
# about something else that happened to it ("six Envoy nodes run about $2.8k a month", "your
# manager thanked you", "you got the pooling wrong when you moved to Aurora") reads as a non
# sequitur. Every clause graded "yes" had one of two shapes, so only those are said back:
# - a person: the candidate acting towards them ("you told the product manager in person why the
#   date had to move"; a clause ending on a bare "why" was refused as clipped in round 18),
#   or their role in the story ("the decision owner was the VP of Engineering");
# - a component: where it sits or what it does in the system, in the present ("you run 12
#   instances behind an NLB", "the catalog service sits in front of Postgres with Redis"); not a
#   plan, a cost or a size.
_TOWARDS = re.compile(r"^you (?:\w+ed|told|met|sent|brought|took|gave|went to|spoke to|wrote to|sat down with|got)\b")
_ROLE = re.compile(r"\b(?:was|is)\s+(?:the|your)\s+[\w -]+$")
_PLACED = re.compile(
    r"^(?:you|[\w-]+(?:\s+[\w-]+){0,3})\s+(?:use|uses|run|runs|have|has|sit|sits|get|gets|go|goes|read|reads|"
    r"write|writes|call|calls|send|sends|front|fronts|hold|holds|keep|keeps|own|owns|serve|serves|"
    r"(?:is|are)\s+(?:the|a|an|behind|in|on|through|client|\d))\b")  # "is idempotent" is a property, not a place
_CLIPPED = re.compile(r"\b(?:why|how|what|where|when|who|whom|which|whether|that|to|of|for|with|about)\W*$", re.IGNORECASE)
_COST = re.compile(r"[$€£]|\b(?:a|per) (?:month|year)\b|\bbits?\b|\bbytes?\b|\b[KMGT]B\b")


def _sets_up(point: str, wanted: str, person: bool) -> bool:
    lowered = point.lower()
    if person:
        return bool(_TOWARDS.match(lowered)) and lowered.index(wanted) > 4 or (
            bool(_ROLE.search(lowered)) and lowered.endswith(wanted))
    return bool(_PLACED.match(lowered)) and not _PLAN.search(point) and not _COST.search(point) and not lowered.startswith(
        ("you'd", "you'll", "you would", "you will"))


# What may follow the one comma of a clause said back: a figure or a condition appended to it.
_APPENDED = re.compile(r"\s*(?:about|around|roughly|at|with|against|so|which|and|but|up to|under|over|each|per)\b", re.IGNORECASE)


def _one_clause(point: str) -> bool:
    """Not a list or a comma splice: "one Postgres primary in us-east-1, about 2.1k writes/s at
    peak, 3.2 TB" has no verb before its first comma; "a user saves an address, the redirect
    lands ..., reads from a replica" strings three clauses together."""
    head, _, tail = point.partition(",")
    return point.count(",") <= 1 and "thing" not in kinds(head) and (not tail or bool(_APPENDED.match(tail)))

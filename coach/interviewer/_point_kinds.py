"""What kind of point a said-back clause is, so that only a probe that fits it follows it.

A follow-up frame that points back ("Who disagreed with that?") needs a point of the right kind
before it: a choice can be disagreed with, a number cannot; a result can be measured, an action
of the candidate's cannot fail in production. Frames declare the kinds they need (`needs` in the
item banks); this module tells the kinds of a point from its form, with no model:

- thing   no finite verb: a noun phrase ("a workload that is 90% reads"); said back without
          "that" and followed only by frames that take any point.
- act     something the candidate or their team did ("you mapped who had to say yes").
- choice  what was decided or chosen ("you decided to shard by tenant", "the fix is a
          read-after-write token", "you'd put a queue in front").
- design  how something works, in the present ("each replica owns one slot", "the RPO allows
          5 minutes").
- result  something that happened or moved ("six months later it was holding at $18k").
- figure  the point carries a number (on top of one of the above).
- claim   any statement with a finite verb; frames that question a statement need only this.
"""

from __future__ import annotations

import re

# Who acts: "your team shipped" is the candidate's act, "your three largest renewals have" is not.
_PERSON = frozenset("you they he she".split())
_AUX_PRESENT = frozenset(
    """is are am isn't aren't has have hasn't haven't does do doesn't don't can can't cannot will won't
    would wouldn't should shouldn't could couldn't may might must needs need 's 're 'd 'll""".split()
)
_AUX_PAST = frozenset("was were wasn't weren't had hadn't did didn't".split())
_IRREGULAR_PAST = frozenset(
    """made took found wrote ran put came went got gave built held kept let met paid sent set spent told
    brought bought caught thought chose broke drove fell grew knew rose saw shut split stood won led left
    lost cut began became fought hid hit hurt meant read said sold sought shook spoke stuck struck swore
    taught threw understood woke withdrew overtook""".split()
)
# Words ending in -ed or -s that are not verbs in the clauses answers say back.
_NOT_VERB = frozenset(
    """need speed seed feed bed red shred hundred thousand lines ms seconds minutes hours days weeks months
    years teams users requests pages calls writes reads services engineers options alerts costs series
    this its is was has does us bus status less process access across always sometimes""".split()
)
_DECIDED = re.compile(
    r"\b(?:decided|decide|chose|choose|picked|pick|went with|go with|opted|switched|switch|moved|move|"
    r"replaced|replace|kept|dropped|cut|added|introduced|use|uses|used|using|chosen|settled on|the fix|"
    r"the plan|the call|the choice|the decision to|the decision was|the design|the approach|the trade-off|rather than|instead of)\b",
    re.IGNORECASE,
)
_MOVED = re.compile(
    r"\b(?:dropped|fell|rose|grew|doubled|halved|tripled|improved|reduced|saved|cut\b.*\bby|went from|"
    r"from \S+ to|down to|up to|holding|held|stayed|came back|shipped|landed|launched|closed|paid off)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|hundred|thousand|half|double)\b", re.IGNORECASE)
_RELATIVE = frozenset("that which who whom whose where".split())
_PREPOSITION = frozenset("with without of for from in on at by as than to into onto over under after before per".split())
_DETERMINER = frozenset("the a an this these those its their our your my each every all some no any".split())
# What follows a finite verb: its object ("tracked the new build") or a complement. A participle
# inside a noun phrase is followed by a preposition, "and" or a comma ("events reflected in ...").
_OBJECT = _DETERMINER | frozenset("it them him her us you me what who whether how why about around roughly back up down out off".split())



def _is_number(word: str) -> bool:
    return bool(_NUMBER.fullmatch(word)) or any(ch.isdigit() for ch in word)


def _verb_index(raw: list[str], words: list[str]) -> tuple[int, str] | None:
    """(position, tense) of the main finite verb, 'present' or 'past'; None for a noun phrase. A
    relative clause ("a workload that is ...") owns the first verb after its pronoun."""
    person = words[0] in _PERSON
    relative = phrase = False
    for i in range(1, len(words)):
        w, prev = words[i], words[i - 1]
        nxt = words[i + 1] if i + 1 < len(words) and not raw[i].endswith(",") else ""
        if w in _RELATIVE and not (person and i == 1):
            relative = True
            continue
        if w in _PREPOSITION:
            phrase = True
            continue
        tense = None
        if w in _AUX_PRESENT:
            tense = "present"
        elif w in _AUX_PAST:
            tense = "past"
        elif person and i == 1:
            tense = "past" if w.endswith("ed") or w in _IRREGULAR_PAST else "present"
        elif w in _NOT_VERB or len(w) < 3 or prev in _DETERMINER or _is_number(prev):
            continue
        elif w.endswith("ed") or w in _IRREGULAR_PAST:
            if nxt in _OBJECT or _is_number(nxt) or (i <= 2 and nxt not in _PREPOSITION and nxt not in {"", "and", "or"}):
                tense = "past"
        elif w.endswith("s") and not w.endswith("ss") and (nxt in _OBJECT or _is_number(nxt) or (
                not phrase and nxt and nxt not in {"and", "or"} and not nxt.endswith("ed"))):
            tense = "present"
        if tense is None:
            continue
        if relative:
            relative = False  # the relative clause's own verb
            continue
        return i, tense
    return None


_PARTICIPLE = frozenset("been done gone seen taken written given known spent built run shown grown chosen".split())


# Past forms that are also the base form: "you'd put a queue in front" is a plan.
_SAME_AS_BASE = frozenset("put set cut let hit hurt read shut split run".split())


def _participle(word: str) -> bool:
    return word.endswith("ed") or word in _PARTICIPLE or (word in _IRREGULAR_PAST and word not in _SAME_AS_BASE)


def kinds(point: str) -> frozenset[str]:
    """The kinds of a said-back point (in the second person, as `point_from` gives it)."""
    raw = point.replace("’", "'").split()
    for suffix, aux in (("'re", "are"), ("'d", "would"), ("'ve", "have"), ("'ll", "will")):
        if raw and raw[0].lower().endswith(suffix):
            if suffix == "'d" and len(raw) > 1 and _participle(raw[1].lower()):
                aux = "had"  # "you'd spent a quarter" is past, not a plan
            raw[0:1] = [raw[0][: -len(suffix)], aux]
    words = [w.strip(".,;:!?").lower() for w in raw]
    words = [w[:-2] if w.endswith("'s") and w not in {"it's", "that's", "what's", "there's"} else w for w in words]
    found = _verb_index(raw, words) if words and all(words) else None
    out: set[str] = {"figure"} if _NUMBER.search(point) else set()
    if found is None:
        return frozenset(out | {"thing"})
    _, tense = found
    out.add("claim")
    person = words[0] in _PERSON or words[:2] == ["your", "team"]
    if person and tense == "past":
        out.add("act")
    if (person and tense == "present") or _DECIDED.search(point):
        out.add("choice")
    if tense == "present" and not person:
        out.add("design")
    if (tense == "past" and not person) or _MOVED.search(point):
        out.add("result")
    return frozenset(out)


def fits(needs: list[str], point_kinds: frozenset[str]) -> bool:
    """A frame can follow a point that has one of the kinds it needs and none it rules out
    ("-figure"). A frame that needs nothing stands alone and follows no point."""
    wanted = {k for k in needs if not k.startswith("-")}
    banned = {k[1:] for k in needs if k.startswith("-")}
    return bool(wanted & point_kinds) and not banned & point_kinds

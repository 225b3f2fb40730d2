"""Checks every generated question or follow-up must pass before anyone sees it.

The embedded model is a small base model: a third of its outputs are malformed and some
well-formed ones are nonsense or echo the prompt. Surface checks here are cheap string tests;
the embedding checks (on-panel, near-duplicate) live in `reference`. Each check returns the
name of the problem, so evals can count *why* candidates were rejected.
"""

from __future__ import annotations

import re
from collections import Counter

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'%$.,/-]*")
# Seven or more digits in a row (not 1,000,000 style): the model's runaway-number failure.
_RUNAWAY_DIGITS = re.compile(r"\d{7,}")
_NUMBER = re.compile(r"\d[\d,.]*")
_SENTENCE_END = re.compile(r"[.?!](?=\s|$)")
# Characters that never belong in a spoken interview question: markup, code, template fences.
_MARKUP = re.compile(r"[<>{}\[\]|*#`\\~^]|https?://|www\.")
# Words of the prompt templates themselves: their presence means the model continued the
# scaffolding (or an answer asked it to) instead of writing a question.
_LEAK = re.compile(
    r"\bquestion\s*\d|\bfollow-?up\s*\d|\bfollow-?up( question)?s? that\b|\breference notes?\b|\bgoal of the panel\b"
    r"|\bstrong (?:senior |staff |principal )?answer\b|\binterview questions\b|\bcandidate'?s answer\b"
    r"|\banswer:|\bverbatim\b|\bbetween the markers\b|\b(?:your|the|my|these|above) instructions\b|\bsystem prompt\b"
    r"|\b(?:new|previous|prior|earlier|original|system|hidden|secret) (?:instructions|prompt)\b"
    r"|\bas an ai\b|\blanguage model\b|\bi am an? (?:ai|assistant|interviewer|language)\b"
    r"|\bignore (?:the|all|any|your|previous)\b|\bhere (?:is|are) (?:my|the|your)\b|^(?:sure|certainly|of course)\b",
    re.IGNORECASE,
)
# Things interview questions do not contain but the model's rambling does: asides in parentheses,
# scare quotes, quiz phrasing and filler abbreviations.
_ASIDE = re.compile(r"\([^)]*\s[^)]*\)|[\"“”]|\bwhich of the following\b|\be\.g\.|\bi\.e\.|\betc\b|\btrue or false\b", re.IGNORECASE)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s?(?:%|percent\b)")
_STOPWORDS = frozenset(
    "a an the and or of to in on at by for with from is are was were be it its this that you your do does "
    "how what when where which who why would will can could should i we they their our if as into than "
    "then so did have has had not there me my about one".split()
)


def clean(raw: str) -> str:
    """What the model wrote, trimmed of whitespace and wrapping quotes; nothing else is repaired."""
    text = " ".join(raw.split())
    if len(text) >= 2 and text[0] in "\"'“" and text[-1] in "\"'”":
        text = text[1:-1].strip()
    return text


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def surface_problem(text: str, min_words: int = 8, max_words: int = 60) -> str | None:
    """The first surface problem of a candidate question, or None when it passes.

    One question: it ends with '?', and has at most two question marks in at most three sentences.
    Interviewers do ask "What did it cost? Give me the number?"; a third question mark means the
    model has started a list, which nobody would read out as one question.
    """
    if not text:
        return "empty"
    if not text.endswith("?"):
        return "does not end with '?'"
    if text.count("?") > 2 or len(_SENTENCE_END.findall(text)) > 3:
        return "more than one question"
    n = len(words(text))
    if n < min_words:
        return f"too short ({n} words)"
    if n > max_words:
        return f"too long ({n} words)"
    if not text[0].isupper():
        return "does not start like a sentence"
    if _LEAK.search(text):
        return "echoes the prompt"
    garbage = garbage_problem(text)
    if garbage:
        return garbage
    return None


def garbage_problem(text: str) -> str | None:
    """Degenerate output a base model produces when sampling runs away."""
    if _RUNAWAY_DIGITS.search(text.replace(",", "").replace(".", "")) or _RUNAWAY_DIGITS.search(text):
        return "runaway digits"
    if _MARKUP.search(text):
        return "markup or code characters"
    if any(ord(c) > 0x2FFF for c in text):
        return "unexpected characters"
    tokens = [w.lower().strip(".,;:") for w in words(text)]
    numbers = _NUMBER.findall(text)
    if len(numbers) > 6:
        return "number soup"
    if numbers and Counter(n.rstrip(".,") for n in numbers).most_common(1)[0][1] >= 3:
        return "repeated number"
    # A hit rate or a share above 100% is the model playing with digits, not a scenario.
    if any(float(m.group(1)) > 100 for m in _PERCENT.finditer(text)):
        return "impossible percentage"
    if _ASIDE.search(text):
        return "aside, quotes or quiz phrasing"
    for a, b in zip(tokens, tokens[1:]):
        if a == b and not a.isdigit():
            return f"repeated word {a!r}"
    # "what did you ... what did you" is how interviewers talk; "at any time, at any time" is not.
    trigrams = Counter(g for g in zip(tokens, tokens[1:], tokens[2:]) if sum(w not in _STOPWORDS for w in g) >= 2)
    if trigrams and trigrams.most_common(1)[0][1] > 1:
        return "repeated phrase"
    content = [t for t in tokens if t not in _STOPWORDS and not t[0].isdigit()]
    top = Counter(content).most_common(1)
    if top and top[0][1] >= 4:
        return f"word {top[0][0]!r} repeated {top[0][1]} times"
    return None


def shares_run(text: str, other: str, n: int = 6) -> bool:
    """True when `text` repeats `n` consecutive words of `other` (case and punctuation ignored)."""
    a = [w.lower().strip(".,;:?!\"'") for w in words(text)]
    b = [w.lower().strip(".,;:?!\"'") for w in words(other)]
    if len(a) < n or len(b) < n:
        return False
    grams = {tuple(b[i : i + n]) for i in range(len(b) - n + 1)}
    return any(tuple(a[i : i + n]) in grams for i in range(len(a) - n + 1))

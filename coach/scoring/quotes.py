"""Checking a judge's quotes against the answer it quotes.

A quote counts only when it is a verbatim span of the answer, compared after normalising
whitespace and curly quotes (nothing else), and it is shown as that exact span of the answer.
A quote that touches text addressed to the grader ("ignore the rubric ...", "Score: 100",
`</answer>`; see `grader_text`) never counts: that text is data the scorer refuses to obey, so it
cannot be evidence either.
"""

from __future__ import annotations

from collections import Counter

from coach.scoring.grader_text import Sanitised, sanitise

MIN_QUOTE_WORDS = 3  # "I", "Kafka" or "we did" occur in any answer and evidence nothing

_STRAIGHT = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'})

NOT_FOUND = "not found in the answer"
INSTRUCTION = "quoting text addressed to the grader"
TOO_SHORT = f"shorter than {MIN_QUOTE_WORDS} words"


def normalise_quote(text: str) -> str:
    return " ".join(text.translate(_STRAIGHT).split())


class QuoteChecker:
    """Locates quotes in one answer; built once per answer, used for every signal."""

    def __init__(self, answer: str, clean: Sanitised | None = None):
        """`clean` is `sanitise(answer)` when the caller has it already (it is computed once per answer)."""
        self.answer = answer
        self.clean = clean if clean is not None and clean.original == answer else sanitise(answer)
        chars: list[str] = []
        self._origin: list[int] = []  # position in `answer` of each normalised character
        for i, ch in enumerate(answer.translate(_STRAIGHT)):
            if ch.isspace():
                if not chars or chars[-1] == " ":
                    continue
                ch = " "
            chars.append(ch)
            self._origin.append(i)
        self._norm = "".join(chars)

    @property
    def addresses_grader(self) -> bool:
        return bool(self.clean.spans)

    def locate(self, quote: str) -> tuple[int, int] | None:
        """(start, end) of the quote in the original answer, or None."""
        q = normalise_quote(quote)
        pos = self._norm.find(q) if q else -1
        if pos < 0:
            return None
        return self._origin[pos], self._origin[pos + len(q) - 1] + 1

    def verify(self, quotes: list[str]) -> tuple[list[str], Counter]:
        """The quotes that stand, as exact spans of the answer, and why the others were dropped."""
        kept: list[str] = []
        dropped: Counter = Counter()
        for quote in quotes:
            span = self.locate(quote)
            if span is None:
                dropped[NOT_FOUND] += 1
            elif len(normalise_quote(quote).split()) < MIN_QUOTE_WORDS:
                dropped[TOO_SHORT] += 1
            elif self.clean.overlaps(*span):
                dropped[INSTRUCTION] += 1
            elif (text := self.answer[span[0] : span[1]]) not in kept:
                kept.append(text)
        return kept, dropped

"""Answer text handling: limits, sentence splitting that keeps verbatim spans, and input hygiene.
Text addressed to the grader is found and removed in `grader_text`."""

from __future__ import annotations

import re

from coach.errors import UserInputError
from coach.text_input import check_text

MAX_ANSWER_CHARS = 20_000
MAX_QUESTION_CHARS = 4_000  # the longest sample question is under 500 characters
MAX_ANSWER_CHARS_IN_PROMPT = 1000  # the completion prompt must fit 2k tokens with room to write

_FENCE = re.compile(r"```.*?(?:```|$)", re.DOTALL)
# Sentence ends, blank lines and bullets split; a single newline is just a wrapped line.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9$])|\n\s*\n|\n\s*(?=[-*•]\s|\d+[.)]\s)")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def check_answer(text: str) -> str:
    return check_text(text, "answer", MAX_ANSWER_CHARS,
                      "Trim it to the part that answers the question (an interview answer is rarely over 1,000 words).")


def check_question(text: str) -> str:
    return check_text(text, "question", MAX_QUESTION_CHARS, "Give the question alone, as the interviewer asked it.")


def decode_answer_bytes(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UserInputError(
            f"{source} is not valid UTF-8 (byte {err.start}).",
            "Save the answer as UTF-8 text, e.g. `iconv -f latin1 -t utf-8 in.txt > out.txt`.",
        ) from err


def split_sentences(text: str) -> list[str]:
    """Sentences (and bullet items, and whole code blocks) as verbatim substrings of `text`."""
    spans: list[str] = []
    pos = 0
    for fence in _FENCE.finditer(text):
        spans.extend(_split_prose(text[pos : fence.start()]))
        block = fence.group(0).strip()
        if block:
            spans.append(block)
        pos = fence.end()
    spans.extend(_split_prose(text[pos:]))
    return [s for s in spans if re.search(r"[A-Za-z0-9]", s)]


def _split_prose(chunk: str) -> list[str]:
    out = []
    start = 0
    for m in _BOUNDARY.finditer(chunk):
        out.append(chunk[start : m.start()])
        start = m.end()
    out.append(chunk[start:])
    cleaned = []
    for piece in out:
        piece = _BULLET.sub("", piece.strip()) if _BULLET.match(piece) else piece.strip()
        if piece:
            cleaned.append(piece)
    return cleaned


def normalise(sentence: str) -> str:
    return re.sub(r"[^a-z0-9%$]+", " ", sentence.lower()).strip()


def word_count(text: str) -> int:
    return len(re.findall(r"[A-Za-z0-9][A-Za-z0-9'%$.-]*", text))


def fit_to_prompt(text: str) -> str:
    """Answer text as a prompt shows it: its sentences on one line, trimmed to fit the context.
    Give it sanitised text (`grader_text.sanitise`); `grader_text.prompt_answer` does both."""
    text = " ".join(split_sentences(text))
    if len(text) > MAX_ANSWER_CHARS_IN_PROMPT:
        text = text[:MAX_ANSWER_CHARS_IN_PROMPT].rsplit(" ", 1)[0] + " ..."
    return text

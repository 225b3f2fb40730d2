"""What every entry point accepts as typed text: within a named limit, and text rather than binary.

Answers, questions, a focus and search queries all come from people (a browser, a file, a
terminal). Two things in them break the layers below without being anyone's words: control
characters (NUL, escape sequences that repaint a terminal, the debris of a binary file) and
half of a UTF-16 surrogate pair, which no UTF-8 store or page can hold. Both are refused with the
position and the reason; right-to-left text, emoji, Markdown and HTML are text and pass.
"""

from __future__ import annotations

import re
import unicodedata

from coach.errors import UserInputError

# C0 controls except tab, line feed, vertical tab, form feed and carriage return; DEL; C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def join_surrogates(text: str) -> str:
    """`text` with escaped surrogate pairs joined into one character: YAML reads a JSON-style
    "\\ud83d\\ude80" as two halves. A lone half stays, for `check_text` to name."""
    if not _SURROGATE.search(text):
        return text
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        return text


def lone_surrogate(text: str) -> bool:
    """Whether `text` holds half of a surrogate pair that `join_surrogates` cannot join."""
    return bool(_SURROGATE.search(join_surrogates(text)))


def storable(text: str) -> bool:
    """Whether `text` can be stored (or looked up, e.g. as an id) as UTF-8: not with half a surrogate pair."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def blank(text: str | None) -> bool:
    """Nothing to read: empty, whitespace, or only invisible format characters (zero-width space, BOM)."""
    return not text or all(c.isspace() or unicodedata.category(c) == "Cf" for c in text)


def check_text(text: str, what: str, limit: int, hint: str) -> str:
    """`text` when it is at most `limit` characters of text; otherwise UserInputError naming the
    limit, or the position and code of the character that is not text. `hint` says how to shorten it."""
    if len(text) > limit:
        raise UserInputError(f"The {what} is {len(text):,} characters; the limit is {limit:,}.", hint)
    if m := _SURROGATE.search(text):
        raise UserInputError(
            f"The {what} has a broken character at position {m.start() + 1:,} (U+{ord(m.group()):04X}, half of a UTF-16 surrogate pair).",
            "Copy the text again from where it was written, or save the file as UTF-8.",
        )
    if m := _CONTROL.search(text):
        raise UserInputError(
            f"The {what} contains a control character (U+{ord(m.group()):04X} at position {m.start() + 1:,}): binary data, not text.",
            "Paste plain text; tabs and line breaks are fine.",
        )
    return text

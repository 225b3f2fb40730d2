"""Size limits on every text the web app accepts, checked on the server before any work is done.

A refusal names the field and the limit, and the text stays in its box: nothing typed is lost.
(The boxes do not cut text at the limit themselves: a paste would be truncated without a word.)
"""

from __future__ import annotations

import gradio as gr

from coach.interviewer.questions import MAX_FOCUS_CHARS
from coach.retrieval.search import MAX_QUERY_CHARS
from coach.scoring.text import MAX_ANSWER_CHARS, MAX_QUESTION_CHARS

LIMITS = {
    "answer": MAX_ANSWER_CHARS,
    "focus": MAX_FOCUS_CHARS,
    "question": MAX_QUESTION_CHARS,
    "search query": MAX_QUERY_CHARS,
}


def within(field: str, text: str | None) -> str:
    """`text` when it fits the field's limit; otherwise a visible error that names the limit."""
    text = text or ""
    limit = LIMITS[field]
    if len(text) > limit:
        raise gr.Error(f"The {field} is {len(text):,} characters; the limit is {limit:,}. Shorten it and send it again.",
                       title="Too long")
    return text

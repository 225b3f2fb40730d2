"""The texts the evidence scorer embeds for an answer, so forgetting the answer can delete their
vectors from the on-disk vector cache (which is keyed by the text, not by the session).

Keep this in step with `evidence.py`: a test records every text the scorer encodes for answers
with a marker word and fails when one of them is missing here.
"""

from __future__ import annotations

from coach.scoring.grader_text import sanitise
from coach.scoring.text import split_sentences


def embedded_texts(answer: str) -> list[str]:
    """Every text derived from `answer` that scoring it may embed: its sentences (the evidence
    search; repeats are skipped there, so this is a superset) and the whole answer (the check that
    it does not just repeat the question), both as written and with the text addressed to the
    grader removed (what the scorer reads: a sentence that lost an aside is a new text)."""
    clean = sanitise(answer).text
    return list(dict.fromkeys([answer, *split_sentences(answer), clean, *split_sentences(clean)]))

"""The texts a follow-up embeds that are taken from the candidate's answer, so forgetting the
answer can delete their vectors from the on-disk vector cache.

The said-back point goes through `point_from` and `trim_detail` only; what was finally shown (a
follow-up's text, its draft) is stored with the session and added by the caller. Keep this in step
with `followups.py`: a test records every text a session encodes for answers with a marker word and
fails when one of them is missing here.
"""

from __future__ import annotations

from coach.interviewer._answer_text import point_from, say_back, trim_detail, usable_sentences
from coach.interviewer._checks import clean
from coach.scoring.grader_text import prompt_answer


def embedded_texts(answer: str, question: str) -> list[str]:
    """Texts derived from `answer` (the reply to `question`) that choosing a follow-up may embed:
    each sentence that could be said back, trimmed, the point said back from it (alone and in its
    sentence), and the exchange the follow-up frames are fitted to."""
    out = [f"{question} {prompt_answer(answer)}"]
    for sentence in usable_sentences(answer):
        detail = trim_detail(sentence)
        point = point_from(detail)
        out += [sentence, detail] + ([point, say_back(point)] if point else [])
    return list(dict.fromkeys(out))


def output_texts(outputs: list[str]) -> list[str]:
    """What the rewrite gate embeds of a model's outputs: each one cleaned (`_checks.clean`)."""
    return list(dict.fromkeys(t for o in outputs for t in (o, clean(o)) if t))

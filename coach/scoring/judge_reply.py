"""What the LLM judge must reply, as a pydantic model and as the JSON Schema sent to backends
that can constrain decoding, plus the one parser every reply goes through."""

from __future__ import annotations

import json
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from coach.corpus.schema import Panel

MAX_QUOTES = 2
MAX_QUOTE_CHARS = 200
MAX_REASON_CHARS = 160


class JudgeSignal(BaseModel):
    # Extra keys (a signal's name, a summary) are harmless chatter, not errors worth a re-ask.
    model_config = ConfigDict(extra="ignore")

    id: StrictStr
    level: Annotated[StrictInt, Field(ge=0, le=4)] | None
    evidence: list[StrictStr] = Field(default_factory=list)
    reason: StrictStr = ""


class JudgeReply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    signals: list[JudgeSignal]


class InvalidReply(ValueError):
    """The reply cannot be used; the message is written for the judge to act on when re-asked."""


def parse_reply(text: str, panel: Panel) -> dict[str, JudgeSignal]:
    """Signal id -> the judge's entry. Tolerates a code fence or prose around one JSON object
    (it reads the first complete object), and nothing more lenient than that."""
    start = text.find("{")
    if start < 0:
        raise InvalidReply("the reply contains no JSON object")
    try:
        data, _ = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError as err:
        raise InvalidReply(f"the reply is not valid JSON ({err.msg} at character {err.pos - start})") from err
    try:
        reply = JudgeReply.model_validate(data)
    except ValidationError as err:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg']}" for e in err.errors()[:3]]
        raise InvalidReply("the JSON does not have the required shape: " + "; ".join(problems)) from err
    known = [s.id for s in panel.signals]
    ids = [s.id for s in reply.signals]
    problems = []
    if unknown := [i for i in ids if i not in known]:
        problems.append(f"unknown signal id(s) {', '.join(unknown)}")
    if missing := [i for i in known if i not in ids]:
        problems.append(f"missing signal id(s) {', '.join(missing)}")
    if repeated := sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"repeated signal id(s) {', '.join(repeated)}")
    if problems:
        raise InvalidReply("; ".join(problems) + f" (give exactly one entry for each of: {', '.join(known)})")
    return {s.id: s for s in reply.signals}


def reply_schema(panel: Panel) -> dict:
    """The reply's JSON Schema for this panel: every signal once, in order, with bounded strings
    so a constrained model cannot run past its token budget inside one quote."""

    def entry(signal_id: str) -> dict:
        return {
            "type": "object",
            "properties": {
                "id": {"const": signal_id},
                "level": {"enum": [0, 1, 2, 3, 4, None]},
                "evidence": {"type": "array", "items": {"type": "string", "maxLength": MAX_QUOTE_CHARS}, "maxItems": MAX_QUOTES},
                "reason": {"type": "string", "maxLength": MAX_REASON_CHARS},
            },
            "required": ["id", "level", "evidence", "reason"],
            "additionalProperties": False,
        }

    n = len(panel.signals)
    return {
        "type": "object",
        "properties": {"signals": {"type": "array", "prefixItems": [entry(s.id) for s in panel.signals], "minItems": n, "maxItems": n}},
        "required": ["signals"],
        "additionalProperties": False,
    }

"""Display helpers for the web app: scorecards, coverage maps, questions and search hits as Markdown.

Everything a user (or the model) wrote goes through `escape` before it reaches Markdown, so an
answer containing `<img onerror=...>` or `**bold**` is shown as the characters typed, never run or
rendered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .models import Panel
from .retrieve import Hit
from .scoring.scorecard import Scorecard

QUOTE_CHARS = 220
LEVEL_BAR = {None: "n/a", 0: "○○○○ 0/4", 1: "●○○○ 1/4", 2: "●●○○ 2/4", 3: "●●●○ 3/4", 4: "●●●● 4/4"}
COVERAGE_BADGE = {
    "evidenced": "✅ evidenced",
    "weak": "🟡 weak",
    "missing": "🔴 not shown",
    "insufficient evidence": "❔ insufficient evidence",
    "not yet asked": "⚪ not yet asked",
}

# Punctuation Markdown (and the LaTeX renderer) acts on anywhere in a line; a backslash makes it literal.
_MD_INLINE = re.compile(r"([\\`*_\[\]#|~$])")
# ...and what acts only at the start of a line: list markers, rules, setext underlines.
_MD_LEADING = re.compile(r"^([ \t]*)(?:([-+=])|(\d+)([.)]))", re.MULTILINE)


def _leading(m: re.Match) -> str:
    indent, mark, number, dot = m.groups()
    return f"{indent}\\{mark}" if mark else f"{indent}{number}\\{dot}"


def escape(text: str) -> str:
    """`text` as literal characters inside Markdown: HTML is neutralised, Markdown syntax is inert."""
    text = _MD_LEADING.sub(_leading, _MD_INLINE.sub(r"\\\1", text))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def one_line(text: str) -> str:
    """`escape` for a table cell: no line breaks, pipes already escaped."""
    return " ".join(escape(text).split())


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return f"“{one_line(text)}”"


def headline(card: Scorecard) -> str:
    """'**62/100 · hire**' or '**Not scored:** <reason>'."""
    if card.abstained or card.overall is None:
        return f"**Not scored:** {one_line(card.abstain_reason or 'insufficient evidence')}."
    return f"**Overall {card.overall}/100 · {card.band}**"


def scorecard_markdown(card: Scorecard, compact: bool = False) -> str:
    """A scorecard as Markdown: headline, then one table row per signal with its quoted evidence.

    `compact` keeps one quote per signal and leaves out what a strong answer would show.
    """
    lines = [headline(card)]
    if card.abstained:
        lines.append("\nEvery signal: insufficient evidence. Answer the question in full sentences and try again.")
    lines += ["", "| signal | level | evidence |" if compact else "| signal | level | evidence | a strong answer shows |"]
    lines.append("|---|---|---|" if compact else "|---|---|---|---|")
    for s in card.signals:
        quotes = s.evidence[:1] if compact else s.evidence
        evidence = "<br>".join(quote(q) for q in quotes) or f"*{s.status}*"
        level = f"{LEVEL_BAR.get(s.level, '?')} · {s.status}" if s.level is not None else s.status
        row = f"| {one_line(s.name)} | {level} | {evidence} |"
        if not compact:
            strong = one_line(s.strong_answer_includes) if not card.abstained and (s.level or 0) < 3 else ""
            row += f" {strong} |"
        lines.append(row)
    if card.failure_modes:
        lines += ["", "**Failure modes spotted:**"]
        lines += [f"- {one_line(f.name)}: {quote(f.cues[0], 160)}" if f.cues else f"- {one_line(f.name)}" for f in card.failure_modes]
    if card.notes and not compact:
        lines += [""] + [f"*note: {one_line(n)}*" for n in card.notes]
    lines.append(f"\n<sub>scorer: {one_line(card.scorer.name)} {one_line(card.scorer.version)}</sub>")
    return "\n".join(lines)


def coverage_markdown(coverage: Mapping[str, Any], panel: Panel | None = None) -> str:
    """The signal-coverage map: one row per signal, in the panel's order when the panel is given.

    Values may be a status string or an object with a `status` (and optionally `level`) attribute.
    """
    if not coverage:
        return "*No session yet.*"
    order = [s.id for s in panel.signals] if panel else list(coverage)
    names = {s.id: s.name for s in panel.signals} if panel else {}
    lines = ["| signal | coverage |", "|---|---|"]
    for sid in order + [k for k in coverage if k not in order]:
        value = coverage.get(sid, "not yet asked")
        status = getattr(value, "status", value)
        status = getattr(status, "value", status)  # enums
        level = getattr(value, "level", None)
        badge = COVERAGE_BADGE.get(str(status), one_line(str(status)))
        if level is not None:
            badge += f" ({level}/4)"
        lines.append(f"| {one_line(names.get(sid, sid))} | {badge} |")
    return "\n".join(lines)


def question_markdown(text: str, kind: str = "question", is_fallback: bool = False, detail: str = "") -> str:
    """An interviewer message. A fallback says so visibly; `detail` names the signal probed, etc."""
    body = escape(text)
    if kind == "follow-up":
        body = f"**Follow-up:** {body}"
    tags = []
    if is_fallback:
        tags.append("from the question bank" if kind != "follow-up" else "from the follow-up bank")
    if detail:
        tags.append(one_line(detail))
    if tags:
        body += f"\n\n*({'; '.join(tags)})*"
    return body


def hits_rows(hits: Iterable[Hit], chars: int = 300) -> list[list]:
    """Search hits as rows for a table: score, id, kind, where, text."""
    return [[h.score, h.id, h.kind, h.label, h.text[:chars]] for h in hits]

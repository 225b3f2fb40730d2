"""One scorecard renderer: a `Scorecard` becomes a neutral `CardView`, and small adapters write
that view as terminal text, Markdown or HTML.

What a card shows is decided once, in `view`, from the card's own data; the adapters only choose
syntax. So the terminal, the web app and saved transcripts cannot drift apart, and none of them
needs to know which scorer produced the card.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from coach.scoring.scorecard import Scorecard

MAX_LEVEL = 4
ADVICE_BELOW = 3  # a signal at this level or above is shown well enough to need no advice
QUOTE_CHARS = 220
CUE_CHARS = 160
GRADER_TEXT = "addresses the grader: removed"  # text the scorer took out before scoring (never evidence)
# Plain symbols, not emoji: they render in every font and terminal, headless browsers included.
LEVEL_BAR = {None: "n/a", **{n: "●" * n + "○" * (MAX_LEVEL - n) + f" {n}/{MAX_LEVEL}" for n in range(MAX_LEVEL + 1)}}
EVERY_SIGNAL = "Every signal: insufficient evidence. Answer the question in full sentences and try again."


def level_bar(level: int | None) -> str:
    return LEVEL_BAR.get(level, "?")  # a level outside 0-4 is a bug upstream; show it, don't crash


# -- Markdown escaping: here rather than in markdown.py so the CLI need not import the web stack --

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


def clip(text: str, limit: int = QUOTE_CHARS) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    return f"“{one_line(clip(text, limit))}”"


# -- the neutral view -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SignalView:
    name: str
    level: int | None
    bar: str
    status: str
    quotes: tuple[str, ...]
    advice: str  # what a strong answer shows; empty when the level needs none
    scored_by: str  # empty when naming the scorer would add nothing
    reason: str


@dataclass(frozen=True)
class CardView:
    panel: str
    question: str
    overall: int | None
    band: str | None
    abstain_reason: str  # empty when the card is scored
    every_signal_insufficient: bool
    signals: tuple[SignalView, ...]
    failure_modes: tuple[tuple[str, str], ...]  # (name, first cue or "")
    notes: tuple[str, ...]
    scorer: str
    asks: tuple[tuple[str, bool, str], ...] = ()  # (ask, addressed, first quote or "")
    answered: str = "not checked"
    decision: str = ""
    reasons: tuple[str, ...] = ()
    coaching: tuple[str, ...] = ()
    grader_text: tuple[str, ...] = ()  # removed before scoring; shown so the user sees why it did not count

    @property
    def scored(self) -> bool:
        return not self.abstain_reason


def _reason(signal, card: Scorecard) -> str:
    """A signal's reason when it says something the level does not: not the abstention the headline
    already gives, and not the evidence scorer's arithmetic, which its `strength` already carries."""
    if signal.reason == card.abstain_reason:
        return ""
    if signal.strength is not None and signal.reason.startswith("summed evidence"):
        return ""
    return signal.reason


def view(card: Scorecard) -> CardView:
    scored = not card.abstained and card.overall is not None
    why_not = "" if scored else (card.abstain_reason or "insufficient evidence")
    # Name the scorer only where it tells the reader something: levels from different scorers,
    # or a level the card's own scorer did not set (e.g. kept from the evidence checks).
    mixed = len({s.scored_by for s in card.signals}) > 1
    signals = tuple(
        SignalView(
            name=s.name,
            level=s.level,
            bar=level_bar(s.level),
            status=s.status,
            quotes=tuple(s.evidence),
            advice=s.strong_answer_includes if not card.abstained and (s.level or 0) < ADVICE_BELOW else "",
            scored_by=s.scored_by if mixed or s.scored_by != card.scorer.name else "",
            reason=_reason(s, card),
        )
        for s in card.signals
    )
    return CardView(
        panel=card.panel,
        question=card.question,
        overall=card.overall if scored else None,
        band=card.band if scored else None,
        abstain_reason=why_not,
        every_signal_insufficient=not scored and bool(signals) and all(s.status == "insufficient evidence" for s in signals),
        signals=signals,
        failure_modes=tuple((f.name, f.cues[0] if f.cues else "") for f in card.failure_modes),
        notes=tuple(n for n in card.notes if not n.startswith("addresses the grader")),  # the line below says it
        scorer=f"{card.scorer.name} {card.scorer.version}",
        asks=tuple((a.text, a.addressed, a.evidence[0] if a.evidence else "") for a in card.asks) if scored else (),
        answered=card.answered,
        decision=card.recommendation.decision if scored and card.recommendation else "",
        reasons=tuple(card.recommendation.reasons) if scored and card.recommendation else (),
        coaching=tuple(c.text for c in card.coaching) if scored else (),
        grader_text=tuple(card.grader_text),
    )


ANSWERED = {"yes": "answered every ask", "partly": "answered some of the asks", "no": "did not answer the question",
            "not checked": "no question given, so whether it answers one was not checked"}


def ask_mark(addressed: bool) -> str:
    return "✓" if addressed else "✗"


# -- adapters -------------------------------------------------------------------------------------


def to_text(card: Scorecard) -> str:
    """Plain text for a terminal."""
    v, pad = view(card), " " * 8
    lines = [f"Panel: {v.panel}"] + ([f"Question: {v.question}"] if v.question else [])
    lines.append(f"Overall: {v.overall}/100  ({v.band})" if v.scored else f"Overall: not scored — {v.abstain_reason}.")
    if v.every_signal_insufficient:
        lines.append(EVERY_SIGNAL)
    if v.scored:
        lines.append(f"The question: {ANSWERED[v.answered]}")
        lines += [f"  {ask_mark(ok)} {ask}" + (f"  — “{clip(q, CUE_CHARS)}”" if q else "") for ask, ok, q in v.asks]
    if v.decision:
        lines.append(f"Recommendation: {v.decision}")
        lines += [f"  - {r}" for r in v.reasons]
    lines.append("")
    width = max(len(b) for b in LEVEL_BAR.values())  # names line up whatever the level
    for s in v.signals:
        by = f"  (by {s.scored_by})" if s.scored_by else ""
        lines.append(f"{s.bar.ljust(width)} {s.name}  [{s.status}]{by}")
        lines += [f"{pad}why: {s.reason}"] if s.reason else []
        lines += [f"{pad}“{clip(q)}”" for q in s.quotes]
        lines += [f"{pad}A strong answer: {s.advice}"] if s.advice else []
    if v.failure_modes:
        lines += ["", "Failure modes spotted:"]
        lines += [f"  - {name}: “{clip(cue, CUE_CHARS)}”" if cue else f"  - {name}" for name, cue in v.failure_modes]
    if v.grader_text:
        lines += ["", f"{GRADER_TEXT} " + ", ".join(f"“{clip(t, CUE_CHARS)}”" for t in v.grader_text)]
    if v.coaching:
        lines += ["", "Next steps:"] + [f"  - {c}" for c in v.coaching]
    lines += [f"note: {n}" for n in v.notes]
    lines.append(f"\nscorer: {v.scorer}")
    return "\n".join(lines)


def markdown_headline(card: Scorecard) -> str:
    v = view(card)
    return f"**Overall {v.overall}/100 · {v.band}**" if v.scored else f"**Not scored:** {one_line(v.abstain_reason)}."


def to_markdown(card: Scorecard, compact: bool = False) -> str:
    """Markdown, everything written by a user or a model escaped.

    The full form is a table that also says what a strong answer would show; `compact` is a list
    with one quote per signal, for a narrow column or a chat message.
    """
    v = view(card)
    lines = [markdown_headline(card)]
    if v.every_signal_insufficient:
        lines.append(f"\n{EVERY_SIGNAL}")
    removed = [f"**{GRADER_TEXT}** " + ", ".join(quote(t, CUE_CHARS) for t in v.grader_text)] if v.grader_text else []
    if compact and not v.scored:
        return "\n".join(lines + ([""] + removed if removed else []))  # a list of unscored signals would say nothing more
    if v.scored:
        asks = "".join(f"<br>{ask_mark(ok)} {one_line(a)}" + (f" — {quote(q, CUE_CHARS)}" if q and not compact else "") for a, ok, q in v.asks)
        lines.append(f"\n*The question: {one_line(ANSWERED[v.answered])}*{asks}")
    if v.decision:
        lines.append(f"\n**Recommendation: {one_line(v.decision)}**" + "".join(f"<br>- {one_line(r)}" for r in v.reasons))
    lines.append("")
    if not compact:
        lines += ["| signal | level | evidence | a strong answer shows |", "|---|---|---|---|"]
    shown: set[str] = set()
    for s in v.signals:
        by = f" · by {one_line(s.scored_by)}" if s.scored_by else ""
        why = f"<br>*why: {one_line(s.reason)}*" if s.reason else ""
        if compact:  # one quote each, preferring one not already shown for an earlier signal
            pick = next((q for q in s.quotes if q not in shown), s.quotes[0] if s.quotes else None)
            shown.add(pick)
            first = f"<br>{quote(pick)}" if pick else ""
            lines.append(f"- **{one_line(s.name)}**: {s.bar} · {one_line(s.status)}{by}{first}{why}")
            continue
        evidence = "<br>".join(quote(q) for q in s.quotes) or "—"
        cell = f"{s.bar}<br>{one_line(s.status)}{by.replace(' · ', '<br>')}".replace(" ", "\u00a0")  # bar and n/4 stay together
        lines.append(f"| {one_line(s.name)} | {cell} | {evidence}{why} | {one_line(s.advice)} |")
    if v.failure_modes:
        lines += ["", "**Failure modes spotted:**"]
        lines += [f"- {one_line(name)}: {quote(cue, CUE_CHARS)}" if cue else f"- {one_line(name)}" for name, cue in v.failure_modes]
    lines += [""] + removed if removed else []
    if v.coaching:
        lines += ["", "**Next steps:**"] + [f"- {one_line(c)}" for c in v.coaching]
    if v.notes and not compact:
        lines += [""] + [f"*note: {one_line(n)}*" for n in v.notes]
    lines.append(f"\n<sub>scorer: {one_line(v.scorer)}</sub>")
    return "\n".join(lines)


def to_html(card: Scorecard) -> str:
    """A self-contained HTML fragment (no scripts, styles or external resources), all text escaped."""
    v, e = view(card), html.escape
    head = f"<strong>Overall {v.overall}/100 · {e(str(v.band))}</strong>" if v.scored else f"<strong>Not scored:</strong> {e(v.abstain_reason)}."
    out = ['<section class="scorecard">', f'<p class="headline">{head}</p>']
    if v.every_signal_insufficient:
        out.append(f'<p class="abstained">{e(EVERY_SIGNAL)}</p>')
    if v.scored:
        asks = "".join(f"<li>{ask_mark(ok)} {e(a)}" + (f" — “{e(clip(q, CUE_CHARS))}”" if q else "") + "</li>" for a, ok, q in v.asks)
        out.append(f'<p class="answered"><em>The question: {e(ANSWERED[v.answered])}</em></p>' + (f"<ul>{asks}</ul>" if asks else ""))
    if v.decision:
        items = "".join(f"<li>{e(r)}</li>" for r in v.reasons)
        out.append(f'<p class="recommendation"><strong>Recommendation: {e(v.decision)}</strong></p><ul>{items}</ul>')
    out += ["<table>", "<tr><th>signal</th><th>level</th><th>evidence</th><th>a strong answer shows</th></tr>"]
    for s in v.signals:
        level = f'<span class="level">{e(s.bar)}</span><br>{e(s.status)}' + (f"<br>by {e(s.scored_by)}" if s.scored_by else "")
        quotes = "".join(f'<p class="quote">“{e(clip(q))}”</p>' for q in s.quotes) or "—"
        why = f'<p class="why"><em>why: {e(s.reason)}</em></p>' if s.reason else ""
        out.append(f"<tr><td>{e(s.name)}</td><td>{level}</td><td>{quotes}{why}</td><td>{e(s.advice)}</td></tr>")
    out.append("</table>")
    if v.failure_modes:
        items = "".join(f"<li>{e(name)}" + (f": “{e(clip(cue, CUE_CHARS))}”" if cue else "") + "</li>" for name, cue in v.failure_modes)
        out.append(f"<p><strong>Failure modes spotted:</strong></p><ul>{items}</ul>")
    if v.grader_text:
        removed = ", ".join(f"“{e(clip(t, CUE_CHARS))}”" for t in v.grader_text)
        out.append(f'<p class="grader-text"><strong>{e(GRADER_TEXT)}</strong> {removed}</p>')
    if v.coaching:
        out.append("<p><strong>Next steps:</strong></p><ul>" + "".join(f"<li>{e(c)}</li>" for c in v.coaching) + "</ul>")
    out += [f'<p class="note"><em>note: {e(n)}</em></p>' for n in v.notes]
    out += [f'<p class="scorer"><small>scorer: {e(v.scorer)}</small></p>', "</section>"]
    return "\n".join(out)


def duration(seconds: float | None) -> str:
    """'1:42' (minutes:seconds), '1:02:05' past the hour; '' when the answer was not timed."""
    if seconds is None:
        return ""
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"

"""Display helpers for the web app: scorecards, coverage maps, questions and search hits as Markdown.

Everything a user (or the model) wrote goes through `escape` before it reaches Markdown, so an
answer containing `<img onerror=...>` or `**bold**` is shown as the characters typed, never run or
rendered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from coach.corpus.schema import Panel
# The escaping helpers and the level table are the shared renderer's; they stay importable from here.
from coach.render.scorecard import LEVEL_BAR, QUOTE_CHARS, clip, duration, escape, markdown_headline, one_line, quote, to_markdown
from coach.retrieval.search import Hit, group_hits
from coach.scoring.scorecard import Scorecard

if TYPE_CHECKING:
    from coach.session.mock import MockSession, Summary, Turn

# Plain symbols, not emoji: they render in every font, headless browsers included.
COVERAGE_BADGE = {
    "evidenced": "● evidenced",
    "weak": "◐ weak",
    "missing": "○ not shown",
    "insufficient evidence": "? insufficient evidence",
    "not yet asked": "○ not yet asked",
}


def headline(card: Scorecard) -> str:
    """'**Overall 62/100 · hire**' or '**Not scored:** <reason>.' (Markdown)."""
    return markdown_headline(card)


def scorecard_markdown(card: Scorecard, compact: bool = False) -> str:
    """A scorecard as Markdown (see `coach.render.scorecard.to_markdown`)."""
    return to_markdown(card, compact)


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


def hits_markdown(hits: Iterable[Hit], chars: int = 300) -> str:
    """Search hits grouped by kind ("From the compendium", "Panel questions", "Signals", ...), a
    table per group in rank order, the group with the best hit first. Corpus text is escaped like
    everything else shown: a chunk cannot inject HTML or Markdown."""
    hits = list(hits)
    if not hits:
        return "*Nothing found. Try other words, or another panel.*"
    rank = {id(h): n for n, h in enumerate(hits, 1)}
    lines: list[str] = []
    for group, members in group_hits(hits):
        lines += [f"#### {escape(group)}", "", "| # | score | where | text |", "|---|---|---|---|"]
        for h in members:
            where = f"{h.label} · {h.kind}" if h.section else h.label
            lines.append(f"| {rank[id(h)]} | {h.score:.3f} | {one_line(where)} | {one_line(clip(_body(h), chars))} |")
        lines.append("")
    return "\n".join(lines).rstrip()


def _body(hit: Hit) -> str:
    """A compendium chunk without its first line, the section heading that `where` already shows."""
    if hit.id.startswith("compendium:") and "\n" in hit.text:
        return hit.text.split("\n", 1)[1]
    return hit.text


def scorecard_title(card: Scorecard) -> str:
    """A plain-text one-liner (no Markdown), e.g. for a collapsed chat message."""
    if card.abstained or card.overall is None:
        text = f"Scorecard: not scored ({card.abstain_reason or 'insufficient evidence'})"
    else:
        text = f"Scorecard: {card.overall}/100 · {card.band}"
    return text.replace("<", "‹").replace(">", "›")


def turn_markdown(turn: Turn, questions_total: int) -> str:
    """The interviewer's message for one turn: the question or follow-up, labelled."""
    if turn.kind == "follow-up":
        detail = f"probes: {turn.follow_up.signal_name}" if turn.follow_up else ""
    else:
        detail = f"question {turn.question_number} of {questions_total}"
    return question_markdown(turn.text, turn.kind, turn.is_fallback, detail)


def transcript(session: MockSession) -> list[dict]:
    """The session as chat messages: each prompt, the candidate's answer (escaped), a collapsible
    compact scorecard (titled with the time the answer took, when timed), and the wrap-up once finished."""
    messages: list[dict] = []
    for turn in session.turns:
        messages.append({"role": "assistant", "content": turn_markdown(turn, session.questions_total)})
        if turn.answer is not None:
            messages.append({"role": "user", "content": escape(turn.answer)})
        if turn.scorecard is not None:
            took = f" · answered in {duration(turn.elapsed_s)}" if turn.elapsed_s is not None else ""
            messages.append({"role": "assistant", "content": scorecard_markdown(turn.scorecard, compact=True),
                             "metadata": {"title": scorecard_title(turn.scorecard) + took, "status": "done"}})
    if session.finished:
        messages.append({"role": "assistant", "content": "That is the end of the interview. Thank you.\n\n"
                         + summary_markdown(session.summary())})
    return messages


def transcript_markdown(session: MockSession) -> str:
    """The whole session for reading in the page: the chat's messages (everything typed escaped),
    each scorecard under its answer, the wrap-up at the end."""
    parts = [f"### {escape(session.panel_name)} ({session.level}) · {session_status(session)}"]
    for m in transcript(session):
        if m["role"] == "user":
            parts.append(f"**You:**\n\n{m['content']}")
        elif "metadata" in m:
            parts.append(f"*{escape(m['metadata']['title'])}*\n\n{m['content']}")
        else:
            parts.append(f"**Interviewer:** {m['content']}")
    return "\n\n---\n\n".join(parts)


def summary_markdown(summary: Summary) -> str:
    """The wrap-up: the interview's pooled score and recommendation with its reasons, what was asked,
    and per signal its coverage, best level and best evidence with the turn it answered."""
    rec = summary.recommendation
    overall = (f"**{summary.overall:.0f}/100 · {rec.decision if rec else summary.band}** (every answer's evidence pooled per signal)"
               if summary.overall is not None else "**not scored** (no answer could be scored)")
    lines = [
        f"### Wrap-up: {summary.panel}, {summary.level} level",
        f"Overall {overall} · {_count(summary.questions_asked, 'question')}, {_count(summary.follow_ups_asked, 'follow-up')}"
        + (f", {summary.fallbacks} of them from the question banks" if summary.fallbacks else ""),
        "",
    ]
    if rec:
        lines += [f"- {one_line(r)}" for r in rec.reasons] + [""]
    if summary.off_question:
        lines += [f"*Did not answer the question: {one_line(', '.join(summary.off_question))}*", ""]
    for s in summary.signals:
        best = f" · best {LEVEL_BAR[s.best_level]}" if s.best_level is not None else ""
        evidence = f"<br>{quote(s.quotes[0].text)} ({one_line(s.quotes[0].turn)})" if s.quotes else ""
        lines.append(f"- **{one_line(s.name)}**: {COVERAGE_BADGE.get(s.status, s.status)}{best}{evidence}")
    gaps = [s.name for s in summary.signals if s.status != "evidenced"]
    if gaps:
        lines += ["", "**Practise next:** " + ", ".join(one_line(g) for g in gaps) + "."]
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def session_status(session: MockSession) -> str:
    """One line above the chat: which session, and how far along it is."""
    where = "finished" if session.finished else f"question {max((t.question_number for t in session.turns), default=1)} of {session.questions_total}"
    return f"Session `{session.id}` · {session.panel.slug} · {session.level} · seed {session.seed} · {where}"


class SessionView(NamedTuple):
    """What the mock-interview tab shows for a session."""

    messages: list[dict]
    coverage: str
    scorecard: str
    status: str


def session_view(session: MockSession, problem: str = "") -> SessionView:
    """Everything the page shows about `session`; `problem` is a failure to report above the chat."""
    panel = session.panel
    scored = [t for t in session.turns if t.scorecard is not None]
    card = scorecard_markdown(scored[-1].scorecard, compact=True) if scored else "*Answer the question to see its scorecard.*"
    status = session_status(session)
    if problem:
        status += f"\n\n⚠ **{one_line(problem)}**"
    return SessionView(transcript(session), coverage_markdown(session.coverage, panel), card, status)


def backend_failure(err: Exception, backend: str) -> str:
    """A backend failure as the user should read it: which backend, what happened, what to do."""
    return f"The {backend} LLM backend failed, so no question was invented. {err}"

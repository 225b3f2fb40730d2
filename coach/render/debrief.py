"""The loop's debrief packet as Markdown (the file and the web app) and as one self-contained HTML
page. Both come from the same lines (`_sections`), so they cannot disagree; every piece of text a
person or a model wrote is escaped on the way out, in Markdown as in HTML."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape as html_escape
from typing import TYPE_CHECKING

from coach.render.scorecard import clip, one_line

if TYPE_CHECKING:
    from coach.loop.debrief import Debrief, PanelDebrief, ThemeFinding

INCOMPLETE = "no decision yet"


@dataclass(frozen=True)
class Quote:
    text: str
    source: str  # e.g. "Personal ownership, level 4, Q1"


@dataclass(frozen=True)
class Section:
    """A heading, its lead line, bullet items (each text with optional quotes) and a note."""

    heading: str
    level: int
    lead: str = ""
    items: tuple[tuple[str, tuple[Quote, ...]], ...] = ()
    note: str = ""


def _decision(decision: str | None) -> str:
    return decision.upper() if decision else INCOMPLETE


def _panel(p: PanelDebrief) -> Section:
    if p.status == "not started":
        return Section(p.name, 3, "not started")
    score = f"{p.overall}/100" if p.overall is not None else "not scored"
    lead = f"{_decision(p.decision)} · {score}" + ("" if p.status == "finished" else f" · {p.status}")
    items = [(r, ()) for r in p.reasons]
    quotes = tuple(Quote(q.quote.text, f"{q.signal}, level {q.level}, {q.quote.turn}") for q in p.quotes)
    if quotes:
        items.append(("Evidence:", quotes))
    return Section(p.name, 3, lead, tuple(items), f"session {p.session_id}" if p.session_id else "")


def _theme(f: ThemeFinding, names: dict[str, str]) -> tuple[str, tuple[Quote, ...]]:
    strong = ", ".join(f"{names.get(e.panel, e.panel)} (level {e.level})" for e in f.strong_on)
    gaps = ", ".join(f"{names.get(e.panel, e.panel)} (level {e.level})" for e in f.gap_on)
    text = f.name + ": " + "; ".join(part for part in (f"strong on {strong}" if strong else "", f"gap on {gaps}" if gaps else "") if part)
    quotes = tuple(Quote(e.quote.text, f"{names.get(e.panel, e.panel)}, {e.signal}, {e.quote.turn}") for e in f.strong_on if e.quote)
    return text, quotes


def _sections(d: Debrief) -> tuple[str, list[Section]]:
    rec = d.recommendation
    names = {p.panel: p.name for p in d.panels}
    done = sum(p.status == "finished" for p in d.panels)
    mean = f"mean panel score {rec.mean_score:g}" if rec.mean_score is not None else "no panel scored"
    title = f"Debrief: onsite loop {d.loop_id} ({d.level})"
    sections = [Section("Recommendation", 2, f"{_decision(rec.decision)} · {mean} · {done} of {len(d.panels)} panels finished",
                        tuple((r, ()) for r in rec.reasons), f"Rule: {rec.rule}")]
    sections.append(Section("Panels", 2, "Each panel's decision and the reasons that decided it, with the candidate's own words."))
    sections += [_panel(p) for p in d.panels]
    sections.append(Section("Across panels", 2, "Themes that repeat across panels.", note=f"Rule: {d.theme_rule}."))
    for name, found in (("Repeated strengths", d.strengths), ("Repeated gaps", d.gaps), ("Mixed: strong on some panels, a gap on others", d.mixed)):
        sections.append(Section(name, 3, "" if found else "none", tuple(_theme(f, names) for f in found)))
    return title, sections


# -- Markdown ---------------------------------------------------------------------------------------


def to_markdown(d: Debrief) -> str:
    title, sections = _sections(d)
    blocks = [f"# {one_line(title)}", f"*Loop started {d.created_at}.*"]
    for s in sections:
        blocks.append(f"{'#' * s.level} {one_line(s.heading)}")
        if s.lead:
            blocks.append(f"**{one_line(s.lead)}**" if s.heading == "Recommendation" else one_line(s.lead))
        if s.items:
            lines = []
            for text, quotes in s.items:
                lines.append(f"- {one_line(text)}")
                lines += [f"  - “{one_line(clip(q.text, 300))}” ({one_line(q.source)})" for q in quotes]
            blocks.append("\n".join(lines))
        if s.note:
            blocks.append(f"*{one_line(s.note)}*")
    return "\n\n".join(blocks) + "\n"


# -- HTML -------------------------------------------------------------------------------------------

_STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}
.lead{font-weight:600}.note{color:#555;font-size:.9em}
blockquote{border-left:4px solid #ccc;margin:.25rem 0;padding:.1rem .75rem;color:#333}
.source{color:#555;font-size:.85em}"""


def to_html(d: Debrief) -> str:
    """One page that opens anywhere, offline, nothing fetched; all text escaped."""
    title, sections = _sections(d)
    e = html_escape
    body = [f"<h1>{e(title)}</h1>", f'<p class="note">Loop started {e(d.created_at)}.</p>']
    for s in sections:
        body.append(f"<h{s.level}>{e(s.heading)}</h{s.level}>")
        if s.lead:
            body.append(f'<p class="lead">{e(s.lead)}</p>')
        if s.items:
            body.append("<ul>")
            for text, quotes in s.items:
                qs = "".join(f'<blockquote>{e(clip(q.text, 300))} <span class="source">({e(q.source)})</span></blockquote>' for q in quotes)
                body.append(f"<li>{e(text)}{qs}</li>")
            body.append("</ul>")
        if s.note:
            body.append(f'<p class="note">{e(s.note)}</p>')
    head = f'<meta charset="utf-8"><title>{e(title)}</title><style>{_STYLE}</style>'
    return f'<!DOCTYPE html>\n<html lang="en">\n<head>{head}</head>\n<body>\n' + "\n".join(body) + "\n</body>\n</html>\n"

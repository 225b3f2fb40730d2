"""The story bank as text (the CLI) and Markdown (the web app, the downloads): a story with its
levels and quotes per panel, the list, the story x signal matrix with its gaps and overlaps, and
a story suggestion. In Markdown everything the user wrote is escaped."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from coach.render.scorecard import clip, escape, level_bar, one_line, quote

if TYPE_CHECKING:
    from coach.stories.matrix import StoryMatrix
    from coach.stories.store import Story
    from coach.stories.suggest import Suggestions

EMPTY = "No stories yet. Add one with `coach stories add FILE` or in the web app's Stories tab."
_NO_LEVEL = "–"


def _date(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def _overall(card) -> str:
    return f"{card.overall}/100" if card.overall is not None else f"not scored ({card.abstain_reason or 'insufficient evidence'})"


def _best(story: Story) -> str:
    """'behavioral 45' style: each panel's overall, in one short cell."""
    return ", ".join(f"{p} {c.overall if c.overall is not None else '—'}" for p, c in story.scorecards.items())


# -- plain text ------------------------------------------------------------------------------------


def list_text(items: Sequence[Story]) -> str:
    if not items:
        return EMPTY + "\n"
    table = [("id", "title", "tags", "updated", "overall per panel")]
    table += [(s.id, clip(s.title, 50), ", ".join(s.tags), _date(s.updated_at), _best(s)) for s in items]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table) + "\n"


def story_text(story: Story) -> str:
    lines = [f"Story {story.id}: {story.title}"]
    if story.tags:
        lines.append(f"Tags: {', '.join(story.tags)}")
    lines += [f"Added {_date(story.created_at)}, updated {_date(story.updated_at)}", "", story.text, ""]
    for panel, card in story.scorecards.items():
        lines.append(f"{panel}: overall {_overall(card)}")
        for s in card.signals:
            lines.append(f"  {s.name}: {level_bar(s.level)}")
            lines += [f"      “{clip(q)}”" for q in s.evidence]
    return "\n".join(lines) + "\n"


def matrix_text(m: StoryMatrix) -> str:
    if not m.stories:
        return EMPTY + "\n"
    numbers = {s["id"]: f"#{i}" for i, s in enumerate(m.stories, 1)}
    legend = [f"{numbers[s['id']]:>4}  {s['id']}  {clip(s['title'], 70)}" for s in m.stories]
    head = ["signal", *numbers.values(), "best"]
    rows = [head] + [[f"{r.panel}/{r.signal}", *(_cell(r.levels[sid]) for sid in numbers), _cell(r.best) + (" gap" if r.gap else "")]
                     for r in m.rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    table = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(["Stories:", *legend, "", *table, "", *_findings(m, numbers, plain=True)]) + "\n"


def _cell(level: int | None) -> str:
    return _NO_LEVEL if level is None else str(level)


def _findings(m: StoryMatrix, numbers: dict[str, str], plain: bool) -> list[str]:
    fmt = (lambda t: t) if plain else one_line
    out = [f"Gaps ({m.rule['gap']}): " + (", ".join(m.gaps) if m.gaps else "none")]
    if m.overlaps:
        out.append(f"Overlaps ({fmt(m.rule['overlap'])}):")
        for o in m.overlaps:
            out.append(f"- {numbers[o.redundant]} adds nothing to {numbers[o.kept]} "
                       f"(text cosine {o.text_cosine:.2f}; shows {', '.join(o.signals) or 'no signal at level 2+'})")
    else:
        out.append(f"Overlaps ({fmt(m.rule['overlap'])}): none")
    return out


def suggestions_text(s: Suggestions) -> str:
    lines = [f"Question ({s.panel}): {s.question}", f"Target signals: {', '.join(s.signals)}"]
    if s.best is not None:
        lines.append(f"Tell: {s.best.title} ({s.best.story})")
    else:
        lines.append(s.reason)
    for i, f in enumerate(s.ranked, 1):
        lines.append(f"  {i}. {f.title} ({f.story}): fit {f.fit:.2f} (text {f.text_fit:.2f}, signals {f.signal_fit:.2f})")
        if f.closest:
            lines.append(f"       closest: “{clip(f.closest[0], 160)}”")
    return "\n".join(lines) + "\n"


# -- Markdown --------------------------------------------------------------------------------------


def story_markdown(story: Story) -> str:
    """A story, its tags and its levels with quotes per panel (the web view and the download)."""
    lines = [f"# {one_line(story.title)}", ""]
    if story.tags:
        lines += [f"*Tags: {one_line(', '.join(story.tags))}*", ""]
    lines += [f"<sub>story {one_line(story.id)} · added {_date(story.created_at)} · updated {_date(story.updated_at)}</sub>", ""]
    lines += [escape(p) if p.strip() else "" for p in story.text.splitlines()]
    for panel, card in story.scorecards.items():
        lines += ["", f"## {one_line(panel)}: {one_line(_overall(card))}", ""]
        for s in card.signals:
            first = f"<br>{quote(s.evidence[0])}" if s.evidence else ""
            lines.append(f"- **{one_line(s.name)}**: {level_bar(s.level)}{first}")
    scorer = next(iter(story.scorecards.values())).scorer if story.scorecards else None
    if scorer is not None:
        lines += ["", f"<sub>scorer: {one_line(scorer.name)} {one_line(scorer.version)}</sub>"]
    return "\n".join(lines) + "\n"


def matrix_markdown(m: StoryMatrix) -> str:
    if not m.stories:
        return f"*{EMPTY}*"
    numbers = {s["id"]: f"#{i}" for i, s in enumerate(m.stories, 1)}
    legend = [f"- **{numbers[s['id']]}** {one_line(s['title'])} <sub>({one_line(s['id'])})</sub>" for s in m.stories]
    head = "| signal | " + " | ".join(numbers.values()) + " | best |"
    rows = [head, "|---|" + "---|" * (len(numbers) + 1)]
    for r in m.rows:
        cells = " | ".join(_cell(r.levels[sid]) for sid in numbers)
        best = f"{_cell(r.best)} **gap**" if r.gap else _cell(r.best)
        rows.append(f"| {one_line(r.panel)} · {one_line(r.name)} | {cells} | {best} |")
    findings = _findings(m, numbers, plain=False)
    return "\n".join([*legend, "", *rows, "", f"**{findings[0]}**", "", *findings[1:]])


def suggestions_markdown(s: Suggestions) -> str:
    if s.best is not None:
        head = f"**Suggested story: {one_line(s.best.title)}** (fit {s.best.fit:.2f})"
        if s.best.closest:
            head += f"<br>closest to the question: {quote(s.best.closest[0], 160)}"
    else:
        head = f"**{one_line(s.reason)}**"
    others = [f"- {one_line(f.title)}: fit {f.fit:.2f} (text {f.text_fit:.2f}, signals {f.signal_fit:.2f})" for f in s.ranked]
    return "\n".join([head, "", *others, "", f"<sub>{one_line(s.rule)}</sub>"])

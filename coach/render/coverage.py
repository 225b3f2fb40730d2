"""The panel x signal coverage heatmap as an HTML table with coloured cells (the web app's Progress
tab): a row per panel, a cell per signal coloured by its latest pooled level. The browser lays out
a table in no time, where drawing the same grid with matplotlib costs a third of the tab's render.
`coach progress --plot` still draws it with the other charts (`charts.py`), in the same colours.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coach.history.progress import Cell, Progress

# matplotlib's RdYlGn at levels 0-4 (as charts.py colours them), and its colour for no level.
LEVEL_COLOURS = ("#a50026", "#f98e52", "#feffbe", "#84ca66", "#006837")
NO_LEVEL = "#e6e6e6"
DARK = {0, 4}  # levels whose colour needs white text
NAME_CHARS = 24

_TABLE = "border-collapse:separate;border-spacing:3px;width:100%;table-layout:fixed;font-size:12px"
_CELL = "padding:4px 6px;text-align:center;vertical-align:middle;border-radius:3px;line-height:1.25"


def _short(text: str) -> str:
    return text if len(text) <= NAME_CHARS else text[: NAME_CHARS - 1] + "…"


def _cell(c: Cell, evidenced_level: int) -> str:
    colour = NO_LEVEL if c.latest is None else LEVEL_COLOURS[c.latest]
    ink = "#ffffff" if c.latest in DARK else "#1a1a1a"
    if c.sessions:
        detail = f"{'—' if c.latest is None else c.latest} · ev. {c.evidenced}/{c.sessions}"
        best = "none" if c.best is None else c.best
        title = (f"{c.name}: latest level {'none' if c.latest is None else c.latest}, best {best}; "
                 f"level ≥ {evidenced_level} in {c.evidenced} of {c.sessions} session(s)")
    else:
        detail, title = "not practised", f"{c.name}: not practised yet"
    return (f'<td style="{_CELL};background:{colour};color:{ink}" title="{escape(title)}">'
            f"{escape(_short(c.name))}<br><small>{escape(detail)}</small></td>")


def _key() -> str:
    swatches = "".join(f'<span style="display:inline-block;width:14px;height:10px;margin:0 3px 0 10px;'
                       f'background:{colour}"></span>level {level}' for level, colour in enumerate(LEVEL_COLOURS))
    return (f'<div style="font-size:11px;margin-top:4px">{swatches}<span style="display:inline-block;width:14px;'
            f'height:10px;margin:0 3px 0 10px;background:{NO_LEVEL}"></span>no level yet</div>')


def coverage_html(p: Progress) -> str:
    """The heatmap of `p` as one escaped HTML table, with a title and a key to the colours."""
    panels = list(dict.fromkeys(c.panel for c in p.heatmap))
    title = f"Coverage: latest pooled level per signal; ev. = sessions with level ≥ {p.evidenced_level}"
    if not panels:
        return f'<div class="coverage-heatmap"><strong>{escape(title)}</strong><p>No panel to show.</p></div>'
    rows = {panel: [c for c in p.heatmap if c.panel == panel] for panel in panels}
    width = max(len(cells) for cells in rows.values())
    body = []
    for panel, cells in rows.items():
        padded = [_cell(c, p.evidenced_level) for c in cells] + ["<td></td>"] * (width - len(cells))
        body.append(f'<tr><th scope="row" style="text-align:right;padding-right:8px;font-weight:normal;width:11em">'
                    f"{escape(panel)}</th>{''.join(padded)}</tr>")
    return (f'<div class="coverage-heatmap"><table style="{_TABLE}" aria-label="{escape(title)}">'
            f'<caption style="caption-side:top;text-align:center;font-weight:600;padding-bottom:4px">{escape(title)}</caption>'
            f"{''.join(body)}</table>{_key()}</div>")

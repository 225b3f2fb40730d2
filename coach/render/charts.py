"""Progress (`coach.history.progress`) as charts: the mock pass rate by week, each panel's signal
levels over sessions, and the panel x signal coverage heatmap.

matplotlib, offline, on the Agg backend, through `Figure` objects rather than pyplot: no global
figure state, so the web app's threads can draw at once. Charts show corpus names and numbers only,
never text a user typed.
"""

from __future__ import annotations

import base64
import io
import math
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.fonttype"] = "none"  # SVG text as text: as paths it costs more than the rest of the chart

from matplotlib.figure import Figure, SubFigure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

if TYPE_CHECKING:
    from coach.history.progress import Progress

WIDTH = 10.0  # inches, at 100 dpi
LEVEL_COLOURS = "RdYlGn"
STRIP = 24  # sessions per panel in the several-panel trend chart
MARKERS_UP_TO = 40  # sessions per panel drawn with a marker on each point; more are a plain line
LABELLED = 10  # weeks labelled on the pass-rate axis (every n-th when there are more)


def _pass_rate_height(p: Progress) -> float:
    return 3.0


def _trend_height(p: Progress) -> float:
    panels = len({t.panel for t in p.trends})
    return 3.2 if panels <= 1 else 1.0 + 0.16 * len(p.trends)


def _heatmap_height(p: Progress) -> float:
    return 1.3 + 0.75 * max(1, len({c.panel for c in p.heatmap}))


def _nothing(fig: Figure | SubFigure, text: str) -> None:
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=11, color="0.35", transform=ax.transAxes)


def draw_pass_rate(fig: Figure | SubFigure, p: Progress) -> None:
    if not p.pass_rate:
        return _nothing(fig, "Mock pass rate: no finished, scored sessions yet")
    ax = fig.add_subplot()
    weeks = [w.week for w in p.pass_rate]
    rates = [100 * w.rate for w in p.pass_rate]
    bars = ax.bar(range(len(weeks)), rates, color="#4c8bd6", width=0.7)
    if len(weeks) <= LABELLED:
        for bar, w in zip(bars, p.pass_rate):
            ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 2, f"{w.passed}/{w.sessions}",
                    ha="center", va="bottom", fontsize=7)
    step = math.ceil(len(weeks) / LABELLED)
    ax.set_xticks(range(0, len(weeks), step), weeks[::step], fontsize=8)
    ax.set_ylim(0, 115)
    ax.set_ylabel("% at hire or better")
    ax.set_title(f"Mock pass rate by ISO week ({p.passed} of {p.sessions} sessions at hire or better)", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.12, top=0.88)


def draw_trends(fig: Figure | SubFigure, p: Progress) -> None:
    """One panel: a line per signal over its sessions. Several: a strip per signal, one cell per
    session (the panel's last STRIP sessions, newest at the right), coloured by level: one axes
    for every panel, where small multiples would cost a second to draw."""
    panels = list(dict.fromkeys(t.panel for t in p.trends))
    if not panels:
        return _nothing(fig, "Signal levels: no finished, scored sessions yet")
    ax = fig.add_subplot()
    if len(panels) == 1:
        _lines(fig, ax, p)
    else:
        _strips(fig, ax, p, panels)


def _lines(fig: Figure | SubFigure, ax, p: Progress) -> None:
    n = len(p.trends[0].points)
    x = range(1, n + 1)
    for t in p.trends:
        ax.plot(x, [math.nan if lv is None else lv for lv in t.levels], marker="o" if n <= MARKERS_UP_TO else None,
                markersize=3, linewidth=1.2, label=t.name)
    ax.set_ylim(-0.3, 4.3)
    ax.set_yticks(range(5))
    ax.set_xlim(0.5, n + 0.5)
    ax.set_xticks(sorted({1, n}))  # few ticks: every tick is several artists to lay out and draw
    ax.set_xlabel("session, oldest to newest", fontsize=8)
    ax.set_ylabel("pooled level", fontsize=8)
    ax.set_title(f"{p.trends[0].panel}: pooled level per signal over {n} session(s)", fontsize=10)
    ax.tick_params(labelsize=7)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.subplots_adjust(left=0.07, right=0.7, bottom=0.17, top=0.88)
    ax.spines[["top", "right"]].set_visible(False)


def _strips(fig: Figure | SubFigure, ax, p: Progress, panels: list[str]) -> None:
    grid = [[math.nan] * (STRIP - len(t.levels[-STRIP:])) + [math.nan if lv is None else lv for lv in t.levels[-STRIP:]]
            for t in p.trends]
    ax.imshow(grid, cmap=_cmap(), vmin=0, vmax=4, aspect="auto", interpolation="nearest")
    # Labels as plain text rather than ticks: a tick is two lines and two texts to lay out.
    ax.set_yticks([])
    for y, t in enumerate(p.trends):
        ax.text(-0.7, y, _short(t.name, 34), fontsize=6, ha="right", va="center")
    ax.set_xticks([0, STRIP - 1], [f"{STRIP} sessions ago", "latest"], fontsize=7)
    edges = [i for i in range(1, len(p.trends)) if p.trends[i].panel != p.trends[i - 1].panel]
    for y in edges:
        ax.axhline(y - 0.5, color="white", linewidth=2.5)
    for panel, y0 in zip(panels, [0, *edges]):
        n = len(next(t for t in p.trends if t.panel == panel).points)
        ax.text(STRIP - 0.4, y0 - 0.4, f" {panel} ({n})", fontsize=7, va="top", ha="left", clip_on=False)
    ax.set_title(f"Pooled level per signal over each panel's last {STRIP} sessions (newest at the right)", fontsize=10)
    fig.subplots_adjust(left=0.25, right=0.82, top=1 - 0.5 / _trend_height(p), bottom=0.5 / _trend_height(p))
    _level_key(ax, "upper center", (0.5, -0.005), columns=5)


def _short(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _level_key(ax, where: str, anchor: tuple[float, float], columns: int = 1) -> None:
    """Which colour is which level: a legend of five swatches (a colour bar is a whole axes more to draw)."""
    cmap = _cmap()
    swatches = [Patch(color=cmap(level / 4)) for level in range(5)]
    labels = [f"level {level}" if level == 0 or columns == 1 else str(level) for level in range(5)]
    ax.legend(swatches, labels, fontsize=7, loc=where, bbox_to_anchor=anchor, ncol=columns, frameon=False,
              handlelength=1.2, columnspacing=1.0)


def _cmap():
    return matplotlib.colormaps[LEVEL_COLOURS].with_extremes(bad="#e6e6e6")


def draw_heatmap(fig: Figure | SubFigure, p: Progress) -> None:
    panels = list(dict.fromkeys(c.panel for c in p.heatmap))
    ax = fig.add_subplot()
    cols = max(sum(c.panel == panel for c in p.heatmap) for panel in panels)
    grid = [[math.nan] * cols for _ in panels]
    for r, panel in enumerate(panels):
        for c, cell in enumerate(x for x in p.heatmap if x.panel == panel):
            if cell.latest is not None:
                grid[r][c] = cell.latest
            detail = f"{cell.latest} · ev. {cell.evidenced}/{cell.sessions}" if cell.sessions else "not practised"
            dark = cell.latest is not None and cell.latest in (0, 4)  # the ends of the colour map
            ax.text(c, r, f"{_short(cell.name, 24)}\n{detail}", ha="center", va="center", fontsize=6,
                    color="white" if dark else "black")
    ax.imshow(grid, cmap=_cmap(), vmin=0, vmax=4, aspect="auto", interpolation="nearest")
    ax.set_yticks([])
    for r, panel in enumerate(panels):
        ax.text(-0.55, r, panel, fontsize=8, ha="right", va="center")
    ax.set_xticks([])
    ax.set_title(f"Coverage: latest pooled level per signal; ev. = sessions with level ≥ {p.evidenced_level}", fontsize=10)
    fig.subplots_adjust(left=0.17, right=0.93, top=1 - 0.45 / _heatmap_height(p), bottom=0.2 / _heatmap_height(p))
    _level_key(ax, "upper left", (1.0, 1.0))


def figures(p: Progress) -> tuple[Figure, Figure]:
    """Two figures: the pass rate and the signal trends (the web app's charts; its coverage heatmap
    is an HTML table, `coverage.py`)."""
    out = []
    for height, draw in ((_pass_rate_height(p), draw_pass_rate), (_trend_height(p), draw_trends)):
        fig = Figure(figsize=(WIDTH, height), layout=None)
        draw(fig, p)
        out.append(fig)
    return tuple(out)


def write_png(p: Progress, path: Path) -> Path:
    """The three charts one above the other, in one PNG file."""
    heights = [_pass_rate_height(p), _trend_height(p), _heatmap_height(p)]
    fig = Figure(figsize=(WIDTH, sum(heights)), layout=None)
    for sub, draw in zip(fig.subfigures(3, 1, height_ratios=heights), (draw_pass_rate, draw_trends, draw_heatmap)):
        draw(sub, p)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=100)
    return path


def html_img(fig: Figure, alt: str) -> str:
    """`fig` as an <img> holding its SVG (the web app's charts). As SVG the text stays text for the
    browser to draw, a fraction of the time rasterising it takes; and Gradio's own Plot component
    labels an SVG with a media type browsers refuse (image/svg, not image/svg+xml)."""
    with io.BytesIO() as out:
        fig.savefig(out, format="svg")
        data = base64.b64encode(out.getvalue()).decode("ascii")
    return f'<img alt="{escape(alt)}" style="width:100%;height:auto" src="data:image/svg+xml;base64,{data}">'

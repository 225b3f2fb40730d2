"""Progress (`coach.history.progress`) as tables: text for `coach progress`, Markdown for the web
app's Progress tab. The charts of the same figures are in `charts.py`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from coach.render.scorecard import one_line

if TYPE_CHECKING:
    from coach.history.progress import Cell, Progress, SignalTrend

EMPTY = "No finished, scored sessions yet{where}. Start one with `coach mock` or in the web app's Mock interview tab."
LAST = 10  # sessions shown per signal in the trend table


def _level(value: int | None) -> str:
    return "—" if value is None else str(value)


def _headline(p: Progress) -> str:
    where = f" on {p.panel}" if p.panel else ""
    left = [f"{n} {what}" for n, what in ((p.unfinished, "unfinished"), (p.unscored, "not scored")) if n]
    return f"Progress over {p.sessions} scored session(s){where}" + (f"; left out: {', '.join(left)}" if left else "") + "."


def _empty(p: Progress) -> str:
    text = EMPTY.format(where=f" on {p.panel}" if p.panel else "")
    if p.unfinished:
        text += f" {p.unfinished} unfinished session(s) can be resumed with `coach resume SESSION`."
    return text


def _pass_rows(p: Progress) -> list[tuple[str, ...]]:
    rows = [(w.week, str(w.sessions), str(w.passed), f"{w.rate:.0%}") for w in p.pass_rate]
    return rows + [("all", str(p.sessions), str(p.passed), f"{p.passed / p.sessions:.0%}")]


def _trend_groups(p: Progress) -> list[tuple[str, int, list[tuple[str, ...]]]]:
    groups: dict[str, list[SignalTrend]] = {}
    for t in p.trends:
        groups.setdefault(t.panel, []).append(t)
    out = []
    for panel, trends in groups.items():
        rows = []
        for t in trends:
            change = t.change
            rows.append((t.name, " ".join(_level(lv) for lv in t.levels[-LAST:]), _level(max((lv for lv in t.levels if lv is not None), default=None)),
                         _level(next((lv for lv in reversed(t.levels) if lv is not None), None)),
                         "—" if change is None else f"{change:+d}"))
        out.append((panel, len(trends[0].points), rows))
    return out


def _heat_rows(cells: Sequence[Cell]) -> list[tuple[str, ...]]:
    return [(c.panel, c.name, str(c.sessions), f"{c.evidenced}/{c.sessions}", _level(c.best), _level(c.latest))
            for c in cells if c.sessions]


def _not_practised(cells: Sequence[Cell]) -> list[str]:
    return list(dict.fromkeys(c.panel for c in cells if not c.sessions))


PASS_HEAD = ("week", "sessions", "hire or better", "pass rate")
TREND_HEAD = ("signal", f"levels, oldest to newest (last {LAST})", "best", "latest", "change")
HEAT_HEAD = ("panel", "signal", "sessions", "evidenced", "best", "latest")


def _text_table(head: tuple[str, ...], rows: list[tuple[str, ...]], indent: str = "") -> list[str]:
    table = [head, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    return [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in table]


def progress_text(p: Progress) -> str:
    if not p.sessions:
        return _empty(p) + "\n"
    lines = [_headline(p), "", "Mock pass rate (share of sessions at hire or better), by ISO week:"]
    lines += _text_table(PASS_HEAD, _pass_rows(p), "  ")
    lines += ["", "Signal levels by session (pooled, 0-4):"]
    for panel, n, rows in _trend_groups(p):
        lines += [f"  {panel}: {n} session(s)"] + _text_table(TREND_HEAD, rows, "    ")
    lines += ["", f"Coverage per panel and signal (evidenced: pooled level >= {p.evidenced_level}):"]
    lines += _text_table(HEAT_HEAD, _heat_rows(p.heatmap), "  ")
    missing = _not_practised(p.heatmap)
    if missing:
        lines.append(f"  not practised yet: {', '.join(missing)}")
    return "\n".join(lines) + "\n"


def _md_table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(one_line(c) for c in r) + " |" for r in rows]


def progress_markdown(p: Progress) -> str:
    if not p.sessions:
        return f"*{_empty(p)}*"
    lines = [f"**{_headline(p)}**", "", "#### Mock pass rate, by ISO week", ""] + _md_table(PASS_HEAD, _pass_rows(p))
    for panel, n, rows in _trend_groups(p):
        lines += ["", f"#### {one_line(panel)}: signal levels over {n} session(s)", ""] + _md_table(TREND_HEAD, rows)
    lines += ["", f"#### Coverage (evidenced: pooled level ≥ {p.evidenced_level})", ""] + _md_table(HEAT_HEAD, _heat_rows(p.heatmap))
    missing = _not_practised(p.heatmap)
    if missing:
        lines += ["", f"Not practised yet: {one_line(', '.join(missing))}."]
    return "\n".join(lines)

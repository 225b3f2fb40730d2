"""Reports people read: Markdown and one self-contained HTML page (no external assets)."""

from __future__ import annotations

import html
import json
from pathlib import Path

from coach.evals.base import SuiteResult
from coach.evals.baseline import Comparison

COLOURS = {"ok": "#444", "new": "#555", "improved": "#0a7d24", "changed": "#8a6d00", "dropped": "#b00020", "below-floor": "#b00020"}


def _fmt(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _delta(d: float | None) -> str:
    if d is None:
        return "—"
    return f"{d:+.4g}" if d else "0"


def markdown(run: dict, results: list[SuiteResult], comp: Comparison) -> str:
    out = [f"# Eval report — backend `{run['backend']}`", ""]
    out.append(f"Verdict: **{'FAIL' if comp.failed else 'PASS'}**; drift: **{'yes' if comp.drift else 'none'}**; "
               f"{run['seconds']:.1f} s; LLM calls replayed {run.get('cache_hits', 0)}, generated {run.get('cache_misses', 0)}.")
    out.append("")
    if comp.fingerprint_changes:
        out += ["## What changed since the baseline", "", "| component | baseline | now | can move |", "|---|---|---|---|"]
        for c in comp.fingerprint_changes:
            out.append(f"| {c['component']} | {c['old']} | {c['new']} | {', '.join(c.get('suites', []))} |")
        out.append("")
    out += ["## Summary", "", "| suite | metric | value | baseline | delta | floor | status |", "|---|---|---|---|---|---|---|"]
    for c in comp.checks:
        floor = _fmt(c.rule.floor) if c.rule else "—"
        out.append(f"| {c.suite} | {c.metric} | {_fmt(c.value)} | {_fmt(c.baseline)} | {_delta(c.delta)} | {floor} | {c.status} |")
    for r in results:
        if r.per_panel:
            out += ["", f"## {r.name}: per panel", ""]
            keys = sorted({k for m in r.per_panel.values() for k in m})
            out.append("| panel | " + " | ".join(keys) + " |")
            out.append("|---" * (len(keys) + 1) + "|")
            for panel, m in r.per_panel.items():
                out.append(f"| {panel} | " + " | ".join(_fmt(m.get(k)) for k in keys) + " |")
        if r.details.get("spread"):
            out += ["", f"### {r.name}: spread over {r.details['repeats']} repeats", "", "| metric | mean | min | max |", "|---|---|---|---|"]
            for k, s in r.details["spread"].items():
                out.append(f"| {k} | {_fmt(s['mean'])} | {_fmt(s['min'])} | {_fmt(s['max'])} |")
    conf = next((r.details.get("confusion") for r in results if r.name == "scoring"), None)
    if conf:
        out += ["", "## scoring: per-signal confusion (expected level → produced level counts)", ""]
        for sig, rows in sorted(conf.items()):
            cells = "; ".join(f"{want}→{dict(sorted(got.items()))}" for want, got in sorted(rows.items()))
            out.append(f"- `{sig}`: {cells}")
    failures = [f for r in results for f in r.failures]
    out += ["", f"## Failing cases ({len(failures)})", ""]
    for f in failures[:300]:
        out.append(f"- **{f.get('case', '?')}** ({f.get('panel', f.get('suite', ''))}): {f.get('problem', '')}")
        for key in ("query", "question", "answer", "output", "better", "worse"):
            if f.get(key):
                out.append(f"  - {key}: {str(f[key])[:300]!r}")
    out += ["", "## Fingerprint", "", "```json", json.dumps(run["fingerprint"], indent=1, sort_keys=True), "```", ""]
    return "\n".join(out)


def _history_svg(history: list[dict], keys: list[str]) -> str:
    """A small line chart of the chosen metrics across stored baselines."""
    if len(history) < 1 or not keys:
        return "<p>No baseline history yet.</p>"
    w, h, pad = 640, 220, 30
    n = len(history)
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]
    lines, legend = [], []
    for i, key in enumerate(keys):
        pts = []
        for j, snap in enumerate(history):
            v = snap["metrics"].get(key)
            if v is None:
                continue
            x = pad + (w - 2 * pad) * (j / max(n - 1, 1))
            y = h - pad - (h - 2 * pad) * max(0.0, min(1.0, float(v)))
            pts.append(f"{x:.1f},{y:.1f}")
        colour = palette[i % len(palette)]
        if pts:
            lines.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(pts)}"/>')
            lines += [f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="3" fill="{colour}"/>' for p in pts]
        legend.append(f'<span style="color:{colour}">■ {html.escape(key)}</span>')
    axis = f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#999"/><line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="#999"/>'
    labels = f'<text x="4" y="{pad + 4}" font-size="10">1.0</text><text x="4" y="{h - pad}" font-size="10">0.0</text>'
    return f'<svg width="{w}" height="{h}" role="img" aria-label="metric history">{axis}{labels}{"".join(lines)}</svg><div>{" ".join(legend)}</div>'


def html_page(run: dict, results: list[SuiteResult], comp: Comparison, history: list[dict]) -> str:
    e = html.escape
    rows = []
    for c in comp.checks:
        colour = COLOURS.get(c.status, "#444")
        floor = _fmt(c.rule.floor) if c.rule else "—"
        rows.append(
            f"<tr><td>{e(c.suite)}</td><td>{e(c.metric)}</td><td>{_fmt(c.value)}</td><td>{_fmt(c.baseline)}</td>"
            f'<td style="color:{colour};font-weight:600">{_delta(c.delta)}</td><td>{floor}</td><td style="color:{colour}">{e(c.status)}</td></tr>'
        )
    changes = "".join(
        f"<tr><td>{e(c['component'])}</td><td>{e(str(c['old']))}</td><td>{e(str(c['new']))}</td><td>{e(', '.join(c.get('suites', [])))}</td></tr>"
        for c in comp.fingerprint_changes
    )
    panels = []
    for r in results:
        if not r.per_panel:
            continue
        keys = sorted({k for m in r.per_panel.values() for k in m})
        head = "".join(f"<th>{e(k)}</th>" for k in keys)
        body = "".join(f"<tr><td>{e(p)}</td>" + "".join(f"<td>{_fmt(m.get(k))}</td>" for k in keys) + "</tr>" for p, m in r.per_panel.items())
        panels.append(f"<h3>{e(r.name)}</h3><table><tr><th>panel</th>{head}</tr>{body}</table>")
    conf = next((r.details.get("confusion") for r in results if r.name == "scoring"), None) or {}
    conf_rows = []
    for sig, grid in sorted(conf.items()):
        cells = "".join(
            f"<td>{grid.get(str(w), {}).get(str(g), 0) or ''}</td>" for w in range(5) for g in range(5)
        )
        conf_rows.append(f"<tr><td>{e(sig)}</td>{cells}</tr>")
    conf_head = "".join(f"<th>{w}→{g}</th>" for w in range(5) for g in range(5))
    failures = "".join(
        f"<details><summary><b>{e(str(f.get('case')))}</b> ({e(str(f.get('panel', f.get('suite', ''))))}): {e(str(f.get('problem', '')))}</summary>"
        f"<pre>{e(json.dumps(f, indent=1, ensure_ascii=False)[:4000])}</pre></details>"
        for r in results
        for f in r.failures[:300]
    )
    chart_keys = sorted({k for snap in history for k, v in snap["metrics"].items() if isinstance(v, (int, float)) and 0 <= v <= 1})[:8]
    verdict = "FAIL" if comp.failed else "PASS"
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Eval report — {e(run['backend'])}</title>
<style>body{{font:14px system-ui,sans-serif;margin:24px;max-width:1200px}}table{{border-collapse:collapse;margin:8px 0}}
td,th{{border:1px solid #ddd;padding:4px 8px;text-align:left}}th{{background:#f4f4f4}}pre{{white-space:pre-wrap;background:#f8f8f8;padding:8px}}
.verdict{{font-size:20px;font-weight:700;color:{'#b00020' if comp.failed else '#0a7d24'}}}</style></head><body>
<h1>Eval report — backend <code>{e(run['backend'])}</code></h1>
<p class="verdict">{verdict}</p><p>Drift: {'yes' if comp.drift else 'none'} · {run['seconds']:.1f} s · LLM calls replayed {run.get('cache_hits', 0)}, generated {run.get('cache_misses', 0)}</p>
<h2>What changed since the baseline</h2>{'<table><tr><th>component</th><th>baseline</th><th>now</th><th>can move</th></tr>' + changes + '</table>' if changes else '<p>Nothing: same corpus, prompts, models and scorer.</p>'}
<h2>Summary</h2><table><tr><th>suite</th><th>metric</th><th>value</th><th>baseline</th><th>delta</th><th>floor</th><th>status</th></tr>{''.join(rows)}</table>
<h2>Per panel</h2>{''.join(panels) or '<p>—</p>'}
<h2>Scoring: per-signal confusion (expected→produced level counts)</h2>{'<table><tr><th>signal</th>' + conf_head + '</tr>' + ''.join(conf_rows) + '</table>' if conf_rows else '<p>—</p>'}
<h2>Metric history across baselines</h2>{_history_svg(history, chart_keys)}
<h2>Failing cases</h2>{failures or '<p>None.</p>'}
<h2>Fingerprint</h2><pre>{e(json.dumps(run['fingerprint'], indent=1, sort_keys=True))}</pre>
</body></html>"""


def write_reports(report_dir: Path, run: dict, results: list[SuiteResult], comp: Comparison, history: list[dict]) -> tuple[Path, Path, Path]:
    report_dir.mkdir(parents=True, exist_ok=True)
    md = report_dir / "report.md"
    page = report_dir / "report.html"
    raw = report_dir / "report.json"
    md.write_text(markdown(run, results, comp), encoding="utf-8")
    page.write_text(html_page(run, results, comp, history), encoding="utf-8")
    raw.write_text(json.dumps({"run": run, "results": [r.to_dict() for r in results]}, indent=1, default=str), encoding="utf-8")
    return md, page, raw

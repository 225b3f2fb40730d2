"""`coach eval`: offline evaluation runs against fixed fixtures and per-backend baselines."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from coach.cli._app import _echo_json, app


@app.command("eval")
def eval_cmd(
    suite: Optional[List[str]] = typer.Option(None, "--suite", "-s", help="Suite(s) to run: retrieval, questions, followups, scoring, sessions, loop. Default: all."),
    backend: Optional[str] = typer.Option(None, "--backend", "-b", help="LLM backend to evaluate (default: COACH_BACKEND)."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write report.md, report.html and report.json here."),
    repeat: int = typer.Option(1, "--repeat", min=1, help="Run each suite N times (non-deterministic backends): mean, spread, per-case failure rate."),
    record: bool = typer.Option(False, "--record", help="Call the LLM afresh and overwrite the replay cache."),
    update_baseline: bool = typer.Option(False, "--update-baseline", help="Store this run as the backend's baseline and log it in evals/CHANGELOG.md."),
    reason: str = typer.Option("", "--reason", help="Why the baseline changes (goes into the changelog)."),
    quick: bool = typer.Option(False, "--quick", help="Smaller samples (5 questions per panel, no robustness probes)."),
    as_json: bool = typer.Option(False, "--json", help="Print the run as JSON."),
) -> None:
    """Run the eval suites, compare with the baseline, and exit non-zero on a regression."""
    from coach.evals.harness import run_eval

    run = run_eval(suite, backend, report, repeat, record, update_baseline, reason, quick, progress=sys.stderr.isatty())
    if as_json:
        _echo_json({"run": run.summary(), "ok": run.ok, "results": [r.to_dict() for r in run.results],
                    "checks": [c.__dict__ | {"rule": None, "delta": c.delta} for c in run.comparison.checks],
                    "changed": run.comparison.fingerprint_changes})
    else:
        _print_human(run)
    if not run.ok:
        raise typer.Exit(1)


def _print_human(run) -> None:
    comp = run.comparison
    typer.echo(f"backend {run.backend}: {len(run.results)} suite(s) in {run.seconds:.1f}s "
               f"(LLM calls replayed {run.cache_hits}, generated {run.cache_misses})")
    for c in comp.checks:
        base = "—" if c.baseline is None else f"{c.baseline:.4g}"
        delta = "" if c.delta in (None, 0.0) else f" ({c.delta:+.4g})"
        floor = f" floor {c.rule.floor:g}" if c.rule else ""
        mark = "✗" if c.failed else ("·" if c.status in ("ok", "new") else "~")
        typer.echo(f" {mark} {c.suite:10} {c.metric:28} {c.value:<8.4g} baseline {base}{delta}{floor}  [{c.status}]")
    if comp.fingerprint_changes:
        typer.echo("inputs changed since the baseline:")
        for ch in comp.fingerprint_changes:
            typer.echo(f"  - {ch['component']}: {ch['old']} -> {ch['new']} (can move: {', '.join(ch.get('suites', [])) or '—'})")
    typer.echo("drift: " + ("yes" if comp.drift else "none"))
    for f in run.report_files:
        typer.echo(f"report: {f}")
    for line in run.changelog:
        typer.echo(f"baseline updated: {line}")
    typer.echo("RESULT: " + ("PASS" if run.ok else f"FAIL ({len(comp.failed)} metric(s) below floor or dropped)"))

"""Commands for the corpus and the index: config, index, retrieve."""

from __future__ import annotations

from typing import Optional

import typer

from coach.cli._app import ChromaOpt, _echo_json, app, make_coach
from coach.errors import CoachError


@app.command()
def config(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print the effective settings (after environment variables)."""
    from coach.llm.embedded import bundled_model_path

    data = make_coach().settings.model_dump(mode="json")
    notes = {}
    if data["model_path"] is None:
        # Unset means the bundled model: show where it is, so "None" is never the answer.
        bundled = bundled_model_path()
        data["model_path"] = str(bundled) if bundled else None
        notes["model_path"] = "bundled Gemma 3 270M, assembled on first use" if bundled else "bundled model package not installed"
    if data["chroma_url"] is None:
        notes["chroma_url"] = "no server: a local store under data_dir"
    if as_json:
        _echo_json(data)
        return
    for key, value in data.items():
        note = f" ({notes[key]})" if key in notes else ""
        typer.echo(f"{key:18} {value}{note}   [COACH_{key.upper()}]")


@app.command()
def index(
    chroma_url: Optional[str] = ChromaOpt,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Build or update the vector index (only changed chunks are re-embedded), and embed the
    scorer's rubric and reference sentences into the vector cache so the first score is quick."""
    coach = make_coach(chroma_url=chroma_url)
    report = coach.build_index(progress=not quiet)
    coach.warm_up()
    what = f"rebuilt ({report.reason})" if report.rebuilt else "updated"
    if report.embedded == 0 and report.removed == 0:
        what = "up to date"
    typer.echo(
        f"index {what} at {coach.index.where}: {report.added} added, {report.updated} updated, "
        f"{report.removed} removed, {report.unchanged} unchanged in {report.seconds:.1f}s"
    )


@app.command()
def retrieve(
    query: str = typer.Argument(..., help="What to look for, in your own words."),
    panel: Optional[str] = typer.Option(None, "--panel", "-p", help="Restrict to one panel and the sections it draws on."),
    kind: Optional[str] = typer.Option(None, "--kind", help="Restrict to one kind of chunk (template, exemplar, question, signal, ...)."),
    k: int = typer.Option(5, "-k", min=1, max=50, help="How many results."),
    mmr: bool = typer.Option(False, "--mmr", help="Diversify results with maximal marginal relevance."),
    group: bool = typer.Option(False, "--group", help="Order hits by kind (compendium, case studies, panel questions, ...), the group of the best hit first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    chroma_url: Optional[str] = ChromaOpt,
) -> None:
    """Print the chunks that best match QUERY, with id, section, kind and score."""
    from coach.retrieval.search import build_filter, group_hits

    if not query.strip():
        raise CoachError("The query is empty.", 'Pass what you are looking for, e.g. coach retrieve "error budget burn rate".')
    coach = make_coach(chroma_url=chroma_url)
    build_filter(coach.corpus, panel, kind)  # a wrong panel or kind is named before the index is opened
    hits = coach.search(query, panel=panel, kind=kind, k=k, mmr=mmr)
    rank = {h.id: n for n, h in enumerate(hits, 1)}
    if group:
        hits = [h for _, members in group_hits(hits) for h in members]
    if as_json:
        _echo_json([h.to_dict() for h in hits])
        return
    heading = None
    for h in hits:
        if group and h.group != heading:
            heading = h.group
            typer.echo(f"{heading}:")
        first = h.text.splitlines()[1 if h.section else 0] if h.text else ""
        typer.echo(f"{rank[h.id]}. [{h.score:.3f}] {h.id}  ({h.kind}; {h.label})")
        typer.echo(f"   {first[:150]}")

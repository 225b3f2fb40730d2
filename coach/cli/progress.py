"""`coach progress`: level trends, mock pass rate and coverage over the saved sessions."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from coach.cli._app import _echo_json, app, make_coach
from coach.errors import UserInputError


@app.command("progress")
def progress_cmd(
    panel: Optional[str] = typer.Option(None, "--panel", "-p", help="Only this panel, e.g. system-design."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Also draw the charts into this PNG file."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as one JSON object."),
) -> None:
    """Per-signal level trend, mock pass rate by ISO week (hire or better) and the panel x signal
    coverage, from the finished, scored sessions."""
    from coach.history.progress import progress
    from coach.render.progress import progress_text

    if plot is not None and plot.suffix.lower() != ".png":
        raise UserInputError(f"--plot {plot}: the charts are written as PNG.", f"Name a .png file, e.g. --plot {plot.with_suffix('.png')}.")
    p = progress(make_coach(), panel)
    if as_json:
        _echo_json(p.model_dump(mode="json"))
    else:
        typer.echo(progress_text(p), nl=False)
    if plot is None:
        return
    if not p.sessions:  # said in the output above; an empty chart would only repeat it
        typer.echo("No charts written: there is nothing to draw yet.", err=True)
        return
    from coach.render.charts import write_png

    typer.echo(f"wrote the charts to {write_png(p, plot)}", err=as_json)

"""The Progress tab: the charts of `coach progress`, the saved sessions, and each session's
transcript to read and to download as Markdown and JSON.

Drawing the two matplotlib charts is most of the tab's render time, so the drawn charts are kept
for the last few progress figures seen: an unchanged history is not drawn again. The key is the
figures themselves (a digest of them), so any change (an answer, an import, a forgotten session,
a recomputed score) draws anew.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import gradio as gr

from coach.corpus.schema import PANEL_SLUGS
from coach.history.listing import history
from coach.history.progress import progress
from coach.history.records import session_document
from coach.render.charts import figures, html_img
from coach.render.coverage import coverage_html
from coach.render.history import history_markdown, session_choices
from coach.render.markdown import transcript_markdown
from coach.render.progress import progress_markdown
from coach.render.transcript import render
from coach.web.common import coach, offer, shows_errors

if TYPE_CHECKING:
    from coach.history.progress import Progress

ALL = "all"
LISTED = 50  # sessions in the table; the picker holds them all
CHARTS = ("Mock pass rate by ISO week", "Pooled level per signal over sessions")
KEPT_CHARTS = 8  # sets of drawn charts kept (a few panels' views, for a few logins)
_DRAWN: OrderedDict[str, tuple[str, ...]] = OrderedDict()
_DRAWN_LOCK = threading.Lock()


def charts(p: Progress) -> tuple[str, ...]:
    """The pass-rate and trend charts of `p` as <img> elements, drawn only if these figures were not
    drawn lately."""
    key = hashlib.sha256(p.model_dump_json().encode()).hexdigest()
    with _DRAWN_LOCK:
        if key in _DRAWN:
            _DRAWN.move_to_end(key)
            return _DRAWN[key]
    drawn = tuple(html_img(fig, alt) for fig, alt in zip(figures(p), CHARTS))
    with _DRAWN_LOCK:
        _DRAWN[key] = drawn
        while len(_DRAWN) > KEPT_CHARTS:
            _DRAWN.popitem(last=False)
    return drawn


def forget_drawn() -> None:
    """Draw every chart anew on the next refresh (the benchmark's cold render)."""
    with _DRAWN_LOCK:
        _DRAWN.clear()
NO_SESSION = "*Choose a session to read its transcript and download it.*"


@shows_errors
def refresh(panel: str = ALL, chosen: str | None = None):
    """Charts, tables and the session list, for all panels or one; keeps the chosen session if it is still there."""
    c = coach()
    rows = history(c)
    p = progress(c, None if panel in (ALL, None) else panel, rows=rows)
    choices = session_choices(rows)
    keep = chosen if any(sid == chosen for _, sid in choices) else None
    return (*charts(p), coverage_html(p), progress_markdown(p), history_markdown(rows, LISTED),
            gr.update(choices=choices, value=keep))


@shows_errors
def open_session(session_id: str | None):
    """The transcript in the page, and the same session as Markdown and JSON files to download."""
    if not session_id:
        return NO_SESSION, gr.update(value=None, interactive=False), gr.update(value=None, interactive=False)
    c = coach()
    session = c.load_session(session_id)
    md = offer(f"session-{session.id}.md", render(session), [session.id])
    doc = offer(f"session-{session.id}.json",
                json.dumps(session_document(c, session.id), indent=2, ensure_ascii=False) + "\n", [session.id])
    return transcript_markdown(session), gr.update(value=md, interactive=True), gr.update(value=doc, interactive=True)


def progress_tab():
    """The Progress tab; returns the handler, inputs and outputs that fill it on page load."""
    with gr.Row(equal_height=True):
        panel = gr.Dropdown([("All panels", ALL), *((s, s) for s in PANEL_SLUGS)], value=ALL, label="Panel",
                            elem_id="progress-panel", scale=3)
        reload = gr.Button("Refresh", elem_id="progress-refresh", scale=0, min_width=120)
    pass_rate = gr.HTML(elem_id="progress-pass-rate")
    trends = gr.HTML(elem_id="progress-trends")
    heatmap = gr.HTML(elem_id="progress-heatmap")
    with gr.Accordion("The same figures as tables", open=False, elem_id="progress-tables-open"):
        tables = gr.Markdown(elem_id="progress-tables", latex_delimiters=[])
    gr.Markdown("### Sessions")
    listing = gr.Markdown(elem_id="progress-history", latex_delimiters=[])
    with gr.Row(equal_height=True):
        pick = gr.Dropdown([], label="Session", elem_id="progress-session", scale=4, filterable=True)
        as_md = gr.DownloadButton("Download Markdown", elem_id="progress-download-md", interactive=False, scale=0, min_width=180)
        as_json = gr.DownloadButton("Download JSON", elem_id="progress-download-json", interactive=False, scale=0, min_width=180)
    transcript = gr.Markdown(NO_SESSION, elem_id="progress-transcript", latex_delimiters=[])
    outputs = [pass_rate, trends, heatmap, tables, listing, pick]
    reload.click(refresh, [panel, pick], outputs)
    panel.change(refresh, [panel, pick], outputs)
    pick.change(open_session, [pick], [transcript, as_md, as_json])
    return refresh, [panel, pick], outputs

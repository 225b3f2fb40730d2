"""The "Search the corpus" tab: hybrid retrieval over the compendium and the panels."""

from __future__ import annotations

import gradio as gr

from coach.corpus.schema import PANEL_SLUGS
from coach.render.markdown import hits_markdown
from coach.web.common import coach, shows_errors
from coach.web.limits import within


@shows_errors
def search(query: str, panel: str, k: int) -> str:
    query = within("search query", query)
    if not query.strip():
        raise gr.Error("Type what you are looking for first.")
    return hits_markdown(coach().search(query, panel=None if panel == "any" else panel, k=int(k)))


def search_tab() -> None:
    with gr.Row():
        query = gr.Textbox(label="Query", placeholder="e.g. how do I alert on error budget burn?", elem_id="query", scale=4)
        panel = gr.Dropdown(["any", *PANEL_SLUGS], value="any", label="Panel", elem_id="panel")
        k = gr.Slider(1, 10, value=5, step=1, label="Results")
    go = gr.Button("Search", variant="primary", elem_id="search")
    results = gr.Markdown(elem_id="results", latex_delimiters=[])
    go.click(search, [query, panel, k], results)
    query.submit(search, [query, panel, k], results)

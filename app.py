"""Gradio UI. Only wiring: every behaviour lives in the `coach` package."""

from __future__ import annotations

import gradio as gr

from coach.config import get_settings
from coach.errors import CoachError
from coach.models import PANEL_SLUGS
from coach.retrieve import Retriever

_retriever: Retriever | None = None


def _get_retriever() -> Retriever:
    global _retriever
    if _retriever is None:
        _retriever = Retriever(get_settings())
    return _retriever


def search(query: str, panel: str, k: int) -> list[list]:
    if not query.strip():
        raise gr.Error("Type what you are looking for first.")
    try:
        hits = _get_retriever().search(query, panel=None if panel == "any" else panel, k=int(k))
    except CoachError as err:
        raise gr.Error(str(err)) from err
    return [[h.score, h.id, h.kind, h.label, h.text[:300]] for h in hits]


def build() -> gr.Blocks:
    with gr.Blocks(title="Staff interview coach") as demo:
        gr.Markdown("# Staff interview coach\nSearch the compendium and the seven interview panels.")
        with gr.Row():
            query = gr.Textbox(label="Query", placeholder="e.g. how do I alert on error budget burn?", elem_id="query", scale=4)
            panel = gr.Dropdown(["any", *PANEL_SLUGS], value="any", label="Panel", elem_id="panel")
            k = gr.Slider(1, 10, value=5, step=1, label="Results")
        go = gr.Button("Search", variant="primary", elem_id="search")
        results = gr.Dataframe(headers=["score", "id", "kind", "where", "text"], elem_id="results", wrap=True)
        go.click(search, [query, panel, k], results)
        query.submit(search, [query, panel, k], results)
    return demo


if __name__ == "__main__":
    settings = get_settings()
    build().launch(server_name=settings.host, server_port=settings.port)

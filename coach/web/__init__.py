"""The Gradio UI. Only wiring: every behaviour lives in the stages of the `coach` package.

One module per tab; each exposes a function that lays the tab out inside `build` and returns what
must be refreshed when the page loads (a handler and its outputs), or None.
"""

from __future__ import annotations

import gradio as gr

from coach.web.common import coach
from coach.web.interview import mock_tab
from coach.web.progress import progress_tab
from coach.web.score import score_tab
from coach.web.search import search_tab


def build() -> gr.Blocks:
    # Files offered for download are copied into Gradio's cache; delete_cache removes them after an
    # hour, so a transcript downloaded once does not stay on disk for good.
    with gr.Blocks(title="Staff interview coach", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Markdown("# Staff interview coach")
        on_load = []
        with gr.Tabs():
            with gr.Tab("Mock interview", id="mock"):
                on_load.append(mock_tab())
            with gr.Tab("Score an answer", id="score"):
                score_tab()
            with gr.Tab("Search the corpus", id="search"):
                search_tab()
            with gr.Tab("Progress", id="progress") as progress:
                refresh_progress = progress_tab()
        on_load.append(refresh_progress)
        progress.select(*refresh_progress)  # sessions finished in another tab show up on opening it
        for refresh in filter(None, on_load):  # fresh on every page load
            demo.load(*refresh)
    return demo


THEME = gr.themes.Soft(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])  # no web fonts: offline


def main() -> None:
    settings = coach().settings
    build().launch(server_name=settings.host, server_port=settings.port, theme=THEME, footer_links=[])


__all__ = ["build", "main"]

"""Gradio UI. Only wiring: every behaviour lives in the `coach` package."""

from __future__ import annotations

from functools import wraps

import gradio as gr

from coach.config import get_settings
from coach.errors import CoachError
from coach.models import PANEL_SLUGS
from coach.retrieve import Retriever
from coach.scoring import score_answer
from coach.ui_format import hits_rows, scorecard_markdown

_retriever: Retriever | None = None


def _get_retriever() -> Retriever:
    global _retriever
    if _retriever is None:
        _retriever = Retriever(get_settings())
    return _retriever


def shows_errors(fn):
    """A CoachError becomes a visible error in the page, with its hint; never a made-up result."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CoachError as err:
            raise gr.Error(str(err), title=type(err).__name__) from err

    return wrapper


@shows_errors
def search(query: str, panel: str, k: int) -> list[list]:
    if not query.strip():
        raise gr.Error("Type what you are looking for first.")
    return hits_rows(_get_retriever().search(query, panel=None if panel == "any" else panel, k=int(k)))


@shows_errors
def score(panel: str, question: str, answer: str) -> str:
    return scorecard_markdown(score_answer(panel, answer, question))


def build() -> gr.Blocks:
    with gr.Blocks(title="Staff interview coach", analytics_enabled=False) as demo:
        gr.Markdown("# Staff interview coach")
        with gr.Tabs():
            with gr.Tab("Mock interview", id="mock"):
                gr.Markdown("TODO")
            with gr.Tab("Score an answer", id="score"):
                with gr.Row():
                    s_panel = gr.Dropdown(list(PANEL_SLUGS), value="system-design", label="Panel", elem_id="score-panel")
                    s_question = gr.Textbox(label="Question (optional)", elem_id="score-question", scale=3)
                s_answer = gr.Textbox(label="Answer", lines=8, elem_id="score-answer")
                s_go = gr.Button("Score", variant="primary", elem_id="score-go")
                s_card = gr.Markdown(elem_id="score-card", latex_delimiters=[])
                s_go.click(score, [s_panel, s_question, s_answer], s_card)
            with gr.Tab("Search the corpus", id="search"):
                with gr.Row():
                    query = gr.Textbox(label="Query", placeholder="e.g. how do I alert on error budget burn?", elem_id="query", scale=4)
                    panel = gr.Dropdown(["any", *PANEL_SLUGS], value="any", label="Panel", elem_id="panel")
                    k = gr.Slider(1, 10, value=5, step=1, label="Results")
                go = gr.Button("Search", variant="primary", elem_id="search")
                results = gr.Dataframe(headers=["score", "id", "kind", "where", "text"], elem_id="results", wrap=True)
                go.click(search, [query, panel, k], results)
                query.submit(search, [query, panel, k], results)
    return demo


THEME = gr.themes.Soft(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])  # no web fonts: offline

if __name__ == "__main__":
    settings = get_settings()
    build().launch(server_name=settings.host, server_port=settings.port, theme=THEME, footer_links=[])

"""The "Score an answer" tab: one answer, optionally against its question, scored on a panel."""

from __future__ import annotations

import gradio as gr

from coach.corpus.schema import PANEL_SLUGS
from coach.render.markdown import scorecard_markdown
from coach.web.common import coach, shows_errors
from coach.web.limits import within


@shows_errors
def score(panel: str, question: str, answer_text: str) -> str:
    question, answer_text = within("question", question), within("answer", answer_text)
    return scorecard_markdown(coach().score(panel, answer_text, question))


def score_tab() -> None:
    with gr.Row():
        panel = gr.Dropdown(list(PANEL_SLUGS), value="system-design", label="Panel", elem_id="score-panel")
        question = gr.Textbox(label="Question (optional)", elem_id="score-question", scale=3)
    answer = gr.Textbox(label="Answer", lines=8, elem_id="score-answer")
    go = gr.Button("Score", variant="primary", elem_id="score-go")
    card = gr.Markdown(elem_id="score-card", latex_delimiters=[])
    go.click(score, [panel, question, answer], card)

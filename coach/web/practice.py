"""The Practice tab: what the review schedule says is due, and a drill on it (`coach due`, `coach drill`)."""

from __future__ import annotations

import time

import gradio as gr

from coach.corpus.schema import LEVELS
from coach.errors import BackendError
from coach.practice.drill import Drill, due_list, next_due
from coach.render.markdown import backend_failure, coverage_markdown, scorecard_markdown
from coach.render.practice import drill_messages, drill_status, due_markdown
from coach.render.screen import timer_html
from coach.web.common import LLM_QUEUE, coach, shows_errors
from coach.web.limits import within

IDLE = "*Press **Practice weak areas** to drill the signals that are due.*"


@shows_errors
def schedule() -> str:
    c = coach()
    entries = due_list(c)
    return due_markdown(entries, None if entries else next_due(c))


def _view(drill: Drill, problem: str = ""):
    """state, chat, coverage, card, status, due, timer, and when the pending question reached the page."""
    session = drill.current
    scored = [t for s in drill.sessions for t in s.turns if t.scorecard is not None]
    card = scorecard_markdown(scored[-1].scorecard, compact=True) if scored else "*Answer the question to see its scorecard.*"
    status = drill_status(drill) + (f"\n\n⚠ **{problem}**" if problem else "")
    return (drill.state(), drill_messages(drill), coverage_markdown(session.coverage, session.panel), card, status,
            schedule(), timer_html(session), time.time())


@shows_errors
def start(questions: int, level: str):
    return _view(Drill.start(coach(), int(questions), level))


@shows_errors
def answer(state: dict | None, text: str, shown_at: float | None = None):
    """`shown_at`: when this page showed the question; the answer is saved with the seconds since."""
    text = within("answer", text)
    if not state:
        raise gr.Error("Press Practice weak areas first.")
    drill = Drill.resume(coach(), state)  # starts the next panel's session if that failed before
    if drill.finished:
        raise gr.Error("This drill is finished; press Practice weak areas for another.")
    if not drill.waiting:  # the question failed to generate earlier: ask it now, and keep what was typed
        _ = drill.current_prompt
        return *_view(drill), text
    elapsed = max(0.0, time.time() - shown_at) if shown_at else None
    try:
        drill.answer(text, elapsed_s=elapsed)
        problem = ""
    except BackendError as err:  # the answer is saved; only the next question is missing
        problem = backend_failure(err, coach().settings.backend) + " Your answer is saved: press Send answer to try again."
        gr.Warning(problem, duration=None)
    return *_view(drill, problem), ""


def practice_tab():
    """The Practice tab; returns the handler and output that fill the schedule on page load."""
    state = gr.State(None)
    gr.Markdown("Signals your answers scored at level 1 or lower come back for review: a poor answer brings a "
                "signal back the next day, a good one pushes it out (1 day, 6 days, then longer), and three good "
                "answers in a row take it off the schedule.")
    due = gr.Markdown(elem_id="practice-due", latex_delimiters=[])
    with gr.Row(equal_height=True):
        questions = gr.Slider(1, 10, value=3, step=1, label="Questions", elem_id="practice-questions", min_width=200)
        level = gr.Dropdown(list(LEVELS), value="staff", label="Level", elem_id="practice-level")
        go = gr.Button("Practice weak areas", variant="primary", elem_id="practice-start", scale=0, min_width=200)
        reload = gr.Button("Refresh", elem_id="practice-refresh", scale=0, min_width=120)
    status = gr.Markdown(IDLE, elem_id="practice-status")
    with gr.Row():
        with gr.Column(scale=3):
            chat = gr.Chatbot(label="Drill", height=480, elem_id="practice-chat", sanitize_html=True, allow_tags=False,
                              latex_delimiters=[], feedback_options=None)
            timer = gr.HTML(timer_html(None), elem_id="practice-timer")
            shown_at = gr.State(None)  # when this page showed the pending question
            reply = gr.Textbox(label="Your answer", lines=4, elem_id="practice-answer")
            send = gr.Button("Send answer", variant="primary", elem_id="practice-send")
        with gr.Column(scale=2):
            gr.Markdown("### Signal coverage")
            coverage = gr.Markdown("*No drill yet.*", elem_id="practice-coverage", latex_delimiters=[])
            gr.Markdown("### Last answer")
            card = gr.Markdown(elem_id="practice-scorecard", latex_delimiters=[])
    view = [state, chat, coverage, card, status, due, timer, shown_at]  # = _view()
    reload.click(schedule, None, due)
    go.click(start, [questions, level], view, **LLM_QUEUE)
    send.click(answer, [state, reply, shown_at], [*view, reply], **LLM_QUEUE)
    return schedule, None, due

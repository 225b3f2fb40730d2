"""The mock-interview tab: start or resume a session, answer against a visible timer, see each
scorecard, the signal levels as charts, the evidence marked in the answer, and the coverage."""

from __future__ import annotations

import time
from collections.abc import Callable

import gradio as gr

from coach.corpus.schema import LEVELS, PANEL_SLUGS
from coach.errors import BackendError
from coach.history.listing import history
from coach.render.history import history_markdown, resume_choices
from coach.render.markdown import backend_failure, escape, session_view, transcript
from coach.render.screen import (
    backend_line,
    last_answer_levels,
    last_answer_spans,
    last_answer_title,
    session_levels,
    timer_html,
)
from coach.session.mock import MockSession
from coach.web.common import LLM_QUEUE, coach, shows_errors, streaming_work
from coach.web.limits import within
from coach.render.stories import suggestions_markdown
from coach.stories.store import STORY_PANELS
from coach.stories.suggest import suggest


def _load(session_id: str) -> MockSession:
    if not session_id:
        raise gr.Error("Start a session first.")
    return coach().load_session(session_id)


SHOWN = ("chat", "coverage", "scorecard", "status", "timer", "last levels", "session levels", "marked answer", "backend",
         "prompt shown at")


def view(session: MockSession, problem: str = "") -> tuple:
    """Everything the tab shows for `session`, in the order of the tab's `view` outputs, and the
    moment its pending prompt reached the page (the answer timer starts there)."""
    last = gr.BarPlot(last_answer_levels(session), title=last_answer_title(session))
    return (*session_view(session, problem), timer_html(session), last, session_levels(session),
            last_answer_spans(session), backend_line(coach().settings, session), time.time())


def _writing(before: list[dict], others: int) -> Callable[[str, int], tuple]:
    """A frame while an LLM writes the next prompt: the chat so far plus the words as they come,
    labelled as a rewrite in progress (the gate may still show the composed draft instead)."""

    def frame(text: str, candidate: int) -> tuple:
        note = f"*Rewriting the composed draft with {coach().backend.name} (try {candidate}); checked before it is shown…*"
        return (before + [{"role": "assistant", "content": f"{note}\n\n{escape(text)}"}], *[gr.skip()] * others)

    return frame


@shows_errors
def start(panel: str, level: str, questions: int, followups: int, seed: int | None, focus: str = ""):
    focus = within("focus", focus)

    def work() -> MockSession:
        return coach().start_session(panel, level, questions=int(questions), followups=int(followups),
                                     seed=None if seed is None else int(seed), focus=focus if focus.strip() else None)

    frame = _writing([], len(SHOWN) + 1)
    session = yield from streaming_work(work, lambda text, n: (gr.skip(), *frame(text, n)))
    yield session.id, *view(session), gr.update(visible=False)


@shows_errors
def answer(session_id: str, text: str, shown_at: float | None = None):
    """`shown_at`: when this page showed the prompt; the answer is saved with the seconds since."""
    text = within("answer", text)
    session = _load(session_id)
    elapsed = max(0.0, time.time() - shown_at) if shown_at else None
    before = transcript(session) + [{"role": "user", "content": escape(text)}]

    def work() -> str:
        try:
            session.answer(text, elapsed_s=elapsed)
            return ""
        except BackendError as err:  # the answer and its scorecard are saved; only the next prompt is missing
            return backend_failure(err, coach().settings.backend) + " Your answer is saved: press Retry."

    problem = yield from streaming_work(work, _writing(before, len(SHOWN) + 1))
    if problem:
        gr.Warning(problem, duration=None)
    yield *view(session, problem), "", gr.update(visible=bool(problem))


@shows_errors
def retry(session_id: str):
    session = _load(session_id)
    # generates the missing prompt, or raises BackendError again
    yield from streaming_work(lambda: session.current_prompt, _writing(transcript(session), len(SHOWN)))
    yield *view(session), gr.update(visible=False)


@shows_errors
def suggest_story(session_id: str) -> str:
    """Which of the user's stories fits the question being asked (only when the user asks)."""
    return story_fit(_load(session_id))


def story_fit(session: MockSession) -> str:
    """Which of the user's stories fits the question `session` is asking, as Markdown (the Mock
    interview and Full loop tabs' Suggest a story)."""
    turn = session.current_prompt
    if turn is None:
        return "*The interview is over: there is no question to fit a story to.*"
    if session.panel.slug not in STORY_PANELS:
        return f"*Stories are suggested on the {', '.join(STORY_PANELS)} panels.*"
    return suggestions_markdown(suggest(coach(), session.panel.slug, turn.text, signals=turn.signals))


@shows_errors
def past_sessions():
    rows = history(coach())
    choices = resume_choices(rows)
    return history_markdown(rows), gr.update(choices=choices, value=choices[0][1] if choices else None)


@shows_errors
def resume(session_id: str | None):
    if not session_id:
        raise gr.Error("Pick an unfinished session first (open Past sessions and press Refresh).")
    session = _load(session_id)
    if session.finished:
        raise gr.Error(f"Session {session.id} is finished; start a new one.")
    # generates the next prompt if the session stopped before it
    frame = _writing(transcript(session), len(SHOWN))
    yield from streaming_work(lambda: session.current_prompt, lambda text, n: (gr.skip(), *frame(text, n)))
    yield session.id, *view(session), gr.update(visible=False)


def _levels_plot(title: str, elem_id: str) -> gr.BarPlot:
    return gr.BarPlot(x="signal", y="level", title=title, y_lim=[0, 4], x_label_angle=-35, height=230,
                      x_title="", y_title="level (0-4)", elem_id=elem_id, show_label=False)


def mock_tab():
    """The mock-interview tab; returns the handler and outputs that fill its past sessions on page load."""
    session_id = gr.State("")
    shown_at = gr.State(None)  # when this page showed the pending prompt
    with gr.Row(equal_height=True):
        panel = gr.Dropdown(list(PANEL_SLUGS), value="system-design", label="Panel", elem_id="mock-panel")
        level = gr.Dropdown(list(LEVELS), value="staff", label="Level", elem_id="mock-level")
        questions = gr.Slider(1, 10, value=3, step=1, label="Questions", elem_id="mock-questions", min_width=200)
        followups = gr.Slider(0, 3, value=1, step=1, label="Follow-ups", elem_id="mock-followups", min_width=200)
        seed = gr.Number(value=coach().settings.seed, precision=0, label="Seed", elem_id="mock-seed", min_width=90, scale=0)
        go = gr.Button("Start interview", variant="primary", elem_id="mock-start", scale=0, min_width=160)
    focus = gr.Textbox(label="Focus (optional)", lines=1, max_lines=6, elem_id="mock-focus",
                       placeholder="A topic such as 'payments' or 'ads ranking', or paste a job description")
    status = gr.Markdown("Choose a panel and press **Start interview**.", elem_id="mock-status")
    backend = gr.Markdown(backend_line(coach().settings), elem_id="mock-backend", latex_delimiters=[])
    with gr.Row():
        with gr.Column(scale=3):
            chat = gr.Chatbot(label="Interview", height=560, elem_id="mock-chat", sanitize_html=True, allow_tags=False,
                              latex_delimiters=[], feedback_options=None, buttons=["copy_all"])
            timer = gr.HTML(timer_html(None), elem_id="mock-timer")
            reply = gr.Textbox(label="Your answer", lines=4, elem_id="mock-answer",
                               placeholder="Answer as you would in the interview, in full sentences.")
            with gr.Row():
                send = gr.Button("Send answer", variant="primary", elem_id="mock-send")
                again = gr.Button("Retry the next question", elem_id="mock-retry", visible=False)
                story = gr.Button("Suggest a story", elem_id="mock-suggest-story")
            story_fit = gr.Markdown(elem_id="mock-story", latex_delimiters=[])
            gr.Markdown("### Your last answer: the sentences that counted, by signal")
            marked = gr.HighlightedText(elem_id="mock-marked", show_legend=True, combine_adjacent=False, show_label=False)
        with gr.Column(scale=2):
            gr.Markdown("### Signal levels")
            last_plot = _levels_plot("Last answer", "mock-levels-last")
            session_plot = _levels_plot("The interview so far (best per signal)", "mock-levels-session")
            gr.Markdown("### Signal coverage")
            coverage = gr.Markdown("*No session yet.*", elem_id="mock-coverage", latex_delimiters=[])
            gr.Markdown("### Last answer")
            card = gr.Markdown("*Answer the question to see its scorecard.*", elem_id="mock-scorecard", latex_delimiters=[])
    with gr.Accordion("Past sessions", open=False, elem_id="mock-past"):
        past = gr.Markdown(elem_id="mock-history", latex_delimiters=[])
        with gr.Row():
            pick = gr.Dropdown([], label="Unfinished session", elem_id="mock-resume-pick", scale=3)
            go_on = gr.Button("Resume", elem_id="mock-resume", scale=0, min_width=120)
            reload = gr.Button("Refresh", elem_id="mock-history-refresh", scale=0, min_width=120)
    shown = [chat, coverage, card, status, timer, last_plot, session_plot, marked, backend, shown_at]  # = view()
    assert len(shown) == len(SHOWN)
    llm = LLM_QUEUE
    reload.click(past_sessions, None, [past, pick])
    go_on.click(resume, [pick], [session_id, *shown, again], **llm)
    go.click(start, [panel, level, questions, followups, seed, focus], [session_id, *shown, again], **llm)
    send.click(answer, [session_id, reply, shown_at], [*shown, reply, again], **llm)
    again.click(retry, [session_id], [*shown, again], **llm)
    story.click(suggest_story, [session_id], story_fit)
    for moved_on in (go, send, go_on):  # a suggestion is for the question it was asked about
        moved_on.click(lambda: "", None, story_fit, queue=False)
    return past_sessions, None, [past, pick]

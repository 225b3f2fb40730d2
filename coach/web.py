"""The Gradio UI. Only wiring: every behaviour lives in the stages of the `coach` package."""

from __future__ import annotations

from functools import wraps

import gradio as gr

from coach.corpus.schema import LEVELS, PANEL_SLUGS
from coach.errors import BackendError, CoachError
from coach.history.listing import history
from coach.render.history import history_markdown, resume_choices
from coach.render.markdown import backend_failure, hits_markdown, scorecard_markdown, session_view
from coach.root import Coach
from coach.session.mock import MockSession

# One Coach for the process, shared by every browser tab: the embedder, the index and the LLM load
# once, on first use. `build` sets it; tests may build the UI around their own Coach.
COACH: Coach | None = None


def _coach() -> Coach:
    global COACH
    if COACH is None:
        COACH = Coach.from_env()
    return COACH


def shows_errors(fn):
    """A CoachError becomes a visible error naming what failed, with its hint; never a made-up result."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BackendError as err:
            backend = _coach().settings.backend
            raise gr.Error(backend_failure(err, backend), title=f"{backend} LLM backend failed", duration=None) from err
        except CoachError as err:
            raise gr.Error(str(err), title=type(err).__name__) from err

    return wrapper


def _load(session_id: str) -> MockSession:
    if not session_id:
        raise gr.Error("Start a session first.")
    return _coach().load_session(session_id)


@shows_errors
def start(panel: str, level: str, questions: int, followups: int, seed: int | None, focus: str = ""):
    session = _coach().start_session(panel, level, questions=int(questions), followups=int(followups),
                                     seed=None if seed is None else int(seed), focus=focus if focus.strip() else None)
    return session.id, *session_view(session), gr.update(visible=False)


@shows_errors
def answer(session_id: str, text: str):
    session = _load(session_id)
    try:
        session.answer(text)
        problem = ""
    except BackendError as err:  # the answer and its scorecard are saved; only the next prompt is missing
        problem = backend_failure(err, _coach().settings.backend) + " Your answer is saved: press Retry."
        gr.Warning(problem, duration=None)
    return *session_view(session, problem), "", gr.update(visible=bool(problem))


@shows_errors
def retry(session_id: str):
    session = _load(session_id)
    _ = session.current_prompt  # generates the missing prompt, or raises BackendError again
    return *session_view(session), gr.update(visible=False)


@shows_errors
def past_sessions():
    rows = history(_coach())
    choices = resume_choices(rows)
    return history_markdown(rows), gr.update(choices=choices, value=choices[0][1] if choices else None)


@shows_errors
def resume(session_id: str | None):
    if not session_id:
        raise gr.Error("Pick an unfinished session first (open Past sessions and press Refresh).")
    session = _load(session_id)
    if session.finished:
        raise gr.Error(f"Session {session.id} is finished; start a new one.")
    _ = session.current_prompt  # generates the next prompt if the session stopped before it
    return session.id, *session_view(session), gr.update(visible=False)


@shows_errors
def search(query: str, panel: str, k: int) -> str:
    if not query.strip():
        raise gr.Error("Type what you are looking for first.")
    return hits_markdown(_coach().search(query, panel=None if panel == "any" else panel, k=int(k)))


@shows_errors
def score(panel: str, question: str, answer_text: str) -> str:
    return scorecard_markdown(_coach().score(panel, answer_text, question))


def mock_tab():
    """The mock-interview tab; returns the handler and outputs that fill its past sessions on page load."""
    session_id = gr.State("")
    with gr.Row(equal_height=True):
        panel = gr.Dropdown(list(PANEL_SLUGS), value="system-design", label="Panel", elem_id="mock-panel")
        level = gr.Dropdown(list(LEVELS), value="staff", label="Level", elem_id="mock-level")
        questions = gr.Slider(1, 10, value=3, step=1, label="Questions", elem_id="mock-questions", min_width=200)
        followups = gr.Slider(0, 3, value=1, step=1, label="Follow-ups", elem_id="mock-followups", min_width=200)
        seed = gr.Number(value=_coach().settings.seed, precision=0, label="Seed", elem_id="mock-seed", min_width=90, scale=0)
        go = gr.Button("Start interview", variant="primary", elem_id="mock-start", scale=0, min_width=160)
    focus = gr.Textbox(label="Focus (optional)", lines=1, max_lines=6, elem_id="mock-focus",
                       placeholder="A topic such as 'payments' or 'ads ranking', or paste a job description")
    status = gr.Markdown("Choose a panel and press **Start interview**.", elem_id="mock-status")
    with gr.Row():
        with gr.Column(scale=3):
            chat = gr.Chatbot(label="Interview", height=560, elem_id="mock-chat", sanitize_html=True, allow_tags=False,
                              latex_delimiters=[], feedback_options=None, buttons=["copy_all"])
            reply = gr.Textbox(label="Your answer", lines=4, elem_id="mock-answer",
                               placeholder="Answer as you would in the interview, in full sentences.")
            with gr.Row():
                send = gr.Button("Send answer", variant="primary", elem_id="mock-send")
                again = gr.Button("Retry the next question", elem_id="mock-retry", visible=False)
        with gr.Column(scale=2):
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
    view = [chat, coverage, card, status]
    llm = {"concurrency_id": "llm", "concurrency_limit": 1}  # one model, one generation at a time
    reload.click(past_sessions, None, [past, pick])
    go_on.click(resume, [pick], [session_id, *view, again], **llm)
    go.click(start, [panel, level, questions, followups, seed, focus], [session_id, *view, again], **llm)
    send.click(answer, [session_id, reply], [*view, reply, again], **llm)
    again.click(retry, [session_id], [*view, again], **llm)
    return past_sessions, [past, pick]


def build() -> gr.Blocks:
    with gr.Blocks(title="Staff interview coach", analytics_enabled=False) as demo:
        gr.Markdown("# Staff interview coach")
        with gr.Tabs():
            with gr.Tab("Mock interview", id="mock"):
                fill_past, past_outputs = mock_tab()
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
                results = gr.Markdown(elem_id="results", latex_delimiters=[])
                go.click(search, [query, panel, k], results)
                query.submit(search, [query, panel, k], results)
        demo.load(fill_past, None, past_outputs)  # the past sessions, fresh on every page load
    return demo


THEME = gr.themes.Soft(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])  # no web fonts: offline

def main() -> None:
    settings = _coach().settings
    build().launch(server_name=settings.host, server_port=settings.port, theme=THEME, footer_links=[])


if __name__ == "__main__":
    main()

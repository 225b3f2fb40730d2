"""The Full loop tab: start an onsite loop (level, panels), answer panel by panel against the
answer timer, ask which story fits a question, and read any saved loop's debrief packet (finished
or not) and download it as Markdown, HTML and JSON."""

from __future__ import annotations

import datetime as dt
import json
import time

import gradio as gr

from coach.corpus.schema import LEVELS, PANEL_SLUGS
from coach.errors import BackendError
from coach.loop import Loop
from coach.loop.store import LoopStore
from coach.render.debrief import to_html, to_markdown
from coach.render.markdown import backend_failure, one_line, transcript
from coach.render.screen import timer_html
from coach.session.mock import MockSession
from coach.web.common import LLM_QUEUE, coach, offer, shows_errors
from coach.web.interview import story_fit
from coach.web.limits import within

NO_DEBRIEF = "*The debrief appears here when the last panel is finished, or when you open a past loop.*"


def _load(loop_id: str) -> Loop:
    if not loop_id:
        raise gr.Error("Start a loop first.")
    return Loop.load(coach(), loop_id)


def _messages(loop: Loop) -> list[dict]:
    """Every panel reached so far, each opened by a line naming it, in one chat."""
    messages: list[dict] = []
    for n, (_, session) in enumerate(loop.started(), 1):
        messages.append({"role": "assistant", "content": f"**Panel {n} of {len(loop.panels)}: {one_line(session.panel_name)}**"})
        messages.extend(transcript(session))
    return messages


def _status(loop: Loop, problem: str = "") -> str:
    if loop.finished:
        where = "finished: the debrief is below"
    else:
        session = loop.current
        where = f"panel {loop.position + 1} of {len(loop.panels)}: {one_line(session.panel_name)}"
    text = f"Loop `{loop.id}` · {loop.level} · {where}"
    return text + (f"\n\n⚠ **{one_line(problem)}**" if problem else "")


def _shown_session(loop: Loop) -> MockSession | None:
    """The panel session the page is on, without starting the next one (reading must not start a panel)."""
    started = [s for _, s in loop.started()]
    at = loop.position
    if at is not None and loop.sessions[at] is not None:
        return loop.sessions[at]
    return started[-1] if started else None


def _packet(loop: Loop):
    """The debrief packet as Markdown on the page and as three files to download; a partial packet
    says which panels are not started or still in progress."""
    packet = loop.debrief()
    sources = [loop.id, *(s.id for _, s in loop.started())]  # forgetting any of them deletes the files
    files = [offer(f"debrief-{loop.id}.md", to_markdown(packet), sources),
             offer(f"debrief-{loop.id}.html", to_html(packet), sources),
             offer(f"debrief-{loop.id}.json", json.dumps(packet.model_dump(mode="json"), indent=2, ensure_ascii=False), sources)]
    return to_markdown(packet), gr.update(value=files, visible=True)


def _debrief(loop: Loop):
    """The packet once the loop is finished; before that, the place where it will appear."""
    return _packet(loop) if loop.finished else (NO_DEBRIEF, gr.update(value=None, visible=False))


def _view(loop: Loop, problem: str = ""):
    """chat, status, debrief, files, timer, and when the pending prompt reached the page."""
    return (_messages(loop), _status(loop, problem), *_debrief(loop), timer_html(_shown_session(loop)), time.time())


@shows_errors
def start(level: str, panels: list[str], questions: int, followups: int, seed: int | None):
    if not panels:
        raise gr.Error("Pick at least one panel.")
    loop = Loop.start(coach(), level, panels, questions=int(questions), followups=int(followups),
                      seed=None if seed is None else int(seed))
    _ = loop.current  # the first panel's opening question
    return loop.id, *_view(loop), gr.update(visible=False)


@shows_errors
def answer(loop_id: str, text: str, shown_at: float | None = None):
    """`shown_at`: when this page showed the prompt; the answer is saved with the seconds since."""
    text = within("answer", text)
    loop = _load(loop_id)
    elapsed = max(0.0, time.time() - shown_at) if shown_at else None
    try:
        loop.answer(text, elapsed_s=elapsed)
        if not loop.finished:
            _ = loop.current.current_prompt  # the next panel starts as soon as one ends
        problem = ""
    except BackendError as err:  # the answer is saved; only the next prompt is missing
        problem = backend_failure(err, coach().settings.backend) + " Your answer is saved: press Retry."
        gr.Warning(problem, duration=None)
    return *_view(loop, problem), "", gr.update(visible=bool(problem))


@shows_errors
def retry(loop_id: str):
    loop = _load(loop_id)
    _ = loop.current.current_prompt if not loop.finished else None
    return *_view(loop), gr.update(visible=False)


@shows_errors
def suggest_story(loop_id: str) -> str:
    """Which of the user's stories fits the question the loop is asking (only when the user asks)."""
    session = _shown_session(_load(loop_id))
    if session is None or session.finished:
        return "*No question is waiting: there is nothing to fit a story to.*"
    return story_fit(session)


@shows_errors
def loops():
    """The unfinished loops to resume, and every saved loop to read the debrief of, newest first."""
    rows = LoopStore(coach().store).list()
    resumable = [(f"{r.id} · {r.level} · {len(r.sessions)} of {len(r.panels)} panels started", r.id)
                 for r in rows if r.status != "finished"]
    every = [(f"{dt.datetime.fromtimestamp(r.created_at):%Y-%m-%d %H:%M} · {r.id} · {r.level} · "
              f"{len(r.sessions)} of {len(r.panels)} panels started · {r.status}", r.id) for r in rows]
    return (gr.update(choices=resumable, value=resumable[0][1] if resumable else None),
            gr.update(choices=every, value=every[0][1] if every else None))


@shows_errors
def resume(loop_id: str | None):
    if not loop_id:
        raise gr.Error("Pick an unfinished loop first (press Refresh).")
    loop = _load(loop_id)
    if not loop.finished:
        _ = loop.current.current_prompt
    return loop.id, *_view(loop), gr.update(visible=False)


@shows_errors
def open_debrief(loop_id: str | None):
    """Any saved loop's debrief packet and its downloads, finished or not; nothing is started."""
    if not loop_id:
        raise gr.Error("Pick a loop first (press Refresh).")
    return _packet(_load(loop_id))


def loop_tab():
    """The Full loop tab; returns the handler and outputs that list unfinished loops on page load."""
    loop_id = gr.State("")
    with gr.Row(equal_height=True):
        level = gr.Dropdown(list(LEVELS), value="staff", label="Level", elem_id="loop-level", scale=0, min_width=140)
        panels = gr.CheckboxGroup(list(PANEL_SLUGS), value=list(PANEL_SLUGS), label="Panels, in onsite order", elem_id="loop-panels")
    with gr.Row(equal_height=True):
        questions = gr.Slider(1, 3, value=1, step=1, label="Questions per panel", elem_id="loop-questions", min_width=200)
        followups = gr.Slider(0, 2, value=1, step=1, label="Follow-ups per question", elem_id="loop-followups", min_width=200)
        seed = gr.Number(value=coach().settings.seed, precision=0, label="Seed", elem_id="loop-seed", min_width=90, scale=0)
        go = gr.Button("Start loop", variant="primary", elem_id="loop-start", scale=0, min_width=140)
    status = gr.Markdown("Choose the panels and press **Start loop**: one interview per panel, then a debrief.", elem_id="loop-status")
    chat = gr.Chatbot(label="Onsite loop", height=520, elem_id="loop-chat", sanitize_html=True, allow_tags=False,
                      latex_delimiters=[], feedback_options=None, buttons=["copy_all"])
    timer = gr.HTML(timer_html(None), elem_id="loop-timer")
    shown_at = gr.State(None)  # when this page showed the pending prompt
    reply = gr.Textbox(label="Your answer", lines=4, elem_id="loop-answer", placeholder="Answer as you would in the interview.")
    with gr.Row():
        send = gr.Button("Send answer", variant="primary", elem_id="loop-send")
        again = gr.Button("Retry the next question", elem_id="loop-retry", visible=False)
        story = gr.Button("Suggest a story", elem_id="loop-suggest-story")
    story_fit_md = gr.Markdown(elem_id="loop-story", latex_delimiters=[])
    with gr.Accordion("Past loops", open=False, elem_id="loop-past"):
        with gr.Row():
            pick = gr.Dropdown([], label="Unfinished loop", elem_id="loop-resume-pick", scale=3)
            go_on = gr.Button("Resume", elem_id="loop-resume", scale=0, min_width=120)
            reload = gr.Button("Refresh", elem_id="loop-refresh", scale=0, min_width=120)
        with gr.Row():
            past = gr.Dropdown([], label="Any loop, finished or not", elem_id="loop-debrief-pick", scale=3)
            read = gr.Button("Show its debrief", elem_id="loop-open-debrief", scale=0, min_width=120)
    gr.Markdown("### Debrief")
    debrief = gr.Markdown(NO_DEBRIEF, elem_id="loop-debrief", latex_delimiters=[])
    files = gr.File(label="Download the debrief (Markdown, HTML, JSON)", file_count="multiple", interactive=False,
                    visible=False, elem_id="loop-files")
    view = [chat, status, debrief, files, timer, shown_at]  # = _view()
    llm = LLM_QUEUE
    go.click(start, [level, panels, questions, followups, seed], [loop_id, *view, again], **llm)
    send.click(answer, [loop_id, reply, shown_at], [*view, reply, again], **llm)
    again.click(retry, [loop_id], [*view, again], **llm)
    reload.click(loops, None, [pick, past])
    go_on.click(resume, [pick], [loop_id, *view, again], **llm)
    read.click(open_debrief, [past], [debrief, files])
    story.click(suggest_story, [loop_id], story_fit_md)
    for moved_on in (go, send, go_on):  # a suggestion is for the question it was asked about
        moved_on.click(lambda: "", None, story_fit_md, queue=False)
    return loops, None, [pick, past]

"""The Full loop tab: start an onsite loop (level, panels), answer panel by panel, read the
debrief packet and download it as Markdown, HTML and JSON."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import gradio as gr

from coach.corpus.schema import LEVELS, PANEL_SLUGS
from coach.errors import BackendError
from coach.loop import Loop
from coach.loop.store import LoopStore
from coach.render.debrief import to_html, to_markdown
from coach.render.markdown import backend_failure, one_line, transcript
from coach.web.common import LLM_QUEUE, coach, shows_errors
from coach.web.limits import within

NO_DEBRIEF = "*The debrief appears here when the last panel is finished.*"


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


def _debrief(loop: Loop):
    """The packet as Markdown on the page and as three files to download, once the loop is finished."""
    if not loop.finished:
        return NO_DEBRIEF, gr.update(value=None, visible=False)
    packet = loop.debrief()
    folder = Path(tempfile.mkdtemp(prefix="coach-debrief-"))
    files = {f"debrief-{loop.id}.md": to_markdown(packet), f"debrief-{loop.id}.html": to_html(packet),
             f"debrief-{loop.id}.json": json.dumps(packet.model_dump(mode="json"), indent=2, ensure_ascii=False)}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return to_markdown(packet), gr.update(value=[str(folder / name) for name in files], visible=True)


def _view(loop: Loop, problem: str = ""):
    return (_messages(loop), _status(loop, problem), *_debrief(loop))


@shows_errors
def start(level: str, panels: list[str], questions: int, followups: int, seed: int | None):
    if not panels:
        raise gr.Error("Pick at least one panel.")
    loop = Loop.start(coach(), level, panels, questions=int(questions), followups=int(followups),
                      seed=None if seed is None else int(seed))
    _ = loop.current  # the first panel's opening question
    return loop.id, *_view(loop), gr.update(visible=False)


@shows_errors
def answer(loop_id: str, text: str):
    text = within("answer", text)
    loop = _load(loop_id)
    try:
        loop.answer(text)
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
def unfinished():
    rows = [r for r in LoopStore(coach().store).list() if r.status != "finished"]
    choices = [(f"{r.id} · {r.level} · {len(r.sessions)} of {len(r.panels)} panels started", r.id) for r in rows]
    return gr.update(choices=choices, value=choices[0][1] if choices else None)


@shows_errors
def resume(loop_id: str | None):
    if not loop_id:
        raise gr.Error("Pick an unfinished loop first (press Refresh).")
    loop = _load(loop_id)
    if not loop.finished:
        _ = loop.current.current_prompt
    return loop.id, *_view(loop), gr.update(visible=False)


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
    reply = gr.Textbox(label="Your answer", lines=4, elem_id="loop-answer", placeholder="Answer as you would in the interview.")
    with gr.Row():
        send = gr.Button("Send answer", variant="primary", elem_id="loop-send")
        again = gr.Button("Retry the next question", elem_id="loop-retry", visible=False)
    with gr.Accordion("Unfinished loops", open=False, elem_id="loop-past"):
        with gr.Row():
            pick = gr.Dropdown([], label="Unfinished loop", elem_id="loop-resume-pick", scale=3)
            go_on = gr.Button("Resume", elem_id="loop-resume", scale=0, min_width=120)
            reload = gr.Button("Refresh", elem_id="loop-refresh", scale=0, min_width=120)
    gr.Markdown("### Debrief")
    debrief = gr.Markdown(NO_DEBRIEF, elem_id="loop-debrief", latex_delimiters=[])
    files = gr.File(label="Download the debrief (Markdown, HTML, JSON)", file_count="multiple", interactive=False,
                    visible=False, elem_id="loop-files")
    view = [chat, status, debrief, files]
    llm = LLM_QUEUE
    go.click(start, [level, panels, questions, followups, seed], [loop_id, *view, again], **llm)
    send.click(answer, [loop_id, reply], [*view, reply, again], **llm)
    again.click(retry, [loop_id], [*view, again], **llm)
    reload.click(unfinished, None, [pick])
    go_on.click(resume, [pick], [loop_id, *view, again], **llm)
    return unfinished, None, [pick]

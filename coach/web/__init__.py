"""The Gradio UI. Only wiring: every behaviour lives in the stages of the `coach` package.

One module per tab; each exposes a function that lays the tab out inside `build` and returns what
must be refreshed when the page loads (a handler and its outputs), or None.
"""

from __future__ import annotations

import sys
import threading

import gradio as gr

from coach.errors import CoachError
from coach.render.screen import SCREEN_CSS, TIMER_SCRIPT
from coach.web import common
from coach.web.common import coach
from coach.web.launch import arguments, check_exposure, parse_auth
from coach.web.interview import mock_tab
from coach.web.loop import loop_tab
from coach.web.practice import practice_tab
from coach.web.progress import progress_tab
from coach.web.score import score_tab
from coach.web.search import search_tab
from coach.web.stories import stories_tab


def build() -> gr.Blocks:
    # Files offered for download are copied into Gradio's cache; delete_cache removes them after an
    # hour, so a transcript downloaded once does not stay on disk for good.
    with gr.Blocks(title="Staff interview coach", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Markdown("# Staff interview coach")
        on_load = []
        with gr.Tabs():
            with gr.Tab("Mock interview", id="mock"):
                on_load.append(mock_tab())
            with gr.Tab("Full loop", id="loop"):
                on_load.append(loop_tab())
            with gr.Tab("Practice", id="practice"):
                on_load.append(practice_tab())
            with gr.Tab("Score an answer", id="score"):
                score_tab()
            with gr.Tab("Search the corpus", id="search"):
                search_tab()
            with gr.Tab("Stories", id="stories"):
                on_load.append(stories_tab())
            with gr.Tab("Progress", id="progress") as progress:
                refresh_progress = progress_tab()
        on_load.append(refresh_progress)
        progress.select(*refresh_progress)  # sessions finished in another tab show up on opening it
        for refresh in filter(None, on_load):  # fresh on every page load
            demo.load(*refresh)
    return demo


THEME = gr.themes.Soft(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])  # no web fonts: offline


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    try:
        settings = coach().settings
        host, port = args.host or settings.host, args.port or settings.port
        login = parse_auth(args.auth if args.auth is not None else settings.auth)
        check_exposure(host, login)
        common.PER_LOGIN = bool(login and len(login) > 1)  # several people: a sessions database each
    except CoachError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(err.exit_code) from None
    threading.Thread(target=common.warm_up, name="coach-warm-up", daemon=True).start()
    build().launch(server_name=host, server_port=port, auth=login, share=False, theme=THEME, footer_links=[],
                   head=TIMER_SCRIPT, css=SCREEN_CSS)


__all__ = ["build", "main"]

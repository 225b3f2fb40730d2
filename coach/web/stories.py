"""The Stories tab: add, edit and remove stories, see each one's levels and quotes, download it as
Markdown or JSON, and the story x signal matrix with its gaps and overlaps."""

from __future__ import annotations

import json

import gradio as gr

from coach.render.stories import matrix_markdown, story_markdown
from coach.stories import bank
from coach.stories.files import check_draft
from coach.stories.matrix import matrix
from coach.stories.store import Story
from coach.web.common import coach, offer, shows_errors, withdraw

NO_STORY = "*Pick a story, or write one above and press **Add story**.*"


def _choices() -> list[tuple[str, str]]:
    return [(f"{s.title} ({s.id})", s.id) for s in bank.stories(coach()).all()]


def _downloads(story: Story | None) -> tuple:
    """The story written as its two downloads (in the app's downloads folder, outside the data dir)."""
    if story is None:
        return gr.update(value=None, interactive=False), gr.update(value=None, interactive=False)
    md = offer(f"story-{story.id}.md", story_markdown(story), [story.id])
    js = offer(f"story-{story.id}.json", json.dumps(story.export(), indent=2, ensure_ascii=False) + "\n", [story.id])
    return gr.update(value=md, interactive=True), gr.update(value=js, interactive=True)


def _view(story: Story | None, status: str) -> tuple:
    """status, pick, title, text, tags, story view, matrix, two downloads."""
    pick = gr.update(choices=_choices(), value=story.id if story else None)
    form = (story.title, story.text, ", ".join(story.tags)) if story else ("", "", "")
    shown = story_markdown(story) if story else NO_STORY
    return (status, pick, *form, shown, matrix_markdown(matrix(coach())), *_downloads(story))


@shows_errors
def refresh():
    return _view(None, "")


@shows_errors
def select(story_id: str | None):
    if not story_id:
        return _view(None, "")
    return _view(bank.stories(coach()).get(story_id), "")


@shows_errors
def add(title: str, text: str, tags: str):
    story = bank.add(coach(), check_draft(title, text, tags))
    return _view(story, f"Added and scored story {story.id}.")


@shows_errors
def save(story_id: str | None, title: str, text: str, tags: str):
    if not story_id:
        raise gr.Error("Pick the story to change first (or press Add story to add this one).")
    story = bank.edit(coach(), story_id, check_draft(title, text, tags))
    withdraw([story_id])  # the old text's files, and Gradio's copies of them, go with the old text
    return _view(story, f"Saved and rescored story {story.id}.")


@shows_errors
def remove(story_id: str | None):
    if not story_id:
        raise gr.Error("Pick the story to remove first.")
    report = bank.remove(coach(), [story_id])
    withdraw([story_id])
    return _view(None, f"Removed story {story_id} and {report.vectors} cached vector(s) of it.")


def stories_tab():
    """The Stories tab; returns the handler and outputs that fill it on page load."""
    gr.Markdown("Your prepared stories, each scored on the signals of the behavioral, leadership, "
                "cross-functional and bar-raiser panels.")
    with gr.Row():
        with gr.Column(scale=3):
            pick = gr.Dropdown([], label="Your stories", elem_id="stories-pick")
            title = gr.Textbox(label="Title", lines=1, elem_id="stories-title")
            text = gr.Textbox(label="Story", lines=10, elem_id="stories-text",
                              placeholder="Situation, what you did, the result with numbers, what you learned.")
            tags = gr.Textbox(label="Tags (comma-separated, optional)", lines=1, elem_id="stories-tags")
            with gr.Row():
                add_btn = gr.Button("Add story", variant="primary", elem_id="stories-add")
                save_btn = gr.Button("Save changes", elem_id="stories-save")
                rm_btn = gr.Button("Remove", variant="stop", elem_id="stories-remove")
            status = gr.Markdown(elem_id="stories-status", latex_delimiters=[])
            with gr.Row():
                md_file = gr.DownloadButton("Download Markdown", elem_id="stories-download-md", interactive=False)
                json_file = gr.DownloadButton("Download JSON", elem_id="stories-download-json", interactive=False)
        with gr.Column(scale=2):
            view = gr.Markdown(NO_STORY, elem_id="stories-view", latex_delimiters=[])
    gr.Markdown("### Story × signal matrix")
    grid = gr.Markdown(elem_id="stories-matrix", latex_delimiters=[])
    outputs = [status, pick, title, text, tags, view, grid, md_file, json_file]
    pick.input(select, [pick], outputs)
    add_btn.click(add, [title, text, tags], outputs)
    save_btn.click(save, [pick, title, text, tags], outputs)
    rm_btn.click(remove, [pick], outputs)
    return refresh, None, outputs

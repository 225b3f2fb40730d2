"""The Stories tab in a real browser: a story typed in the form is scored and shows up in the
story x signal matrix, its HTML shown as text, and it downloads as Markdown."""

from __future__ import annotations

import uuid

from browser_helpers import MODEL_WAIT_MS, open_tab, wait_text

STORY = ("In 2022 I led the move of billing off the monolith, which froze releases for four teams for two hours "
         "each time. I wrote the migration plan with dual writes behind a feature flag and a nightly "
         "reconciliation job. Freezes went from two hours to zero and billing incidents fell from six a quarter to one.")


def test_a_story_added_in_the_stories_tab_is_in_the_matrix(page, tmp_path):
    suffix = uuid.uuid4().hex[:8]  # the shared app may hold other stories
    title = f"Billing <b>off</b> the monolith {suffix}"
    open_tab(page, "Stories")
    page.locator("#stories-title textarea, #stories-title input").first.fill(title)
    page.locator("#stories-text textarea").fill(STORY)
    page.locator("#stories-add").click()
    # The first story loads the embedding model and embeds four panels' rubrics: on 2 busy cores, minutes.
    wait_text(page, "#stories-status", "Added and scored story", timeout=2 * MODEL_WAIT_MS)
    grid = wait_text(page, "#stories-matrix", suffix)
    assert title in grid  # the title as typed: its tags are text, not markup
    assert "Personal ownership" in grid and "Gaps (" in grid
    assert page.locator("#stories-matrix b").count() == 0 and page.dialogs == []
    assert "Billing" in page.locator("#stories-view").inner_text()
    with page.expect_download() as info:
        page.locator("#stories-download-md").click()
    path = tmp_path / "story.md"
    info.value.save_as(path)
    text = path.read_text(encoding="utf-8")
    assert "dual writes behind a feature flag" in text and "## behavioral" in text

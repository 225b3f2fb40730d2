"""The Practice tab in Chromium: a vague answer in a mock interview puts its signal on the review
schedule, and "Practice weak areas" drills what is due. The test runs its own app: on the app the
other browser tests share, an earlier weak answer on the same signal has already scheduled it for
a later day, and nothing would be due."""

from __future__ import annotations

import pytest

from browser_helpers import MODEL_WAIT_MS, open_page, open_tab, private_data_dir, send, serve_app, start_interview, wait_text

# Scored 0 on its question's signal by the evidence scorer (on-topic words, nothing specific).
VAGUE = ("I would look at the system and think about what the users need. Then I would talk to the team about the "
         "design and we would build the service with some databases and servers, and then we would deploy it to "
         "production and see how it goes from there.")


@pytest.fixture
def own_page(browser, built_settings, tmp_path_factory):
    with serve_app(private_data_dir(built_settings, tmp_path_factory)) as url, open_page(browser, url) as pg:
        yield pg


def test_a_weak_answer_comes_back_in_the_practice_tab_and_a_drill_asks_it(own_page):
    page = own_page
    start_interview(page, "system-design", questions=1, followups=0)
    send(page, VAGUE)
    # The app's first scorecard embeds the scorer's reference sentences (cached afterwards): when this
    # test runs alone, on a busy machine, that takes minutes.
    page.locator("#mock-chat").get_by_text("Wrap-up").wait_for(timeout=2 * MODEL_WAIT_MS)

    open_tab(page, "Practice")
    page.locator("#practice-refresh").click()
    due = wait_text(page, "#practice-due", r"0/4", timeout=30_000)
    assert "system-design" in due and "new" in due

    page.locator("#practice-questions input[type=number]").fill("1")
    page.locator("#practice-questions input[type=number]").press("Enter")
    page.locator("#practice-start").click()
    chat = wait_text(page, "#practice-chat", r"Drill, part 1 of 1[\s\S]*\?", timeout=MODEL_WAIT_MS)
    assert "question 1 of 1" in chat
    page.locator("#practice-answer textarea").fill(VAGUE)
    page.locator("#practice-send").click()
    wait_text(page, "#practice-status", "finished")
    assert "end of the drill" in page.locator("#practice-chat").inner_text()
    assert "Scorecard: " in page.locator("#practice-chat").inner_text()

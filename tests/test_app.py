"""The web app in a real browser: `python app.py` as a subprocess, driven by Chromium via Playwright
(fixtures in conftest.py, helpers in browser_helpers.py)."""

from __future__ import annotations

import re

import pytest
from browser_helpers import (
    CONCRETE_ANSWER,
    GIBBERISH,
    MODEL_WAIT_MS,
    XSS,
    open_page,
    open_tab,
    private_data_dir,
    send,
    serve_app,
    start_interview,
    wait_text,
)

from coach.testing import free_port

pytestmark = pytest.mark.slow


def test_search_tab_returns_results(page):
    open_tab(page, "Search the corpus")
    page.locator("#query textarea").fill("how do I alert before the error budget is gone")
    page.locator("#search").click()
    results = page.locator("#results")
    results.get_by_role("heading", name="From the compendium").wait_for(timeout=60_000)  # grouped by kind, knowledge first
    assert results.get_by_role("row").count() >= 2  # a group's header + at least one hit
    assert "budget" in results.inner_text().lower()


def test_score_tab_scores_a_concrete_answer_and_abstains_on_gibberish(page):
    open_tab(page, "Score an answer")
    page.locator("#score-question textarea").fill("Design the home feed of a social network.")
    page.locator("#score-answer textarea").fill(CONCRETE_ANSWER)
    page.locator("#score-go").click()
    card = page.locator("#score-card")
    card.get_by_text("/100").wait_for(timeout=60_000)
    text = card.inner_text()
    assert "Overall" in text and "evidence" in text
    assert "the read/write mix" in text  # a quoted piece of evidence (under capacity math)

    page.locator("#score-answer textarea").fill(GIBBERISH)
    page.locator("#score-go").click()
    card.get_by_text("Not scored").wait_for(timeout=60_000)
    assert "/100" not in card.inner_text()


def test_mock_interview_asks_scores_maps_coverage_and_follows_up(page, tmp_path_factory):
    start_interview(page, "system-design", questions=2, followups=1)
    chat = page.locator("#mock-chat")
    first = chat.locator(".message").first.inner_text()
    assert "?" in first and "question 1 of 2" in first
    assert "system-design" in page.locator("#mock-status").inner_text()
    coverage = page.locator("#mock-coverage").inner_text()
    assert "Requirements and success criteria" in coverage and "not yet asked" in coverage
    assert "backend `embedded`" not in page.locator("#mock-backend").inner_text()  # rendered, not raw Markdown
    assert "embedded" in page.locator("#mock-backend").inner_text() and "model" in page.locator("#mock-backend").inner_text()
    wait_text(page, "#mock-timer", r"Answer time 0:0[2-9]", timeout=10_000)  # the answer timer counts in the page

    send(page, CONCRETE_ANSWER)
    text = wait_text(page, "#mock-scorecard", r"Overall \d+/100|Not scored")
    wait_text(page, "#mock-chat", r"Follow-up:|question 2 of 2")  # the next interviewer message
    assert re.search(r"answered in 0:\d\d", page.locator("#mock-chat").inner_text())  # the time taken, saved with the turn
    page.locator("#mock-levels-last svg, #mock-levels-last canvas").first.wait_for(timeout=30_000)  # the levels chart
    page.locator("#mock-levels-session svg, #mock-levels-session canvas").first.wait_for(timeout=30_000)
    assert "shard the posts table by user id" in page.locator("#mock-marked").inner_text()  # the answer, evidence marked
    if "Not scored" not in text:
        assert "/4 ·" in text and "“" in text  # per-signal levels with quoted evidence
    assert "Scorecard: " in chat.inner_text()
    assert "shard the posts table by user id" in chat.inner_text()  # the answer, in the transcript
    coverage = page.locator("#mock-coverage").inner_text()
    assert "evidenced" in coverage or "weak" in coverage
    shot = tmp_path_factory.mktemp("screenshots") / "mock-interview.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")


def test_mock_interview_shows_html_in_an_answer_as_text_and_wraps_up(page):
    start_interview(page, "behavioral", questions=1, followups=0)
    send(page, XSS)
    chat = page.locator("#mock-chat")
    chat.get_by_text("Wrap-up").wait_for(timeout=MODEL_WAIT_MS)
    shown = chat.inner_text()
    assert "<img src=x onerror=alert(1)>" in shown and "<script>alert(1)</script>" in shown  # shown as the characters typed
    assert chat.locator("img").count() == 0 and chat.locator("script").count() == 0  # ...and never turned into elements
    assert page.locator("#mock-scorecard img").count() == 0
    assert page.dialogs == []
    assert "finished" in page.locator("#mock-status").inner_text()


def test_a_backend_failure_is_an_error_naming_the_backend_not_a_question(browser, built_settings, tmp_path_factory):
    closed = free_port()  # nothing listens there
    data = private_data_dir(built_settings, tmp_path_factory)
    with serve_app(data, COACH_BACKEND="openai", COACH_OPENAI_BASE_URL=f"http://127.0.0.1:{closed}/v1") as url:
        with open_page(browser, url) as page:
            page.locator("#mock-start").click()
            error = page.get_by_text("openai LLM backend failed").first
            error.wait_for(timeout=MODEL_WAIT_MS)
            assert f"127.0.0.1:{closed}" in page.locator("body").inner_text()
            assert page.locator("#mock-chat .message").count() == 0  # no invented question


def test_every_panel_asks_composed_questions_and_follow_ups_with_no_fallback_label(browser, app_url):
    """One short interview per panel, each in a fresh page: what the interviewer says is composed,
    so nothing shown is labelled as taken from a bank, and every message is one question."""
    from coach.corpus.schema import PANEL_SLUGS

    for slug in PANEL_SLUGS:
        with open_page(browser, app_url) as page:
            page.locator("#mock-focus textarea").fill("payments and checkout" if slug != "behavioral" else "a migration")
            start_interview(page, slug, questions=1, followups=1)
            first = page.locator("#mock-chat .message").first.inner_text()
            assert "?" in first and "bank" not in first, (slug, first)
            send(page, CONCRETE_ANSWER)
            wait_text(page, "#mock-chat", r"Follow-up:|Wrap-up")
            chat = page.locator("#mock-chat").inner_text()
            assert "bank" not in chat and "fallback" not in chat.lower(), (slug, chat)
            follow = [m for m in page.locator("#mock-chat .message").all_inner_texts() if "Follow-up:" in m]
            assert all("?" in m for m in follow), (slug, follow)


def test_an_interrupted_session_is_listed_and_resumed_in_a_new_page(browser, app_url):
    with open_page(browser, app_url) as first:
        start_interview(first, "leadership", questions=2, followups=1)
        send(first, CONCRETE_ANSWER)
        wait_text(first, "#mock-chat", r"Follow-up:|question 2 of 2")
        session = re.search(r"Session\s+`?([0-9a-f]{12})", first.locator("#mock-status").inner_text()).group(1)
        pending = first.locator("#mock-chat .message").last.inner_text()
    with open_page(browser, app_url) as page:  # the first page is gone, as after a closed tab
        page.get_by_text("Past sessions").click()
        wait_text(page, "#mock-history", session, timeout=30_000)  # listed, with its status
        assert "active (1 answered)" in page.locator("#mock-history").inner_text()
        assert session in page.locator("#mock-resume-pick input").input_value()  # newest unfinished first
        page.locator("#mock-resume").click()
        wait_text(page, "#mock-status", session, timeout=60_000)
        chat = page.locator("#mock-chat").inner_text()
        assert "shard the posts table by user id" in chat and pending.splitlines()[0] in chat
        send(page, CONCRETE_ANSWER)
        wait_text(page, "#mock-chat", r"question 2 of 2")  # the session carries on where it stopped


def test_two_browser_sessions_at_once_never_see_each_others_answers(browser, app_url):
    """Two people at the same time: each chat shows its own answers and never the other's."""
    with open_page(browser, app_url) as alice, open_page(browser, app_url) as bob:
        start_interview(alice, "system-design", questions=2, followups=0)
        start_interview(bob, "leadership", questions=2, followups=0)
        send(alice, CONCRETE_ANSWER + " Marker alpha-7731.")
        send(bob, CONCRETE_ANSWER + " Marker bravo-4410.")  # sent while alice's answer is being scored
        wait_text(alice, "#mock-chat", r"question 2 of 2")
        wait_text(bob, "#mock-chat", r"question 2 of 2")
        a, b = alice.locator("#mock-chat").inner_text(), bob.locator("#mock-chat").inner_text()
        assert "alpha-7731" in a and "bravo-4410" not in a
        assert "bravo-4410" in b and "alpha-7731" not in b
        assert "alpha-7731" not in bob.locator("#mock-marked").inner_text()
        assert alice.locator("#mock-status").inner_text() != bob.locator("#mock-status").inner_text()  # two sessions

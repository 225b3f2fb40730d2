"""The Progress tab in Chromium: a session run in the page shows up in the charts and the session
list, its transcript opens, and its Markdown download holds the answer."""

from __future__ import annotations

import re

from browser_helpers import CONCRETE_ANSWER, MODEL_WAIT_MS, open_tab, send, start_interview, wait_text


def test_a_finished_session_is_charted_read_and_downloaded(page):
    start_interview(page, "system-design", questions=1, followups=0)
    send(page, CONCRETE_ANSWER)
    page.locator("#mock-chat").get_by_text("Wrap-up").wait_for(timeout=MODEL_WAIT_MS)
    session = re.search(r"Session\s+`?([0-9a-f]{12})", page.locator("#mock-status").inner_text()).group(1)

    open_tab(page, "Progress")  # opening the tab refreshes it
    wait_text(page, "#progress-history", session, timeout=30_000)
    for chart in ("#progress-pass-rate", "#progress-trends"):
        img = page.locator(f"{chart} img")
        img.wait_for(timeout=30_000)
        assert img.get_attribute("src").startswith("data:image/svg+xml;base64,")
        assert img.evaluate("el => el.complete && el.naturalWidth > 0")  # the browser drew it
    heatmap = page.locator("#progress-heatmap table")  # the coverage heatmap: a table of coloured cells
    heatmap.wait_for(timeout=30_000)
    assert "system-design" in heatmap.inner_text() and heatmap.locator("td[style*='background']").count() > 0
    page.get_by_text("The same figures as tables").click()
    wait_text(page, "#progress-tables", r"Progress over \d+ scored session", timeout=30_000)

    page.locator("#progress-session input").click()
    page.locator("#progress-session input").fill(session)
    page.get_by_role("option", name=re.compile(session)).click()
    text = wait_text(page, "#progress-transcript", "shard the posts table", timeout=30_000)
    assert "Wrap-up" in text and session in text

    download = page.locator("#progress-download-md")
    page.wait_for_function("() => !document.querySelector('#progress-download-md').disabled", timeout=30_000)
    with page.expect_download(timeout=30_000) as info:
        download.click()
    content = open(info.value.path(), encoding="utf-8").read()
    assert content.startswith("# Mock interview: System Design")
    assert "shard the posts table by user id" in content and f"`{session}`" in content

"""Driving the web app in a real browser: `python app.py` as a subprocess, Chromium via Playwright.

The fixtures that use these (`app_url`, `browser`, `page`) live in conftest.py, scoped to the whole
run, so every browser test file shares one app and one Chromium: a test must not assume the app's
history is empty.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

from coach.config import REPO_ROOT
from coach.testing import free_port, serve

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_S = 120
APP_LOGS: dict[str, Path] = {}  # app URL -> its log, quoted when a wait fails
MODEL_WAIT_MS = 150_000  # the first question loads the LLM and generates several candidates on 2 cores

CONCRETE_ANSWER = (
    "I would start from the read/write mix: about 20k writes per second at peak and 200k reads, with a p99 "
    "latency SLO of 200 ms. I would shard the posts table by user id, because it spreads writes evenly, and "
    "accept eventual consistency for the feed, which I would state explicitly. The trade-off is cross-shard "
    "queries for celebrity accounts, so we fan out on read for them. For failures we add timeouts, retry "
    "budgets and load shedding, and alert on error-budget burn rate. We roll out behind a feature flag with a "
    "canary and a rehearsed rollback."
)
GIBBERISH = " ".join(["blorf zanky quimble frobnax"] * 8)
XSS = ("<img src=x onerror=alert(1)> I would shard by user id <script>alert(1)</script> and alert on burn rate, then roll "
       "out behind a canary.")


@contextmanager
def serve_app(data: Path, *args: str, **extra_env: str):
    """`python app.py ARGS` on a free port with COACH_DATA_DIR=`data`; yields its URL once the page answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")}
    env.update(
        COACH_DATA_DIR=str(data),
        COACH_PORT=str(port),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        GRADIO_ANALYTICS_ENABLED="False",
        PYTHONUNBUFFERED="1",
        **extra_env,
    )
    url = f"http://127.0.0.1:{port}/"
    APP_LOGS[url] = data / "app.log"
    with serve([sys.executable, "app.py", *args], url, data / "app.log", STARTUP_S, cwd=REPO_ROOT, env=env):
        yield url


def private_data_dir(built_settings, tmp_path_factory) -> Path:
    """A copy of the built index: sessions written by the app stay out of the shared one."""
    data = tmp_path_factory.mktemp("app-data")
    shutil.copytree(built_settings.index_dir, data / "index")
    return data


@contextmanager
def open_page(browser, url: str):
    """A fresh browser context on the app; `page.dialogs` collects any alert() that fires."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.goto(url, wait_until="domcontentloaded")
    pg.get_by_role("tab", name="Mock interview").wait_for(timeout=30_000)
    try:
        yield pg
    finally:
        context.close()


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def choose(page, elem_id: str, option: str) -> None:
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def start_interview(page, panel: str, questions: int, followups: int) -> None:
    choose(page, "mock-panel", panel)
    for elem_id, value in (("mock-questions", questions), ("mock-followups", followups)):
        box = page.locator(f"#{elem_id} input[type=number]")
        box.fill(str(value))
        box.press("Enter")
    page.locator("#mock-start").click()
    page.locator("#mock-chat .message").first.wait_for(timeout=MODEL_WAIT_MS)


def send(page, text: str) -> None:
    page.locator("#mock-answer textarea").fill(text)
    page.locator("#mock-send").click()


def wait_text(page, selector: str, pattern: str, timeout: int = MODEL_WAIT_MS) -> str:
    """Wait until the element's text matches the regex `pattern`; returns the text.

    An error toast ends the wait at once, and a failed wait says what the page and the app showed
    instead, so a failure in CI explains itself."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            "([sel, pat]) => new RegExp(pat).test(document.querySelector(sel)?.innerText ?? '')"
            " || [...document.querySelectorAll('.toast-body')].some(t => /error/i.test(t.innerText))",
            arg=[selector, pattern],
            timeout=timeout,
        )
    except PlaywrightTimeout:
        raise AssertionError(f"No /{pattern}/ in {selector} after {timeout} ms.\n{_what_was_shown(page, selector)}") from None
    text = page.locator(selector).inner_text()
    if not re.search(pattern, text):
        raise AssertionError(f"An error was shown instead of /{pattern}/ in {selector}.\n{_what_was_shown(page, selector)}")
    return text


def _what_was_shown(page, selector: str) -> str:
    shown = page.locator(selector).inner_text() if page.locator(selector).count() else "(no such element)"
    toasts = page.locator(".toast-body").all_inner_texts()
    log = APP_LOGS.get(page.url.split("?")[0])
    tail = log.read_text(encoding="utf-8", errors="replace")[-3000:] if log and log.exists() else "(no app log)"
    return f"element: {shown[:500]!r}\ntoasts: {toasts}\napp log tail:\n{tail}"



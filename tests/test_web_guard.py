"""The web app's defences: loopback unless a login is set, no share links, and a named size limit on
every text it accepts (the text stays where it was typed)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from coach.config import REPO_ROOT
from coach.errors import UserInputError
from coach.web.launch import check_exposure, is_loopback, parse_auth


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True), ("127.3.2.1", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("coach.example.com", False),
])
def test_which_addresses_stay_on_this_machine(host, loopback):
    assert is_loopback(host) is loopback


def test_a_login_is_user_colon_password():
    assert parse_auth("coach:s3cret:with:colons") == ("coach", "s3cret:with:colons")
    assert parse_auth(None) is None and parse_auth("  ") is None
    for bad in ("coach", ":pw", "coach:"):
        with pytest.raises(UserInputError, match="user:password"):
            parse_auth(bad)


def test_beyond_loopback_the_app_needs_a_login():
    check_exposure("127.0.0.1", None)
    check_exposure("0.0.0.0", ("coach", "pw"))
    with pytest.raises(UserInputError, match="Refusing to listen on 0.0.0.0 without a login"):
        check_exposure("0.0.0.0", None)


def test_app_py_refuses_to_start_on_all_interfaces_without_a_login(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")} | {"COACH_DATA_DIR": str(tmp_path)}
    for argv, extra in ((["--host", "0.0.0.0"], {}), ([], {"COACH_HOST": "0.0.0.0"}), (["--host", "0.0.0.0", "--auth", "nopassword"], {})):
        done = subprocess.run([sys.executable, "app.py", *argv], cwd=REPO_ROOT, env=env | extra, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 2, done.stderr
        assert "--auth user:password" in done.stderr or "user:password" in done.stderr
        assert "Running on" not in done.stdout  # it never listened


def test_every_text_input_has_a_named_limit_and_nothing_is_done_past_it(fake_coach, tmp_path):
    gr = pytest.importorskip("gradio")
    from coach.session.store import SessionStore
    from coach.web import common, interview, loop, score, search

    coach = fake_coach.with_parts(store=SessionStore(tmp_path / "sessions.sqlite3"))
    common.use(coach)
    try:
        with pytest.raises(gr.Error, match="The answer is 20,001 characters; the limit is 20,000"):
            score.score("coding", "", "x" * 20_001)
        with pytest.raises(gr.Error, match="The question is .* the limit is 4,000"):
            score.score("coding", "q" * 4_001, "An answer.")
        with pytest.raises(gr.Error, match="The search query is .* the limit is 1,000"):
            search.search("w " * 600, "any", 3)
        with pytest.raises(gr.Error, match="The focus is .* the limit is 20,000"):
            list(interview.start("coding", "staff", 1, 0, 1, "payments " * 3_000))
        with pytest.raises(gr.Error, match="The answer is .* the limit is 20,000"):
            list(interview.answer("no-such-session", "y" * 20_001, None))  # refused before the session is looked up
        with pytest.raises(gr.Error, match="The answer is .* the limit is 20,000"):
            loop.answer("no-such-loop", "y" * 20_001)
    finally:
        common.use(None)
    assert coach.list_sessions() == []  # no session was started by the refused focus


@pytest.mark.slow
def test_with_a_login_nothing_is_served_before_it(browser, built_settings, tmp_path_factory):
    import urllib.error
    import urllib.request

    from browser_helpers import private_data_dir, serve_app

    with serve_app(private_data_dir(built_settings, tmp_path_factory), "--auth", "coach:s3cret") as url:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url + "config", timeout=30)  # the app's layout and endpoints: refused
        assert refused.value.code == 401
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(url, wait_until="domcontentloaded")
            page.locator("input[type=password]").wait_for(timeout=30_000)
            page.locator("input[type=text]").fill("coach")
            page.locator("input[type=password]").fill("wrong")
            page.get_by_role("button", name="Login").click()
            page.get_by_text("Incorrect Credentials").wait_for(timeout=30_000)
            page.locator("input[type=text]").fill("coach")  # the form starts over after a failed login
            page.locator("input[type=password]").fill("s3cret")
            page.get_by_role("button", name="Login").click()
            page.get_by_role("tab", name="Mock interview").wait_for(timeout=60_000)
        finally:
            context.close()

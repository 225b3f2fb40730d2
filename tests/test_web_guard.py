"""The web app's defences: loopback unless a login is set, no share links, and a named size limit on
every text it accepts (the text stays where it was typed)."""

from __future__ import annotations

import os
import re
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


def test_a_login_is_user_colon_password_and_several_are_comma_separated():
    assert parse_auth("coach:s3cret:with:colons") == [("coach", "s3cret:with:colons")]
    assert parse_auth("alice:pw1, bob:pw2") == [("alice", "pw1"), ("bob", "pw2")]
    assert parse_auth(None) is None and parse_auth("  ") is None
    for bad in ("coach", ":pw", "coach:", "alice:pw1,"):
        with pytest.raises(UserInputError, match="user:password"):
            parse_auth(bad)
    with pytest.raises(UserInputError, match="name a user twice: alice"):
        parse_auth("alice:a,alice:b")


def test_beyond_loopback_the_app_needs_a_login():
    check_exposure("127.0.0.1", None)
    check_exposure("0.0.0.0", [("coach", "pw")])
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


def test_share_links_stay_off_even_when_gradio_share_asks_for_one(monkeypatch):
    """GRADIO_SHARE=True makes Gradio open a public link when launch() leaves `share` unset: the app
    sets it off. The real launch runs (on loopback, not blocking) and is closed at once."""
    gr = pytest.importorskip("gradio")
    import coach.web as web
    from coach.testing import free_port
    from coach.web import common

    seen: dict = {}
    launch = gr.Blocks.launch

    def launched(self, *args, **kwargs):
        seen.update(kwargs)
        launch(self, *args, **{**kwargs, "server_port": free_port(), "prevent_thread_lock": True})
        seen.update(demo_share=self.share, share_url=self.share_url, local_url=self.local_url)
        self.close()

    monkeypatch.setattr(gr.Blocks, "launch", launched)
    monkeypatch.setattr(common, "warm_up", lambda: None)  # no models: nothing is asked of them here
    monkeypatch.setattr(common, "PER_LOGIN", common.PER_LOGIN)
    monkeypatch.setenv("GRADIO_SHARE", "True")
    web.main([])
    assert seen["share"] is False and seen["server_name"] == "127.0.0.1", seen
    assert seen["demo_share"] is False and seen["share_url"] is None and "127.0.0.1" in seen["local_url"], seen


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


def _log_in(browser, url: str, user: str, password: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.locator("input[type=password]").wait_for(timeout=30_000)
    page.locator("input[type=text]").fill(user)
    page.locator("input[type=password]").fill(password)
    page.get_by_role("button", name="Login").click()
    return context, page


@pytest.mark.slow
def test_with_logins_nothing_is_served_before_one_and_two_people_never_see_each_other(browser, built_settings, tmp_path_factory):
    import urllib.error
    import urllib.request

    from browser_helpers import CONCRETE_ANSWER, private_data_dir, send, serve_app, start_interview, wait_text

    with serve_app(private_data_dir(built_settings, tmp_path_factory), "--auth", "alice:pw-a,bob:pw-b") as url:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url + "config", timeout=30)  # the app's layout and endpoints: refused
        assert refused.value.code == 401
        wrong, page = _log_in(browser, url, "alice", "wrong")
        page.get_by_text("Incorrect Credentials").wait_for(timeout=30_000)
        wrong.close()
        (ca, alice), (cb, bob) = _log_in(browser, url, "alice", "pw-a"), _log_in(browser, url, "bob", "pw-b")
        try:
            for page in (alice, bob):
                page.get_by_role("tab", name="Mock interview").wait_for(timeout=60_000)
            start_interview(alice, "behavioral", questions=2, followups=0)
            start_interview(bob, "behavioral", questions=2, followups=0)
            send(alice, CONCRETE_ANSWER + " Marker alpha-7731.")
            send(bob, CONCRETE_ANSWER + " Marker bravo-4410.")  # at the same time
            wait_text(alice, "#mock-chat", r"question 2 of 2")
            wait_text(bob, "#mock-chat", r"question 2 of 2")
            assert "bravo-4410" not in alice.locator("#mock-chat").inner_text()
            assert "alpha-7731" not in bob.locator("#mock-chat").inner_text()
            mine = re.search(r"Session\s+([0-9a-f]{12})", alice.locator("#mock-status").inner_text()).group(1)
            bob.get_by_text("Past sessions").click()
            bob.locator("#mock-history-refresh").click()
            bob_history = wait_text(bob, "#mock-history", r"active", timeout=30_000)
            assert len([line for line in bob_history.splitlines() if "active" in line]) == 1  # only Bob's own
            assert mine not in bob_history
        finally:
            ca.close()
            cb.close()


def test_with_several_logins_each_person_has_their_own_sessions(fake_coach, tmp_path):
    """Alice's answers never reach Bob's chat, past sessions or resume; the models are shared."""
    gr = pytest.importorskip("gradio")
    from coach.config import Settings
    from coach.root import Coach
    from coach.web import common, interview, progress

    shared = Coach(Settings(data_dir=tmp_path, embedding_model=fake_coach.settings.embedding_model)).with_parts(
        **{k: v for k, v in fake_coach.__dict__.items() if k in ("corpus", "embedder", "index", "retriever")})
    alice, bob = gr.Request(username="alice"), gr.Request(username="bob")
    common.use(shared, per_login=True)
    try:
        *_, first = interview.start("behavioral", "staff", 2, 0, 3, "", request=alice)
        session_id = first[0]
        *_, after = interview.answer(session_id, "Alice's marker answer: I led the zq-4471 migration.", None, request=alice)
        assert "zq-4471" in str(after[0])
        assert session_id in interview.past_sessions(request=alice)[0]
        assert session_id not in interview.past_sessions(request=bob)[0]  # not in Bob's history
        assert session_id not in str(progress.refresh(request=bob))
        with pytest.raises(gr.Error):
            list(interview.resume(session_id, request=bob))  # nor can Bob open it
        with pytest.raises(gr.Error):
            list(interview.answer(session_id, "Bob writing into Alice's interview.", None, request=bob))
    finally:
        common.use(None)
    people = list((tmp_path / "users").iterdir())
    assert len(people) == 2 and not (tmp_path / "sessions.sqlite3").exists()  # no shared history was written

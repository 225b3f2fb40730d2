"""Bad input through the web handlers of the Practice, Stories, Mock interview and Progress tabs,
property-based (hypothesis draws the text; the issue's listed inputs are explicit examples): only
gr.Error comes out, a refusal names the limit, what is shown renders as text; and the limits of the
Practice answer and the story form, each refused with its number before anything is done.

Fast tier: the toy embedder, a real SQLite store; a scorer double gives the levels that put
signals on the review schedule (the real scorer abstains on the toy embedder).
"""

from __future__ import annotations

import pytest
from bad_input_cases import RELAXED, SENTENCE, TEXT, assert_inert_markdown, listed
from history_helpers import run_session
from hypothesis import given

from coach.session.store import SessionStore
from coach.stories import bank
from coach.stories.files import StoryDraft
from coach.testing import FakeBackend, FakeScorer

gr = pytest.importorskip("gradio")
from coach.web import common, interview, practice, progress, stories  # noqa: E402

WEAK = "level 0: I would not know where to start."


def _weak_only(answer: str) -> int | None:
    # The seeded session's answers put its signals on the schedule; every other answer abstains,
    # so the schedule stays as it is whatever the drills are sent.
    return 0 if answer == WEAK else None


@pytest.fixture
def web(fake_coach, tmp_path):
    coach = fake_coach.with_parts(store=SessionStore(tmp_path / "sessions.sqlite3"), backend=FakeBackend(lambda p, s: " And then?"),
                                  evidence_scorer=FakeScorer(_weak_only))
    run_session(coach, [WEAK, WEAK], questions=2, followups=0)
    common.use(coach)
    yield coach
    common.use(None)


def _shown(parts, headings: bool = False) -> None:
    """Everything a handler returned that is shown as Markdown or chat renders as text."""
    for part in parts:
        if isinstance(part, str):
            assert_inert_markdown(part, headings)
        elif isinstance(part, list):
            for message in part:
                if isinstance(message, dict) and isinstance(message.get("content"), str):
                    assert_inert_markdown(message["content"])


def _refused(err: gr.Error, text: str) -> None:
    assert err.message.strip()
    if len(text) > 20_000:
        assert "the limit is" in err.message, err.message


def _drill_session(state: dict) -> str:
    (session_id,) = state["sessions"]
    return session_id


def _answer(coach, session_id: str) -> str | None:
    return coach.load_session(session_id).turns[0].answer


@RELAXED
@given(TEXT)
@listed
def test_a_practice_answer_is_any_text_or_a_refusal_naming_the_limit(web, text):
    state = practice.start(1, "staff")[0]
    session_id = _drill_session(state)
    try:
        shown = practice.answer(state, text)
    except gr.Error as err:
        _refused(err, text)
        assert _answer(web, session_id) is None  # nothing of the refused text was saved: the question still waits
        return
    _shown(shown)
    assert _answer(web, session_id) == text  # saved as typed


@RELAXED
@given(TEXT)
@listed
def test_the_story_form_takes_any_title_text_and_tags(web, text):
    existing = bank.add(web, StoryDraft("A story to edit", SENTENCE, []))
    for fields in ((text, SENTENCE, ""), ("A title", text, ""), ("A title", SENTENCE, text[:2_000])):
        for handler in (lambda: stories.add(*fields), lambda: stories.save(existing.id, *fields)):
            before = [(s.id, s.title, s.text, s.tags) for s in bank.stories(web).all()]
            try:
                shown = handler()
            except gr.Error as err:
                _refused(err, fields[1])
                assert [(s.id, s.title, s.text, s.tags) for s in bank.stories(web).all()] == before  # nothing saved
                continue
            status, _, title, story_text, _, view, matrix, *_ = shown
            _shown([status, view, matrix], headings=True)  # the Markdown; the form's boxes hold plain text
            assert (title, story_text) == (" ".join(fields[0].split()), fields[1].strip())  # as typed
    bank.remove(web, [s.id for s in bank.stories(web).all()])


@RELAXED
@given(TEXT)
@listed
def test_a_session_id_of_any_text_is_refused_by_name(web, text):
    for call in (lambda: list(interview.resume(text)), lambda: [interview.suggest_story(text)],
                 lambda: list(progress.open_session(text)), lambda: list(interview.retry(text))):
        try:
            shown = call()
        except gr.Error as err:
            assert err.message.strip() and "Traceback" not in err.message
            continue
        assert not text.strip() or text in {s["id"] for s in web.list_sessions()}, text  # only an empty id is not an error
        _shown([p for p in shown if isinstance(p, str)])


# --- the limits, named, with nothing done past them ----------------------------------------------


def test_a_practice_answer_over_the_limit_is_refused_naming_it_and_the_question_still_waits(web):
    state = practice.start(1, "staff")[0]
    with pytest.raises(gr.Error, match="The answer is 20,001 characters; the limit is 20,000"):
        practice.answer(state, "x" * 20_001)
    assert _answer(web, _drill_session(state)) is None
    practice.answer(state, "y" * 20_000)  # at the limit it is taken
    assert _answer(web, _drill_session(state)) == "y" * 20_000


@pytest.mark.parametrize("title, text, tags, limit", [
    ("t" * 201, SENTENCE, "", "the limit is 200"),
    ("A title", "x" * 20_001, "", "the limit is 20,000"),
    ("A title", SENTENCE, ", ".join(f"tag{n}" for n in range(21)), "the limit is 20 tags of 40 characters"),
    ("A title", SENTENCE, "t" * 41, "the limit is 20 tags of 40 characters"),
], ids=["title", "text", "tag count", "tag length"])
def test_the_story_form_over_a_limit_is_refused_naming_it_and_nothing_is_saved(web, title, text, tags, limit):
    kept = bank.add(web, StoryDraft("Kept as it was", SENTENCE, ["kept"]))
    before = [(s.id, s.title, s.text, s.tags, s.updated_at) for s in bank.stories(web).all()]
    for handler in (lambda: stories.add(title, text, tags), lambda: stories.save(kept.id, title, text, tags)):
        with pytest.raises(gr.Error, match=limit):
            handler()
    assert [(s.id, s.title, s.text, s.tags, s.updated_at) for s in bank.stories(web).all()] == before
    stories.add("t" * 200, "x" * 20_000, ", ".join(f"t{n}" for n in range(20)))  # at every limit it is taken
    assert len(bank.stories(web).all()) == len(before) + 1

"""The story bank on the toy embedder: saving and rescoring, nothing half-written, the matrix's
gaps and overlaps, and which story a question gets."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from coach.errors import UserInputError
from coach.scoring.scorecard import Scorecard, ScorerInfo, SignalResult
from coach.stories import bank
from coach.stories.files import StoryDraft
from coach.stories.matrix import GOOD_LEVEL, matrix, overlaps
from coach.stories.store import STORY_PANELS, Story
from coach.stories.suggest import MIN_TEXT_FIT, suggest

OUTAGE = StoryDraft("Outage I caused", "I approved a config change that took down checkout for 47 minutes. "
                    "I skipped the canary. I wrote the postmortem and we added a canary rule.", ["failure"])
MENTOR = StoryDraft("Growing two tech leads", "I gave two senior engineers ownership of a subsystem each. "
                    "We paired on design docs. Review wait time fell from nine days to two.")


@pytest.fixture
def coach(fake_settings, tmp_path):
    from coach.config import Settings
    from coach.root import Coach

    return Coach(Settings(data_dir=tmp_path / "bank", embedding_model=fake_settings.embedding_model))


def spy_scores(coach, monkeypatch, fail_on: str | None = None) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []
    real = coach.score

    def score(panel, text, question="", **kw):
        calls.append((panel, text))
        if panel == fail_on:
            raise UserInputError("scoring failed", "try again")
        return real(panel, text, question, **kw)

    monkeypatch.setattr(coach, "score", score)
    return calls


def test_a_story_is_scored_on_the_four_panels_and_saved(coach, monkeypatch):
    calls = spy_scores(coach, monkeypatch)
    story = bank.add(coach, OUTAGE)
    assert calls == [(p, OUTAGE.text) for p in STORY_PANELS]
    assert list(story.scorecards) == list(STORY_PANELS)
    assert all(c.question == "" and c.answered == "not checked" for c in story.scorecards.values())  # no question: no alignment
    again = bank.stories(coach).get(story.id)
    assert again == story and again.tags == ["failure"]
    assert coach.store.schema_version() >= 6
    with closing(sqlite3.connect(coach.settings.sessions_db)) as db:
        assert db.execute("SELECT title FROM stories").fetchall() == [("Outage I caused",)]


def test_a_story_that_fails_to_score_is_not_saved(coach, monkeypatch):
    spy_scores(coach, monkeypatch, fail_on="cross-functional")
    with pytest.raises(UserInputError):
        bank.add(coach, OUTAGE)
    assert bank.stories(coach).all() == []


def test_editing_rescores_the_new_text_only_when_it_changed(coach, monkeypatch):
    story = bank.add(coach, OUTAGE)
    calls = spy_scores(coach, monkeypatch)
    retitled = bank.edit(coach, story.id, StoryDraft("Checkout outage", OUTAGE.text, ["ops"]))
    assert calls == [] and retitled.scorecards == story.scorecards and retitled.title == "Checkout outage"
    rewritten = bank.edit(coach, story.id, MENTOR)
    assert calls == [(p, MENTOR.text) for p in STORY_PANELS]
    assert rewritten.created_at == story.created_at and rewritten.updated_at > story.updated_at
    assert bank.stories(coach).get(story.id).text == MENTOR.text
    with pytest.raises(UserInputError, match="No story"):
        bank.edit(coach, "nope", MENTOR)


def test_remove_one_all_or_refuse_an_unknown_id_before_deleting(coach):
    a, b, c = (bank.add(coach, d) for d in (OUTAGE, MENTOR, OUTAGE))
    with pytest.raises(UserInputError) as info:
        bank.remove(coach, [a.id, "feedbeef"])
    assert "coach stories list" in info.value.hint and len(bank.stories(coach).all()) == 3
    assert bank.remove(coach, [a.id]).stories == [a.id]
    assert [s.id for s in bank.stories(coach).all()] == [b.id, c.id]
    assert bank.remove(coach).stories == [b.id, c.id] and bank.stories(coach).all() == []


# -- the matrix ----------------------------------------------------------------------------------


def story(coach, sid: str, title: str, text: str, levels: dict[str, int | None], at: float) -> Story:
    """A story with the levels given ('panel/signal' -> level; every other signal at 1)."""
    cards = {}
    for slug in STORY_PANELS:
        sigs = [SignalResult(id=s.id, name=s.name, level=levels.get(f"{slug}/{s.id}", 1)) for s in coach.panel(slug).signals]
        cards[slug] = Scorecard(panel=slug, overall=40, band="lean-no", signals=sigs, scorer=ScorerInfo(name="t", version="1"))
    return Story(id=sid, title=title, text=text, created_at=at, updated_at=at, scorecards=cards)


BILLING = ("We moved billing off the monolith with dual writes behind a flag. A nightly reconciliation job compared "
           "both ledgers. Release freezes went from two hours to zero.")


def test_gaps_are_signals_no_story_reaches_level_3_on(coach):
    items = [story(coach, "a", "A", BILLING, {"behavioral/personal-ownership": GOOD_LEVEL, "leadership/hard-calls": 2}, 1),
             story(coach, "b", "B", MENTOR.text, {"leadership/multiplying-others": 4, "bar-raiser/judgment": None}, 2)]
    m = matrix(coach, items)
    every = [f"{p}/{s.id}" for p in STORY_PANELS for s in coach.panel(p).signals]
    assert [f"{r.panel}/{r.signal}" for r in m.rows] == every
    assert set(every) - set(m.gaps) == {"behavioral/personal-ownership", "leadership/multiplying-others"}
    judgment = next(r for r in m.rows if r.signal == "judgment")
    assert judgment.levels == {"a": 1, "b": None} and judgment.best == 1 and judgment.gap
    assert matrix(coach, []).gaps == every


def test_overlap_needs_similar_text_and_no_signal_of_its_own(coach):
    strong = {"behavioral/personal-ownership": 3, "cross-functional/stakeholder-mapping": 2}
    first = story(coach, "first", "Billing migration", BILLING, strong, 1)
    retold = story(coach, "retold", "Billing cutover", BILLING.replace("two hours", "2 hours"), {"behavioral/personal-ownership": 2}, 2)
    other = story(coach, "other", "Mentoring", MENTOR.text, strong, 3)
    [o] = overlaps(coach.embedder, [first, retold, other])
    assert (o.kept, o.redundant) == ("first", "retold") and o.signals == ["behavioral/personal-ownership"]
    assert o.text_cosine >= 0.8
    # The retelling shows a signal the first does not: it adds something, so no overlap.
    adds = story(coach, "adds", "Billing cutover", retold.text, {"bar-raiser/judgment": 3}, 2)
    assert overlaps(coach.embedder, [first, adds]) == []
    # Equal on every signal: the later one is the redundant one, whichever order they come in.
    twin = story(coach, "twin", "Billing migration", BILLING, strong, 5)
    assert [(o.kept, o.redundant) for o in overlaps(coach.embedder, [first, twin])] == [("first", "twin")]


# -- suggestions ---------------------------------------------------------------------------------


def test_the_story_about_the_question_is_suggested_and_ranked_first(coach):
    bank.add(coach, OUTAGE)
    mentor = bank.add(coach, MENTOR)
    s = suggest(coach, "leadership", "Tell me how review wait time fell from nine days to two.")
    assert s.best is not None and s.best.story == mentor.id and s.ranked[0] == s.best
    assert s.best.text_fit >= MIN_TEXT_FIT > s.ranked[1].text_fit
    assert s.best.closest[0] == "Review wait time fell from nine days to two."
    assert len(s.signals) == 2 and all(sig in {x.id for x in coach.panel("leadership").signals} for sig in s.signals)


def test_no_story_fits_is_said_not_forced(coach):
    assert "empty" in suggest(coach, "behavioral", "Tell me about a failure.").reason
    bank.add(coach, OUTAGE)
    s = suggest(coach, "bar-raiser", "Which programming language do you like best, and why?")
    assert s.best is None and "No story fits" in s.reason and s.ranked  # still ranked, for the curious


def test_signal_levels_break_ties_between_equally_close_stories(coach):
    text = "I negotiated scope with product and shipped ranking first."
    weak = story(coach, "weak", "Scope", text, {}, 1)
    strong = story(coach, "strong", "Scope", text, {"cross-functional/scope-negotiation": 4}, 2)
    bank.stories(coach).insert(strong)
    bank.stories(coach).insert(weak)
    s = suggest(coach, "cross-functional", "Tell me how you negotiated scope with product.", signals=["scope-negotiation"])
    assert [f.story for f in s.ranked] == ["strong", "weak"] and s.ranked[0].levels == {"scope-negotiation": 4}


def test_only_the_story_panels_get_suggestions(coach):
    with pytest.raises(UserInputError) as info:
        suggest(coach, "system-design", "Design a cache")
    assert "behavioral" in info.value.hint and "bar-raiser" in info.value.hint
    with pytest.raises(UserInputError, match="empty"):
        suggest(coach, "behavioral", "  ")

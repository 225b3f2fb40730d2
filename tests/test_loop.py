"""The onsite loop on the toy embedder and the fake backend: the overall rule, cross-panel themes,
the packet's rendering (user text escaped), candidate-script errors, and resuming a loop between
panels and within one."""

from __future__ import annotations

import json

import pytest
import yaml
from history_helpers import ANSWERS, invoke as cli, use_data_dir

from coach.corpus.loader import load_corpus
from coach.errors import CorpusError, UserInputError
from coach.loop import Loop, load_candidate, recommend_loop
from coach.loop.debrief import Debrief, PanelDebrief, PanelQuote, _theme
from coach.loop.store import LoopStore
from coach.loop.themes import load_themes
from coach.render.debrief import to_html, to_markdown
from coach.root import Coach
from coach.scoring.pooling import LabelledQuote, PooledSignal, SessionScore

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def data(fake_settings, tmp_path, monkeypatch):
    return use_data_dir(fake_settings, tmp_path / "data", monkeypatch)


@pytest.fixture
def local(data) -> Coach:
    """A Coach on `data` (not named `coach`: that name marks a test slow, as the real-model fixture)."""
    return Coach.from_env()



# -- the overall rule ------------------------------------------------------------------------------


def _panels(*decisions: str | None, bar_raiser: str | None = None) -> list[PanelDebrief]:
    out = [PanelDebrief(panel=f"p{i}", name=f"Panel {i}", status="finished", decision=d,
                        overall=None if d is None else 50) for i, d in enumerate(decisions)]
    if bar_raiser:
        out.append(PanelDebrief(panel="bar-raiser", name="Bar Raiser", status="finished", decision=bar_raiser, overall=50))
    return out


@pytest.mark.parametrize("decisions, bar_raiser, expected", [
    (["strong-hire", "strong-hire", "hire"], None, "strong-hire"),
    (["strong-hire", "strong-hire", "lean-no"], None, "hire"),  # one lean-no is outweighed
    (["hire", "hire", "hire", "lean-no", "lean-no"], None, "lean-no"),  # two lean-no panels are not
    (["hire", "lean-no", "lean-no"], None, "lean-no"),
    (["strong-hire"] * 6, "no-hire", "no-hire"),  # any no-hire decides
    (["strong-hire"] * 5, "lean-no", "lean-no"),  # the bar-raiser's veto
    (["hire", "hire"], "hire", "hire"),
    (["lean-no"], None, "lean-no"),
])
def test_overall_rule(decisions, bar_raiser, expected):
    rec = recommend_loop(_panels(*decisions, bar_raiser=bar_raiser))
    assert rec.decision == expected
    assert rec.reasons and rec.rule.startswith("no-hire when any panel is no-hire")
    assert rec.mean_score == 50


def test_no_decision_while_a_panel_is_unfinished_or_unscored():
    panels = _panels("hire", None)
    panels.append(PanelDebrief(panel="coding", name="Coding", status="in progress", decision="hire", overall=60))
    rec = recommend_loop(panels)
    assert rec.decision is None and "Panel 1: not scored" in rec.reasons[0] and "Coding: in progress" in rec.reasons[0]


# -- themes across panels --------------------------------------------------------------------------


def _score(panel: str, levels: dict[str, int]) -> SessionScore:
    signals = [PooledSignal(id=sid, name=sid, level=lvl,
                            evidence=[LabelledQuote(text=f"{panel} {sid} quote", turn="Q1", question="q")] if lvl >= 3 else [])
               for sid, lvl in levels.items()]
    return SessionScore(panel=panel, overall=50, band="hire", signals=signals)


def test_a_theme_repeats_as_strength_gap_or_mixed_across_panels():
    themes = {t.id: t for t in load_themes(load_corpus(Coach.from_env().settings.corpus_dir))}
    scores = {"behavioral": _score("behavioral", {"personal-ownership": 4, "learning-growth": 0}),
              "leadership": _score("leadership", {"hard-calls": 3, "multiplying-others": 1}),
              "bar-raiser": _score("bar-raiser", {"judgment": 1, "raising-the-bar": 3})}
    own = _theme(themes["ownership"], scores, {})
    assert own.kind == "strength" and [e.panel for e in own.strong_on] == ["behavioral", "leadership"]
    assert own.strong_on[0].quote.text == "behavioral personal-ownership quote"
    grow = _theme(themes["growing-others"], scores, {})
    assert grow.kind == "gap" and {e.panel for e in grow.gap_on} == {"behavioral", "leadership"}
    scores["architecture-deep-dive"] = _score("architecture-deep-dive", {"evolution-plan": 0})
    assert _theme(themes["long-term"], scores, {}) is None  # one panel is not a repeat
    # Every signal of every panel is in exactly one theme (its own when the map leaves it out).
    pairs = [(p, s) for t in themes.values() for p, ids in t.signals.items() for s in ids]
    assert len(pairs) == len(set(pairs)) == 42


def test_a_bad_theme_map_names_the_file_and_the_signal(corpus_copy):
    path = corpus_copy / "loop_themes.yaml"
    data = yaml.safe_load(path.read_text())
    data["themes"][0]["signals"]["coding"] = ["no-such-signal"]
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(CorpusError, match=r"loop_themes.yaml: themes\[0\] \(ownership\) names unknown signal coding/no-such-signal"):
        load_themes(load_corpus(corpus_copy))


# -- rendering: user text is text --------------------------------------------------------------------


def test_the_packet_escapes_user_text_in_html_and_markdown():
    quote = LabelledQuote(text=f"I owned it {SCRIPT} **end to end**", turn="Q1", question="q")
    panel = PanelDebrief(panel="behavioral", name="Behavioral", status="finished", decision="hire", overall=60,
                         reasons=[f'strong on Personal ownership (level 4): "{SCRIPT}"'],
                         quotes=[PanelQuote(signal="Personal ownership", level=4, quote=quote)])
    d = Debrief(loop_id="abc", level="staff", created_at="2025-01-01 10:00 UTC", finished=True, panels=[panel],
                recommendation=recommend_loop([panel]))
    page = to_html(d)
    assert "<script>" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "HIRE" in page and "Rule: no-hire when any panel is no-hire" in page
    md = to_markdown(d)
    assert "<script>" not in md and "&lt;script&gt;" in md and r"\*\*end to end\*\*" in md
    assert json.loads(d.model_dump_json())["panels"][0]["quotes"][0]["quote"]["text"] == quote.text  # JSON keeps it verbatim


# -- candidate scripts -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, where", [
    ("panels:\n  coding:\n    - fine answer\n    - 42\n", "line 4, field panels.coding[1]: must be a string"),
    ("panels:\n  codng: [an answer]\n", "line 2, field panels.codng: unknown key"),
    ("panels:\n  coding:\n    ask: [\"a question?\"]\n", "line 3, field panels.coding.answers: is missing"),
    ("panels:\n  coding: []\n", "line 2, field panels.coding: must be a non-empty list of answers"),
    ("level: lead\npanels: {coding: [x]}\n", "line 1, field level: 'lead' is not a level"),
    ("answers: [x]\n", "line 1, field answers: unknown key"),
    ("panels:\n  coding: [\"x\n", "line 3 is not valid YAML"),
    ("panels:\n  coding:\n    - " + "x" * 20_001 + "\n", "the limit is 20,000"),
])
def test_a_malformed_script_names_file_line_field_and_writes_nothing(data, tmp_path, text, where):
    script = tmp_path / "candidate.yaml"
    script.write_text(text)
    with pytest.raises(UserInputError) as err:
        load_candidate(script)
    assert f"Script file {script}, " in str(err.value) or f"Script file {script} " in str(err.value)
    assert where in str(err.value)
    result = cli("loop", "--script", str(script), "--out", str(tmp_path / "out"))
    assert result.exit_code != 0 and not (tmp_path / "out").exists()
    assert LoopStore(Coach.from_env().store).list() == []


def test_a_script_must_answer_every_panel_of_the_loop(data, tmp_path):
    script = tmp_path / "candidate.yaml"
    script.write_text("panels:\n  coding: [an answer]\n")
    result = cli("loop", "--script", str(script), "--panels", "coding,behavioral", "--out", str(tmp_path / "out"))
    assert result.exit_code != 0 and "no answers for behavioral" in str(result.exception)
    assert not (tmp_path / "out").exists()


# -- resuming ------------------------------------------------------------------------------------------


def test_a_loop_resumes_between_panels_and_within_one(local, tmp_path):
    coach = local
    loop = Loop.start(coach, "staff", ["behavioral", "coding"], questions=1, followups=1, seed=3)
    assert loop.panels == ["coding", "behavioral"]  # onsite order, whatever order they were named in
    assert loop.sessions == [None, None] and loop.position == 0
    first = loop.current
    loop.answer(ANSWERS[0])
    if not first.finished:  # a follow-up: stop inside the panel, come back to the same prompt
        pending = first.current_prompt.text
        again = Loop.load(coach, loop.id)
        assert again.current.id == first.id and again.current.current_prompt.text == pending
        again.answer(ANSWERS[1])
        loop = again
    # Between panels: the second panel is not started until the loop reaches it.
    assert loop.position == 1 and loop.sessions[1] is None
    later = Loop.load(coach, loop.id)
    assert later.position == 1 and later.sessions[1] is None and later.sessions[0].finished
    second = later.current
    assert second.panel.slug == "behavioral" and LoopStore(coach.store).load(loop.id).sessions == {0: first.id, 1: second.id}
    while not later.finished:
        later.answer(ANSWERS[2])
    assert Loop.load(coach, loop.id).status == "finished"
    debrief = later.debrief()
    assert [p.status for p in debrief.panels] == ["finished", "finished"] and debrief.finished
    assert {s["id"] for s in coach.list_sessions()} >= {first.id, second.id}  # ordinary sessions, in history


def test_the_cli_runs_a_loop_from_the_terminal_and_resumes_it(data, tmp_path):
    out = tmp_path / "out"
    first = cli("loop", "--panels", "coding,leadership", "--followups", "0", "--out", str(out), input=ANSWERS[0] + "\n.\n")
    assert first.exit_code == 0, first.output
    loop_id = first.output.split()[1].rstrip(":")
    assert "stopped before its end" in first.output and f"--resume {loop_id}" in first.output
    assert sorted(p.name for p in out.iterdir()) == ["debrief.html", "debrief.json", "debrief.md", "transcript-1-coding.md", "transcript-2-leadership.md"]
    assert json.loads((out / "debrief.json").read_text())["recommendation"]["decision"] is None
    done = cli("loop", "--resume", loop_id, "--out", str(out), input=ANSWERS[1] + "\n.\n")
    assert done.exit_code == 0 and f"loop {loop_id} finished" in done.output
    packet = json.loads((out / "debrief.json").read_text())
    assert packet["format"] == "staff-coach-debrief" and packet["finished"] and len(packet["panels"]) == 2
    assert ANSWERS[1].split(";")[0] in (out / "transcript-2-leadership.md").read_text()
    assert loop_id in cli("loop", "--list").output


def test_forgetting_a_panel_session_takes_it_out_of_its_loop(local):
    coach = local
    from coach.history.forget import forget

    loop = Loop.start(coach, "staff", ["coding"], questions=1, followups=0)
    session = loop.current
    loop.answer(ANSWERS[0])
    forget(coach, [session.id])
    again = Loop.load(coach, loop.id)
    assert again.sessions == [None] and not again.finished


def test_web_tab_runs_a_loop_panel_by_panel_and_offers_the_debrief(local, monkeypatch):
    coach = local
    gr = pytest.importorskip("gradio")
    from coach.web import common, loop as web

    monkeypatch.setattr(common, "COACH", coach)
    with pytest.raises(gr.Error):
        web.start("staff", [], 1, 0, 3)
    loop_id, messages, status, debrief, files, timer, shown_at, _ = web.start("staff", ["leadership", "coding"], 1, 0, 3)
    assert "panel 1 of 2: Coding" in status and messages[0]["content"] == "**Panel 1 of 2: Coding**"
    assert debrief == web.NO_DEBRIEF and files["visible"] is False
    assert "data-timer" in timer and shown_at > 0  # the page counts the answer time
    resumable, every = web.loops()
    assert [value for _, value in resumable["choices"]] == [loop_id] and every["value"] == loop_id
    messages, status, debrief, files, timer, _, cleared, _ = web.answer(loop_id, f"{ANSWERS[0]} {SCRIPT}", shown_at - 75)
    assert "panel 2 of 2: Leadership" in status and cleared == ""
    assert any(m["content"] == "**Panel 2 of 2: Leadership**" for m in messages)
    assert all("<script>" not in m["content"] for m in messages)  # the answer is shown as text
    first = Loop.load(coach, loop_id).sessions[0]
    assert first.turns[0].elapsed_s == pytest.approx(75, abs=5)  # saved with the turn
    again = web.resume(loop_id)
    assert again[0] == loop_id and "panel 2 of 2" in again[2]
    messages, status, debrief, files, timer, _, _, _ = web.answer(loop_id, ANSWERS[1])  # untimed: still saved
    assert "finished" in status and debrief.startswith("# Debrief: onsite loop") and "<script>" not in debrief
    assert "No answer is being timed" in timer  # the last panel's answer was not timed
    paths = sorted(files["value"])
    assert [p.rsplit(".", 1)[1] for p in paths] == ["html", "json", "md"]
    page = open(paths[0], encoding="utf-8").read()
    assert "<script>" not in page and "Coding" in page and "Leadership" in page
    assert json.load(open(paths[1], encoding="utf-8"))["loop_id"] == loop_id
    assert web.loops()[0]["choices"] == []


def test_a_loop_saves_the_answer_time_with_the_turn(local):
    coach = local
    loop = Loop.start(coach, "staff", ["coding"], questions=1, followups=0, seed=3)
    session = loop.current
    loop.answer(ANSWERS[0], elapsed_s=42.5)
    assert coach.load_session(session.id).turns[0].elapsed_s == pytest.approx(42.5)
    with pytest.raises(UserInputError, match="not a duration"):
        Loop.start(coach, "staff", ["coding"], questions=1, followups=0).answer(ANSWERS[0], elapsed_s=-1)


def test_the_cli_loop_times_typed_answers_and_answers_a_story_request(data, tmp_path):
    from coach.stories import bank
    from coach.stories.files import StoryDraft

    c = Coach.from_env()
    bank.add(c, StoryDraft("Mentoring", "I paired with two seniors on design docs until they led reviews."))
    out = tmp_path / "out"
    result = cli("loop", "--panels", "leadership", "--followups", "0", "--out", str(out),
                 input=f"?story\n.\n{ANSWERS[0]}\n.\n")
    assert result.exit_code == 0, result.output
    assert "Mentoring" in result.output and "Target signals:" in result.output  # the suggestion
    loop_id = result.output.split()[1].rstrip(":")
    session = Loop.load(Coach.from_env(), loop_id).sessions[0]
    answers = [t.answer for t in session.turns if t.answer is not None]
    assert answers == [ANSWERS[0]]  # the request is not an answer
    assert session.turns[0].elapsed_s is not None and session.turns[0].elapsed_s >= 0


def test_the_loop_tab_suggests_a_story_and_opens_any_loops_debrief(local, monkeypatch):
    coach = local
    pytest.importorskip("gradio")
    from coach.stories import bank
    from coach.stories.files import StoryDraft
    from coach.web import common, loop as web

    monkeypatch.setattr(common, "COACH", coach)
    loop_id = web.start("staff", ["coding", "behavioral"], 1, 0, 3)[0]
    assert "behavioral, leadership" in web.suggest_story(loop_id)  # coding: stories are not suggested there
    web.answer(loop_id, ANSWERS[0])
    question = Loop.load(coach, loop_id).sessions[1].current_prompt.text
    bank.add(coach, StoryDraft("The story for it", f"{question} I answered it with this story."))
    assert web.suggest_story(loop_id).startswith("**Suggested story: The story for it** (fit ")

    later = Loop.start(coach, "staff", ["coding", "leadership", "bar-raiser"], questions=1, followups=0, seed=4)
    later.answer(ANSWERS[1])  # coding done; leadership and bar-raiser not started
    assert later.id in [value for _, value in web.loops()[1]["choices"]]
    text, files = web.open_debrief(later.id)
    assert text.startswith("# Debrief: onsite loop") and "not started" in text and "1 of 3 panels finished" in text
    paths = sorted(files["value"])
    assert [p.rsplit(".", 1)[1] for p in paths] == ["html", "json", "md"]
    packet = json.load(open(paths[1], encoding="utf-8"))
    assert packet["loop_id"] == later.id and [p["status"] for p in packet["panels"]] == ["finished", "not started", "not started"]
    assert Loop.load(coach, later.id).sessions[1] is None  # reading the debrief starts no panel

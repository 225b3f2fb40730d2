"""`coach history`, `show` and `resume`, and the web app's past sessions, on the toy embedder and
the fake backend (registered as COACH_BACKEND=fake, the way any backend is)."""

from __future__ import annotations

import json

import pytest
from history_helpers import ANSWERS, invoke as cli, run_session, use_data_dir

from coach.errors import UserInputError
from coach.history.exchange import export_history, import_history
from coach.history.listing import history
from coach.root import Coach


@pytest.fixture
def data(fake_settings, tmp_path, monkeypatch):
    return use_data_dir(fake_settings, tmp_path / "data", monkeypatch)


@pytest.fixture
def coach(data) -> Coach:
    return Coach.from_env()



def _with_levels(record: dict, level: int, created: float) -> dict:
    """An exported session whose every answer showed every signal at `level` (the toy embedder
    knows no meaning, so its own cards abstain)."""
    record = json.loads(json.dumps(record)) | {"created_at": created}
    for t in record["turns"]:
        card = t["scorecard"]
        if card is None:
            continue
        card.update(overall=20 * level, band="hire", abstained=False, abstain_reason="", answered="yes")
        for sig in card["signals"]:
            sig.update(level=level, status="evidenced" if level >= 3 else "weak", evidence=[t["answer"][:40]])
    return record


def test_history_lists_newest_first_with_the_interviews_score_band_and_status(coach, tmp_path):
    strong = run_session(coach, ANSWERS, questions=1, followups=1, seed=1)
    weak = run_session(coach, ANSWERS, questions=1, followups=1, seed=2)
    open_ = run_session(coach, ANSWERS[:1], seed=3)
    doc = export_history(coach.store)
    by_id = {r["id"]: r for r in doc["sessions"]}
    doc["sessions"] = [_with_levels(by_id[strong.id], 4, 1.70e9), _with_levels(by_id[weak.id], 1, 1.71e9),
                       by_id[open_.id] | {"created_at": 1.72e9}]
    coach.store.delete([strong.id, weak.id, open_.id])
    (tmp_path / "levels.json").write_text(json.dumps(doc))
    import_history(coach.store, tmp_path / "levels.json")

    rows = history(coach)
    assert [r.id for r in rows] == [open_.id, weak.id, strong.id]
    for r in rows:  # the list and the session's wrap-up agree
        summary = coach.load_session(r.id).summary()
        assert (r.score, r.band) == (summary.overall, summary.band)
    got = {r.id: r for r in rows}
    assert got[strong.id].score > got[weak.id].score and got[strong.id].band != got[weak.id].band
    assert (got[open_.id].score, got[open_.id].band) == (None, None)  # its one answer abstained
    assert [r.status for r in rows] == ["active", "finished", "finished"] and [r.resumable for r in rows] == [True, False, False]
    assert {(r.panel, r.level, r.backend, r.model) for r in rows} == {("system-design", "staff", "fake", "fake-model")}

    result = cli("history")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["date", "session", "panel", "level", "score", "band", "status"]
    assert [ln.split()[2] for ln in lines[1:4]] == [open_.id, weak.id, strong.id]
    strong_line = lines[3].split()
    assert strong_line[5:8] == [f"{got[strong.id].score:g}", got[strong.id].band, "finished"]
    assert "active (1 answered)" in lines[1] and "coach resume SESSION" in result.output

    listed = json.loads(cli("history", "--json").output)
    assert [r["id"] for r in listed] == [open_.id, weak.id, strong.id]
    assert (listed[2]["score"], listed[2]["band"]) == (got[strong.id].score, got[strong.id].band)
    assert listed[0]["resumable"] is True and listed[2]["resumable"] is False


def test_history_of_an_empty_data_dir_says_how_to_start(data):
    result = cli("history")
    assert result.exit_code == 0 and "No saved sessions yet" in result.output
    assert json.loads(cli("history", "--json").output) == []


def test_show_prints_the_transcript_with_scorecards(coach):
    session = run_session(coach, ANSWERS[:2])
    text = cli("show", session.id)
    assert text.exit_code == 0, text.output
    assert session.turns[0].text in text.output and ANSWERS[0] in text.output and ANSWERS[1] in text.output
    assert "Question 1:" in text.output and "Follow-up to question 1:" in text.output
    assert text.output.count("Overall:") == 2  # one scorecard per answer
    assert f"coach resume {session.id}" in text.output  # not finished yet

    md = cli("show", session.id, "--md").output
    assert "## Question 1" in md and "**Score:**" in md and "## Summary" in md

    record = json.loads(cli("show", session.id, "--json").output)
    assert record["id"] == session.id and (record["backend"], record["model"]) == ("fake", "fake-model")
    assert [t["answer"] for t in record["turns"]] == ANSWERS[:2] + [None]
    assert record["turns"][0]["scorecard"]["panel"] == "system-design" and record["summary"]["finished"] is False

    both = cli("show", session.id, "--json", "--md")
    assert isinstance(both.exception, UserInputError)


@pytest.mark.parametrize("command", [["show"], ["resume"], ["forget"]])
def test_an_unknown_session_says_how_to_list_them(data, command):
    result = cli(*command, "feedc0ffee42")
    err = result.exception
    assert isinstance(err, UserInputError) and err.exit_code == 2
    assert "'feedc0ffee42'" in err.message and "coach history" in err.hint


def test_resume_with_a_script_finishes_an_interrupted_session(coach, tmp_path):
    session = run_session(coach, ANSWERS[:1])
    first = [(t.text, t.answer) for t in session.turns]
    script = tmp_path / "rest.yaml"
    script.write_text(json.dumps(ANSWERS[1:]))
    result = cli("resume", session.id, "--script", str(script), "--out", str(tmp_path / "run"))
    assert result.exit_code == 0, result.output
    assert f"Resuming session {session.id}" in result.output and "1 answer(s) so far" in result.output
    assert f"session {session.id} finished" in result.output
    again = coach.load_session(session.id)
    assert again.finished and again.status == "finished"
    assert [(t.text, t.answer) for t in again.turns][:1] == first[:1]
    assert [t.answer for t in again.turns] == ANSWERS[: len(again.turns)]
    assert "## Summary" in (tmp_path / "run" / "transcript.md").read_text()
    assert json.loads((tmp_path / "run" / "session.json").read_text())["id"] == session.id
    assert [r.status for r in history(coach)] == ["finished"]

    refused = cli("resume", session.id, "--script", str(script))
    assert isinstance(refused.exception, UserInputError) and "finished" in refused.exception.message
    assert f"coach show {session.id}" in refused.exception.hint


def test_resume_reads_answers_from_standard_input_until_the_end(coach):
    session = run_session(coach, [], questions=3)
    typed = "I own the checkout service.\nIt serves 25k requests per second at peak.\n.\n\n.\n" + ANSWERS[1] + "\n"
    result = cli("resume", session.id, input=typed)
    assert result.exit_code == 0, result.output
    again = coach.load_session(session.id)
    answers = [t.answer for t in again.turns if t.answer is not None]
    # A '.' line ends an answer (lines kept), an empty answer is not saved, the end of input ends the last one.
    assert answers == ["I own the checkout service.\nIt serves 25k requests per second at peak.", ANSWERS[1]]
    assert "an empty answer is not saved" in result.output
    assert not again.finished and f"continue with `coach resume {session.id}`" in result.output
    assert again.current_prompt.text in result.output  # the next prompt was shown before input ran out


def test_web_app_lists_past_sessions_and_resumes_an_unfinished_one(coach, monkeypatch):
    gr = pytest.importorskip("gradio")
    from coach.web import common, interview as web

    monkeypatch.setattr(common, "COACH", coach)
    done = run_session(coach, ANSWERS, questions=1, followups=0)
    open_ = run_session(coach, ANSWERS[:1])
    table, picker = web.past_sessions()
    assert done.id in table and open_.id in table
    assert [value for _, value in picker["choices"]] == [open_.id] and picker["value"] == open_.id

    sid, messages, coverage, card, status, *screen, retry = list(web.resume(open_.id))[-1]  # the last frame: all of it
    assert sid == open_.id and f"Session `{open_.id}`" in status
    assert [m["role"] for m in messages] == ["assistant", "user", "assistant", "assistant"]  # the pending follow-up is last
    assert messages[-1]["content"].startswith("**Follow-up:**")
    with pytest.raises(gr.Error):
        list(web.resume(done.id))
    with pytest.raises(gr.Error):
        list(web.resume(None))

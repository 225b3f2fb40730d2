"""Progress (`coach progress`, the Progress tab) and the pooled results sessions store for listing:
known sessions give known trends, pass rates and coverage; the listing reads what was stored and
recomputes only what is missing or stale. Fast: the toy embedder and the fake backend."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from history_helpers import ANSWERS, invoke as cli, run_session, use_data_dir

from coach.history.exchange import export_history, import_history
from coach.history.listing import HistoryRow, history
from coach.history.progress import compute, iso_week
from coach.root import Coach
from coach.scoring.pooling import pooling_key
from coach.session.store import Pooled

V0 = Path(__file__).parent / "fixtures" / "sessions-v0.sqlite3"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def data(fake_settings, tmp_path, monkeypatch):
    return use_data_dir(fake_settings, tmp_path / "data", monkeypatch)


@pytest.fixture
def local(data) -> Coach:
    """A Coach on `data` (not named `coach`: that name marks a test slow, as the real-model fixture)."""
    return Coach.from_env()



def at(day: int, hour: int = 12) -> float:
    """Local noon on a day of January 2026: the 5th-11th are ISO week 2, the 12th-18th week 3."""
    return datetime(2026, 1, day, hour).timestamp()


def row(sid: str, panel: str, created: float, band: str | None, levels: dict, status: str = "finished") -> HistoryRow:
    score = {"strong-hire": 80, "hire": 60, "lean-no": 40, "no-hire": 20}.get(band)
    return HistoryRow(id=sid, date=datetime.fromtimestamp(created).strftime("%Y-%m-%d %H:%M"), created_at=created,
                      updated_at=created, panel=panel, level="staff", score=score, band=band, status=status,
                      answered=2, turns=2, backend="fake", model="fake-model", levels=levels)


# -- the computations ---------------------------------------------------------------------------


def known_rows() -> list[HistoryRow]:
    return [
        row("sd3", "system-design", at(13), "strong-hire", {"requirements-framing": 4, "capacity-math": None}),
        row("sd1", "system-design", at(5), "lean-no", {"requirements-framing": 1, "capacity-math": 2}),
        row("sd2", "system-design", at(7), "hire", {"requirements-framing": 3, "capacity-math": 2}),
        row("beh1", "behavioral", at(14), "no-hire", {"star-structure": 3}),
        row("open", "system-design", at(15), "hire", {"requirements-framing": 0}, status="active"),
        row("blank", "behavioral", at(15), None, {}),
    ]


def test_known_sessions_give_known_trends_pass_rates_and_coverage(corpus):
    panels = [corpus.panel("system-design"), corpus.panel("behavioral"), corpus.panel("coding")]
    p = compute(known_rows(), panels, evidenced_level=3)

    assert (p.sessions, p.unfinished, p.unscored) == (4, 1, 1)  # the active and the unscored one are left out
    assert [(w.week, w.sessions, w.passed, w.rate) for w in p.pass_rate] == [("2026-W02", 2, 1, 0.5), ("2026-W03", 2, 1, 0.5)]
    assert p.passed == 2

    trend = {(t.panel, t.signal): t for t in p.trends}
    req = trend["system-design", "requirements-framing"]
    assert [pt.session for pt in req.points] == ["sd1", "sd2", "sd3"]  # oldest first, whatever the input order
    assert req.levels == [1, 3, 4] and req.change == 3
    assert trend["system-design", "capacity-math"].levels == [2, 2, None] and trend["system-design", "capacity-math"].change == 0
    assert trend["system-design", "resilience"].levels == [None, None, None]
    assert not [t for t in p.trends if t.panel == "coding"]  # never practised: no trend

    cell = {(c.panel, c.signal): c for c in p.heatmap}
    assert len(p.heatmap) == sum(len(pn.signals) for pn in panels)  # every signal of every panel, practised or not
    c = cell["system-design", "requirements-framing"]
    assert (c.sessions, c.evidenced, c.best, c.latest) == (3, 2, 4, 4)
    c = cell["system-design", "capacity-math"]
    assert (c.sessions, c.evidenced, c.best, c.latest) == (3, 0, 2, 2)  # latest *known* level
    assert (cell["behavioral", "star-structure"].evidenced, cell["behavioral", "star-structure"].sessions) == (1, 1)
    assert (cell["coding", "testing-strategy"].sessions, cell["coding", "testing-strategy"].latest) == (0, None)


def test_one_panel_counts_only_its_sessions(corpus):
    panels = [corpus.panel("system-design"), corpus.panel("behavioral")]
    p = compute(known_rows(), panels, evidenced_level=3, panel="behavioral")
    assert (p.panel, p.sessions, p.unscored, p.unfinished) == ("behavioral", 1, 1, 0)
    assert [(w.week, w.sessions, w.passed) for w in p.pass_rate] == [("2026-W03", 1, 0)]
    assert {c.panel for c in p.heatmap} == {"behavioral"} and {t.panel for t in p.trends} == {"behavioral"}


def test_the_coverage_heatmap_is_an_escaped_html_table_coloured_by_level(corpus):
    from coach.render.coverage import LEVEL_COLOURS, NO_LEVEL, coverage_html

    panels = [corpus.panel("system-design"), corpus.panel("behavioral"), corpus.panel("coding")]
    p = compute(known_rows(), panels, evidenced_level=3)
    hostile = p.heatmap[-1].model_copy(update={"name": "<script>alert(1)</script>"})
    page = coverage_html(p.model_copy(update={"heatmap": [*p.heatmap[:-1], hostile]}))
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert [line.split("<td")[0] for line in page.split("<tr>")[1:]] == [
        '<th scope="row" style="text-align:right;padding-right:8px;font-weight:normal;width:11em">system-design</th>',
        '<th scope="row" style="text-align:right;padding-right:8px;font-weight:normal;width:11em">behavioral</th>',
        '<th scope="row" style="text-align:right;padding-right:8px;font-weight:normal;width:11em">coding</th>']
    req = p.heatmap[[c.signal for c in p.heatmap].index("requirements-framing")]
    cell = page.split(f'title="{req.name}: ')[0].rsplit("<td", 1)[1]
    assert f"background:{LEVEL_COLOURS[4]};color:#ffffff" in cell  # latest level 4, in white
    assert "4 · ev. 2/3" in page.split(f'title="{req.name}: ')[1].split("</td>")[0]
    coding = page.split("coding</th>")[1].split("</tr>")[0]
    assert f"background:{NO_LEVEL}" in coding and "not practised" in coding and "background:#a50026" not in coding


def test_iso_weeks_cross_the_year_boundary():
    assert iso_week(datetime(2025, 12, 29, 12).timestamp()) == "2026-W01"
    assert iso_week(datetime(2027, 1, 1, 12).timestamp()) == "2026-W53"


# -- the pooled result stored for listing --------------------------------------------------------


def test_each_answer_stores_the_sessions_pooled_result_and_listing_reads_it(local, monkeypatch):
    coach = local
    session = run_session(coach, ANSWERS[:2], questions=1, followups=1)
    stored = {s["id"]: s["pooled"] for s in coach.store.list()}[session.id]
    assert stored == session.pooled()
    assert stored.key == pooling_key(session.panel, coach.scoring_settings)
    assert set(stored.levels) == {s.id for s in session.panel.signals}

    # A current result is read as stored: the listing loads no session to list a finished one.
    listed = {s["id"]: s for s in coach.store.list()}[session.id]
    coach.store.set_pooled([(session.id, listed["updated_at"], Pooled(stored.key, 77.0, "hire", {"x": 3}))])
    monkeypatch.setattr(Coach, "load_session", lambda *a: pytest.fail("a finished session with a current result was loaded"))
    (got,) = history(coach)
    assert (got.score, got.band, got.levels) == (77.0, "hire", {"x": 3})


def test_missing_or_stale_results_are_recomputed_once_and_stored(local, tmp_path):
    coach = local
    first = run_session(coach, ANSWERS, questions=1, followups=1, seed=1)
    second = run_session(coach, ANSWERS, questions=1, followups=1, seed=2)
    doc = export_history(coach.store)
    for record in doc["sessions"]:  # give the answers levels (the toy embedder's own cards abstain)
        for t in record["turns"]:
            card = t["scorecard"]
            card.update(overall=70, band="hire", abstained=False, abstain_reason="", answered="yes")
            for sig in card["signals"]:
                sig.update(level=3, status="evidenced", evidence=[t["answer"][:40]])
    coach.store.delete([first.id, second.id])
    (tmp_path / "levels.json").write_text(json.dumps(doc))
    import_history(coach.store, tmp_path / "levels.json")
    assert {s["id"]: s["pooled"] for s in coach.store.list()} == {first.id: None, second.id: None}  # imported: none stored

    rows = history(coach)  # backfills
    for r in rows:
        summary = coach.load_session(r.id).summary()
        assert (r.score, r.band) == (summary.overall, summary.band) and r.score is not None
        assert r.levels == {s.id: s.best_level for s in summary.signals}
    stored = {s["id"]: s["pooled"] for s in coach.store.list()}
    assert all(p is not None and p.score == {r.id: r.score for r in rows}[sid] for sid, p in stored.items())

    # Results stored under other pooling rules (a recalibration) are stale: recomputed, stored again.
    listed = {s["id"]: s for s in coach.store.list()}
    coach.store.set_pooled([(first.id, listed[first.id]["updated_at"], Pooled("older-rules", 1.0, "no-hire", {}))])
    assert {r.id: r.score for r in history(coach)}[first.id] == stored[first.id].score
    assert {s["id"]: s["pooled"] for s in coach.store.list()}[first.id] == stored[first.id]


def test_a_result_computed_before_another_answer_does_not_overwrite_it(local):
    coach = local
    session = run_session(coach, ANSWERS[:1], questions=1, followups=1)
    before = {s["id"]: s for s in coach.store.list()}[session.id]
    session.answer(ANSWERS[1])  # moves updated_at on and stores its own result
    written = coach.store.set_pooled([(session.id, before["updated_at"], Pooled("stale", 1.0, "no-hire", {}))])
    assert written == 0 and {s["id"]: s["pooled"] for s in coach.store.list()}[session.id] == session.pooled()


def test_a_database_from_before_schema_4_lists_with_its_results_backfilled(data):
    shutil.copyfile(V0, data / "sessions.sqlite3")
    coach = Coach.from_env()
    rows = history(coach)
    assert rows and all(s["pooled"] is not None for s in coach.store.list())
    for r in rows:
        summary = coach.load_session(r.id).summary()
        assert (r.score, r.band) == (summary.overall, summary.band)


# -- the command ---------------------------------------------------------------------------------


def test_progress_with_no_sessions_says_how_to_start(data, tmp_path):
    result = cli("progress", "--plot", str(tmp_path / "charts.png"))
    assert result.exit_code == 0, result.output
    assert "No finished, scored sessions yet" in result.output and "coach mock" in result.output
    assert not (tmp_path / "charts.png").exists()


def test_progress_prints_tables_json_and_writes_a_png(local, tmp_path):
    coach = local
    session = run_session(coach, ANSWERS, questions=1, followups=1)
    listed = {s["id"]: s for s in coach.store.list()}[session.id]
    levels = {s.id: 3 for s in session.panel.signals} | {"capacity-math": 1}
    coach.store.set_pooled([(session.id, listed["updated_at"], Pooled(listed["pooled"].key, 66.0, "hire", levels))])
    week = iso_week(listed["created_at"])

    result = cli("progress")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Progress over 1 scored session(s)" in out
    assert any(line.split()[:4] == [week, "1", "1", "100%"] for line in out.splitlines())
    capacity = next(line for line in out.splitlines() if "Quantified capacity" in line and "system-design" not in line)
    assert capacity.split()[-4:] == ["1", "1", "1", "+0"]
    assert "not practised yet: coding" in out

    doc = json.loads(cli("progress", "--json", "--panel", "system-design").output)
    assert (doc["panel"], doc["sessions"], doc["passed"]) == ("system-design", 1, 1)
    assert doc["pass_rate"] == [{"week": week, "sessions": 1, "passed": 1, "rate": 1.0}]
    assert {c["signal"]: c["latest"] for c in doc["heatmap"]}["capacity-math"] == 1

    png = tmp_path / "out" / "charts.png"
    result = cli("progress", "--plot", str(png))
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == PNG_MAGIC
    from PIL import Image

    with Image.open(png) as im:
        im.verify()
        assert im.size[0] >= 800 and im.size[1] >= 600


def test_progress_refuses_a_bad_panel_or_plot_name(data, tmp_path):
    result = cli("progress", "--panel", "nope")
    assert result.exit_code != 0 and "system-design" in str(result.exception)
    result = cli("progress", "--plot", str(tmp_path / "charts.jpg"))
    assert result.exit_code != 0 and ".png" in str(result.exception)
    assert not (tmp_path / "charts.jpg").exists()


# -- the Progress tab's handlers, in process -----------------------------------------------------


def test_the_progress_tab_draws_lists_and_exports_a_session(local):
    coach = local
    from coach.web import common
    from coach.web.progress import open_session, refresh

    marker = "We sharded the ledger by merchant id, zq-unique-77, and kept p99 under 80 ms."
    session = run_session(coach, [marker, *ANSWERS], questions=1, followups=1)
    common.use(coach)
    try:
        pass_rate, trends, heatmap, tables, listing, picker = refresh("all")
        assert all(c.startswith('<img alt="') and "data:image/svg+xml;base64," in c for c in (pass_rate, trends))
        assert heatmap.startswith('<div class="coverage-heatmap"><table') and "system-design" in heatmap
        assert session.id in listing and picker["choices"][0][1] == session.id
        assert refresh("all")[:2] == (pass_rate, trends)  # an unchanged history: the same charts, not drawn again
        run_session(coach, ANSWERS[1:], questions=1, followups=0)
        assert refresh("all")[0] != pass_rate  # one more session: drawn anew

        text, md, doc = open_session(session.id)
        assert "zq-unique-77" in text and "<img" not in text
        assert marker in Path(md["value"]).read_text(encoding="utf-8")
        exported = json.loads(Path(doc["value"]).read_text(encoding="utf-8"))
        assert exported["id"] == session.id and exported["turns"][0]["answer"] == marker
        assert exported["summary"]["session_id"] == session.id
        assert md["interactive"] and doc["interactive"]
    finally:
        common.use(None)

"""History with 1,000 saved sessions: `coach history` (listing + rendering) and the Progress tab's
render function, against a bare sqlite3 SELECT of the same rows.

The sessions are synthetic but realistic: each answer is a fixture answer from
`evals/fixtures/scoring/` scored for real by the evidence scorer (one per band and panel, scored
once and reused), asked as the panel's sample question it answers; 1-3 questions a session, 20
weeks of practice, later sessions drawing stronger answers more often, every 40th session left
unfinished. They are inserted through the session store's API, as an import is, so
their pooled score is not stored yet: the first listing backfills it (timed on its own), the
following listings read it with one query.
"""

from __future__ import annotations

import random
import sqlite3
import time

from .common import Result, pct, ratio, temp_data_dir, timed, warm_embedder

NAME = "history"
SESSIONS = 1000
ANSWERS_PER_PANEL = 4
WEEKS = 20
RUNS = 15
START = 1.76e9  # a fixed date, so the ISO weeks are the same on every run


def scored_answers(coach, load_fixture) -> dict[str, list[tuple[str, str, dict]]]:
    """Per panel, (question, answer, scorecard) for one fixture answer of each band, strongest first."""
    out: dict[str, list[tuple[str, str, dict]]] = {}
    for panel in coach.corpus.panels.values():
        fixture = load_fixture(coach.settings.evals_dir / "fixtures" / "scoring" / f"{panel.slug}.yaml")
        by_band: dict[str, dict] = {}
        for a in fixture["answers"]:
            by_band.setdefault(a.get("band"), a)
        picks = [by_band[b] for b in ("strong-hire", "hire", "lean-no", "no-hire") if b in by_band][:ANSWERS_PER_PANEL]
        questions = {q.id: q.text for q in panel.sample_questions}
        out[panel.slug] = []
        for a in picks:
            question = questions.get(a.get("question"), panel.sample_questions[0].text)
            card = coach.scorer.score(panel, a["text"], question)
            out[panel.slug].append((question, a["text"], card.model_dump(mode="json")))
    return out


def synthetic_sessions(coach, answers: dict[str, list[tuple[str, str, dict]]], n: int, seed: int = 7) -> list:
    """`n` sessions as (SessionRow, [TurnRow]) over WEEKS weeks, oldest first. Each session has a
    form (one of the panel's answers, strongest first) that improves over the weeks; its 1-3
    answers are that one or the next weaker."""
    from coach.corpus.schema import LEVELS
    from coach.interviewer.questions import given
    from coach.session.store import SessionRow, TurnRow

    rng = random.Random(seed)
    panels = sorted(answers)
    span = WEEKS * 7 * 86400
    out = []
    for i in range(n):
        panel = coach.panel(rng.choice(panels))
        level = rng.choice(LEVELS)
        progress = i / n
        pool = answers[panel.slug]
        tiers = len(pool)
        form = min(tiers - 1, int(rng.triangular(0, tiers, (tiers - 1) * (1 - progress))))
        picks = [min(tiers - 1, form + rng.randint(0, 1)) for _ in range(rng.randint(1, 3))]
        created = START + span * progress + rng.uniform(0, 3600)
        active = i % 40 == 39
        turns = []
        for j, p in enumerate(picks):
            question, text, card = pool[p]
            prompt = given(panel, level, question, seed=i * 10 + j).model_dump(mode="json")
            unanswered = active and j == len(picks) - 1
            t = created + 300 * j
            turns.append(TurnRow(j, "question", j + 1, prompt, None if unanswered else text, None if unanswered else card,
                                 t, None if unanswered else t + 240, None if unanswered else 240.0))
        row = SessionRow(f"bench{i:05d}", panel.slug, level, i, {"questions": len(picks), "followups": 0, "focus": None,
                         "given": [pool[p][0] for p in picks]}, "active" if active else "finished", created,
                         created + 300 * len(picks), "embedded", "gemma-3-270m-q4_k_m@sha256:bench")
        out.append((row, turns))
    return out


def bare_select(path) -> list[tuple]:
    """The library underneath: the same rows with one sqlite3 query, nothing decoded."""
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT s.id, s.panel, s.level, s.status, s.created_at, s.updated_at, s.backend, s.model, "
            "COUNT(t.idx), COUNT(t.answer) FROM sessions s LEFT JOIN turns t ON t.session_id = s.id "
            "GROUP BY s.id ORDER BY s.updated_at DESC"
        ).fetchall()


def run() -> Result:
    from coach.evals.base import load_fixture
    from coach.history.listing import history
    from coach.render.history import history_text
    from coach.root import Coach

    result = Result(NAME)
    with temp_data_dir() as data_dir:
        coach = Coach.from_env(data_dir=data_dir)
        warm_embedder(coach.settings.embedding_model)
        scoring_s, answers = timed(scored_answers, coach, load_fixture)
        sessions = synthetic_sessions(coach, answers, SESSIONS)
        insert_s, _ = timed(coach.store.insert, sessions)

        first_s, listing = timed(lambda: history_text(history(coach)))
        progress_tab, cached_tab = _progress_tab(coach)
        progress_tab()  # the first draw loads matplotlib's fonts
        calls = {"history": lambda: history_text(history(coach)), "bare": lambda: bare_select(coach.store.path),
                 "progress": progress_tab, "cached": cached_tab}
        times: dict[str, list[float]] = {name: [] for name in calls}
        cpu: dict[str, list[float]] = {name: [] for name in calls}
        order = list(calls)
        for i in range(RUNS):  # interleaved, order rotated
            for name in order[i % len(order):] + order[: i % len(order)]:
                start, start_cpu = time.perf_counter(), time.process_time()
                calls[name]()
                times[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)

    p50 = {name: pct(t, 50) for name, t in times.items()}
    p95 = {name: pct(t, 95) for name, t in times.items()}
    result.add("history_p50_s", "coach history (list + render) p50", p50["history"], "s")
    result.add("history_p95_s", "coach history (list + render) p95", p95["history"], "s", goal=1.0)
    result.add("bare_p50_ms", "bare sqlite3 SELECT of the same rows p50", p50["bare"] * 1000, "ms")
    result.add("history_vs_bare_p50", "coach history / bare SELECT, p50", ratio(p50["history"], p50["bare"]), "x")
    result.add("progress_p50_s", "Progress tab render (tables, 2 charts drawn, HTML heatmap) p50", p50["progress"], "s")
    result.add("progress_p95_s", "Progress tab render (tables, 2 charts drawn, HTML heatmap) p95", p95["progress"], "s", goal=1.0)
    result.add("progress_cached_p50_s", "Progress tab, unchanged history (charts reused) p50", p50["cached"], "s")
    result.add("progress_cached_p95_s", "Progress tab, unchanged history (charts reused) p95", p95["cached"], "s")
    result.add("progress_cpu_p50_s", "Progress tab render, CPU time p50", pct(cpu["progress"], 50), "s",
               note="this process's CPU seconds: what the wall time would be with the cores to itself")
    result.add("history_cpu_p50_s", "coach history, CPU time p50", pct(cpu["history"], 50), "s")
    result.add("progress_vs_bare_p50", "Progress tab / bare SELECT, p50", ratio(p50["progress"], p50["bare"]), "x")
    result.add("first_listing_s", "first listing: backfills 1,000 pooled scores (once)", first_s, "s",
               note="informational: sessions imported or saved before schema 7")
    result.info = {"sessions": SESSIONS, "runs": RUNS, "scoring_s": round(scoring_s, 2), "insert_s": round(insert_s, 2),
                   "listed_lines": listing.count("\n")}
    return result


def _progress_tab(coach):
    """What the Progress tab does on page load: list, compute, draw each chart into an SVG <img>
    (the first with the charts it drew forgotten, as after any change to the history; the second
    with them kept, as for an unchanged one), the heatmap, the tables and the session list."""
    from coach.web import common
    from coach.web.progress import forget_drawn, refresh

    common.use(coach)

    def drawn():
        forget_drawn()
        return refresh("all")

    return drawn, lambda: refresh("all")

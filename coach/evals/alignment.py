"""Does the scorer read the question? Two checks on the graded scoring fixtures.

- Off-question pairs: every graded answer is scored against its own question and against the next
  two sample questions of its panel. Scored against another question it must score lower (goal
  >= 95 %) and never above lean-no (goal: none).
  The on-subject threshold behind "did not answer" was fit on these pairs, so they are also reported
  leave-one-panel-out: the threshold refit on six panels, applied to the seventh (`subject_lopo`).
  So is the relative test's margin (an answer much more on another sample question of its panel
  answers that one instead): `elsewhere_lopo`.
- Follow-up answers judged on their signal: an answer from the follow-up fixtures, scored as the
  reply to a follow-up that probes a signal it clearly shows, must score above the same answer
  scored as the reply to a follow-up on a signal it does not touch, and must not lose for leaving
  the panel's other signals out (as a whole answer it scores no higher).
"""

from __future__ import annotations

from pathlib import Path

from coach.corpus.loader import Corpus
from coach.evals.base import load_fixture

OTHER_QUESTIONS = 2
OWN_PASS_GOAL = 0.95  # own-question answers that must pass the on-subject gate when its threshold is fit


def _score(scorer, panel, answer, question):
    """(card, on-subject measure or None, its lead of another sample question or None): the
    measures only where the scorer exposes them."""
    if hasattr(scorer, "analyse"):
        analysis = scorer.analyse(panel, answer, question)
        return analysis.card, analysis.subject, analysis.elsewhere_gap
    return scorer.score(panel, answer, question), None, None


def fit_elsewhere_margin(own_gaps: list[float], off_gaps: list[float]) -> float | None:
    """The relative test's margin: halfway between the largest lead another sample question has over
    an own question the on-subject gate passes, and the smallest such lead above it in the
    off-question pairs the gate passes. None when no such pair exists (nothing to separate)."""
    top = max(own_gaps, default=0.0)
    above = [g for g in off_gaps if g > top]
    return round((top + min(above)) / 2, 4) if above else None


def elsewhere_lopo(points: list[tuple], goal: float = OWN_PASS_GOAL) -> dict[str, float]:
    """Leave-one-panel-out figures for the whole rule: on six panels' points (panel, own?, measure,
    gap) the on-subject threshold is refit, then the relative test's margin on the points passing
    it; both are applied to the seventh panel's."""
    def passes(m, g, t, margin):
        return m >= t and not (margin is not None and g is not None and g >= margin and m + g >= t)

    panels = sorted({p[0] for p in points})
    own_pass = own_n = off_gated = off_n = 0
    margins = []
    for held in panels:
        rest = [p for p in points if p[0] != held]
        t = fit_subject_threshold([p[2] for p in rest if p[1]], [p[2] for p in rest if not p[1]], goal)
        fit = [p for p in rest if p[2] >= t and p[3] is not None]
        margin = fit_elsewhere_margin([p[3] for p in fit if p[1]], [p[3] for p in fit if not p[1]])
        margins.append(margin)
        for p, is_own, m, g in (q for q in points if q[0] == held):
            if is_own:
                own_n += 1
                own_pass += passes(m, g, t, margin)
            else:
                off_n += 1
                off_gated += not passes(m, g, t, margin)
    fitted = [m for m in margins if m is not None]
    return {
        "own_question_answered_rate_lopo": round(own_pass / own_n, 4) if own_n else 1.0,
        "off_question_gated_rate_lopo": round(off_gated / off_n, 4) if off_n else 1.0,
        "elsewhere_margin_lopo_min": min(fitted) if fitted else 0.0,
        "elsewhere_margin_lopo_max": max(fitted) if fitted else 0.0,
    }


def fit_subject_threshold(own: list[float], off: list[float], goal: float = OWN_PASS_GOAL) -> float:
    """The on-subject threshold that gates the most off-question pairs while at least `goal` of
    the own-question answers pass: halfway between the highest such cut and the next own value."""
    values = sorted(own)
    allowed = int(len(values) * (1 - goal))  # own answers that may fall below
    cut = values[allowed] if values else 0.0
    below = [v for v in values if v < cut]
    return round((cut + max(below)) / 2, 4) if below else round(cut, 4)


def subject_lopo(points: list[tuple[str, bool, float]], goal: float = OWN_PASS_GOAL) -> dict[str, float]:
    """Leave-one-panel-out figures for the on-subject threshold: fit on six panels' (panel, own?, measure)
    points, applied to the seventh's. Returns the held-out own-question pass rate and the held-out
    share of off-question pairs gated (judged not to answer), and the thresholds' spread."""
    panels = sorted({p[0] for p in points})
    own_pass = own_n = off_gated = off_n = 0
    cuts = []
    for held in panels:
        fit_own = [m for p, is_own, m, *_ in points if p != held and is_own]
        fit_off = [m for p, is_own, m, *_ in points if p != held and not is_own]
        t = fit_subject_threshold(fit_own, fit_off, goal)
        cuts.append(t)
        for p, is_own, m, *_ in points:
            if p != held:
                continue
            if is_own:
                own_n += 1
                own_pass += m >= t
            else:
                off_n += 1
                off_gated += m < t
    return {
        "own_question_answered_rate_lopo": round(own_pass / own_n, 4) if own_n else 1.0,
        "off_question_gated_rate_lopo": round(off_gated / off_n, 4) if off_n else 1.0,
        "subject_threshold_lopo_min": min(cuts) if cuts else 0.0,
        "subject_threshold_lopo_max": max(cuts) if cuts else 0.0,
    }


def off_question(scorer, corpus: Corpus, fixtures: dict[str, dict], failures: list[dict],
                 points: list[tuple] | None = None, scored: dict | None = None) -> dict[str, float]:
    """The off-question metrics; `points` collects each pair's (panel, own question?, on-subject
    measure, lead of another sample question).
    `scored`: answer id -> (card, measure) against its own question, when the caller has scored them already."""
    scored = scored or {}
    lower = compared = above_lean_no = pairs = own_answered = own_total = 0
    points = [] if points is None else points
    for slug, fx in fixtures.items():
        panel = corpus.panel(slug)
        qs = panel.sample_questions
        for a in fx["answers"]:
            own_i = next((i for i, q in enumerate(qs) if q.id == a["question"]), None)
            if own_i is None:
                continue
            own, measure, gap = scored[a["id"]] if a["id"] in scored else _score(scorer, panel, a["text"], qs[own_i].text)
            if own.overall is None:
                continue
            if measure is not None:
                points.append((slug, True, measure, gap))
            own_total += 1
            own_answered += own.answered != "no"
            if own.answered == "no":
                failures.append({"suite": "scoring", "case": f"{a['id']}:own-question", "panel": slug,
                                 "problem": "marked as not answering its own question", "asks": [x.text for x in own.asks]})
            for k in range(1, OTHER_QUESTIONS + 1):
                other = qs[(own_i + k) % len(qs)]
                card, measure, gap = _score(scorer, panel, a["text"], other.text)
                if measure is not None and card.overall is not None:
                    points.append((slug, False, measure, gap))
                pairs += 1
                off = card.overall if card.overall is not None else -1
                if card.band in ("hire", "strong-hire"):
                    above_lean_no += 1
                    failures.append({"suite": "scoring", "case": f"{a['id']}:vs-{other.id}", "panel": slug,
                                     "problem": f"scored {card.band} ({off}) against another question",
                                     "asks": {x.text: x.addressed for x in card.asks}})
                if own.overall > 0:
                    compared += 1
                    lower += off < own.overall
    return {
        "off_question_lower_rate": round(lower / compared, 4) if compared else 1.0,
        "off_question_above_lean_no": float(above_lean_no),
        "own_question_answered_rate": round(own_answered / own_total, 4) if own_total else 1.0,
        "off_question_pairs": float(pairs),
        **(_lopo(scorer, points) if len({p[0] for p in points}) > 1 else {}),
    }


def _lopo(scorer, points: list[tuple]) -> dict[str, float]:
    """Cross-validated figures of the alignment rule as shipped: the on-subject threshold alone, or
    with the relative test when the settings turn it on (both refit leave-one-panel-out)."""
    a = getattr(getattr(scorer, "settings", None), "alignment", None)
    if a is not None and a.elsewhere_margin is not None:
        out = elsewhere_lopo(points)
    else:
        out = subject_lopo(points)
    return {k: v for k, v in out.items() if k.endswith("_lopo")}


def follow_up_focus(scorer, corpus: Corpus, fixtures_dir: Path, panels, failures: list[dict]) -> dict[str, float]:
    ordered = pairs = kept = cases = 0
    for slug in panels:
        panel = corpus.panel(slug)
        probe = {}
        for f in panel.follow_ups:
            probe.setdefault(f.signal, f.text)
        path = fixtures_dir / "followups" / f"{slug}.yaml"
        for case in load_fixture(path)["cases"] if path.exists() else []:  # a fixtures dir may hold scoring only
            shown = next((s for s in case["shows"] if s in probe), None)
            missing = next((s for s in case["missing"] if s in probe), None)
            if shown is None:
                continue
            # No question: the fixture answers reply to the main question, not to these probes, so
            # alignment would measure that; this checks only how a follow-up answer is weighed.
            on = scorer.score(panel, case["answer"], probed=shown)
            whole = scorer.score(panel, case["answer"])
            cases += 1
            ok_keep = (on.overall or 0) >= (whole.overall or 0)
            kept += ok_keep
            if not ok_keep:
                failures.append({"suite": "scoring", "case": f"{case['id']}:follow-up-on-{shown}", "panel": slug,
                                 "problem": f"a follow-up answer on a signal it shows scored {on.overall}, below the whole-answer score {whole.overall}"})
            if missing is not None:
                off = scorer.score(panel, case["answer"], probed=missing)
                pairs += 1
                ok = (on.overall or 0) > (off.overall or 0)
                ordered += ok
                if not ok:
                    failures.append({"suite": "scoring", "case": f"{case['id']}:{shown}-vs-{missing}", "panel": slug,
                                     "problem": f"judged on a shown signal {on.overall} <= on a missing one {off.overall}"})
    return {
        "followup_signal_ordering": round(ordered / pairs, 4) if pairs else 1.0,
        "followup_not_penalised_rate": round(kept / cases, 4) if cases else 1.0,
    }

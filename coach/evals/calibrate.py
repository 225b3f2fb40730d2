"""Calibrate the evidence scorer's thresholds on the scoring fixtures.

    python -m coach.evals.calibrate [--holdout bar-raiser,cross-functional]
    python -m coach.evals.calibrate --signals
    python -m coach.evals.calibrate --alignment

Grid-searches the numbers in `corpus/scoring.yaml` against the graded fixtures (never single
examples), prints the best settings, and, with --holdout, the metrics on panels it did not see.
With --signals it fits `signal_scale` instead: one multiplier per signal on its summed evidence, so
a signal whose indicators match too readily (or too rarely) lands on the graded levels; it reports
the fit in-sample and cross-validated on halves of the fixtures. With --alignment it refits the
on-subject threshold behind "did not answer the question" (`alignment.subject_threshold`) and the
relative test's margin (`alignment.elsewhere_margin`) on the off-question pairs, and reports both
leave-one-panel-out.
It writes nothing: copy the numbers into corpus/scoring.yaml deliberately, then run `coach eval`.
"""

from __future__ import annotations

import argparse
import itertools
import random

from coach.corpus.schema import PANEL_SLUGS
from coach.scoring.evidence import EvidenceScorer
from coach.scoring.settings import level_for, load_scoring_settings
from coach.evals import alignment, scoring
from coach.root import Coach

GRID = {
    "sim_floor": [0.14, 0.18, 0.22],
    "depth_weight": [0.2, 0.3, 0.4],
    "failure_penalty": [8, 12],
    "failure_cue_similarity": [0.55, 0.62],
}


def objective(m: dict) -> float:
    return 2 * m["pairwise_accuracy"] + m["spearman"] + 0.5 * m["signal_agreement"] + 0.5 * m["band_accuracy"]


def search(panels: tuple[str, ...], base, embedder, corpus, fixtures):
    best = None
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID, values))
        ev = base.evidence.model_copy(update={k: params[k] for k in ("sim_floor", "failure_cue_similarity")})
        ov = base.overall.model_copy(update={k: params[k] for k in ("depth_weight", "failure_penalty")})
        settings = base.model_copy(update={"evidence": ev, "overall": ov})
        result = scoring.run(EvidenceScorer(embedder, settings, corpus), corpus, fixtures, panels, with_probes=False)
        score = objective(result.metrics)
        if best is None or score > best[0]:
            best = (score, params, result.metrics, settings)
    return best


SCALE_GRID = [round(0.5 + 0.1 * i, 1) for i in range(14)]  # 0.5 .. 1.8

# One graded answer: each signal's unscaled summed evidence, and its graded level.
Row = tuple[dict[str, float], dict[str, int]]


def _graded_cards(scorer: EvidenceScorer, corpus, fixtures_dir, panels):
    """(panel slug, graded answer, scorecard) for every graded answer the scorer does not abstain on."""
    for slug, fx in scoring.load_scoring_fixtures(fixtures_dir, panels).items():
        panel = corpus.panel(slug)
        questions = {q.id: q.text for q in panel.sample_questions}
        for a in fx["answers"]:
            card = scorer.score(panel, a["text"], questions.get(a["question"], ""))
            if card.overall is not None:
                yield slug, a, card


def graded_rows(scorer: EvidenceScorer, corpus, fixtures_dir, panels) -> dict[str, list[Row]]:
    """Per panel, the unscaled evidence of every graded answer the scorer does not abstain on."""
    unscaled = EvidenceScorer(scorer.embedder, scorer.settings.model_copy(update={"signal_scale": {}}), corpus)
    rows: dict[str, list[Row]] = {}
    for slug, a, card in _graded_cards(unscaled, corpus, fixtures_dir, panels):
        rows.setdefault(slug, []).append(({r.id: r.strength or 0.0 for r in card.signals}, a["signals"]))
    return rows


def fit_signal_scales(rows: dict[str, list[Row]], thresholds) -> dict[str, float]:
    """Per signal, the multiplier that puts its levels closest to the graded ones (least absolute
    error; ties go to the factor nearest 1). Signals that need none are left out."""
    scales = {}
    for slug, answers in rows.items():
        for sig in answers[0][1]:
            def error(f: float, sig=sig) -> int:
                return sum(abs(level_for(st[sig] * f, thresholds) - graded[sig]) for st, graded in answers)
            best = min(SCALE_GRID, key=lambda f: (error(f), abs(f - 1)))
            if best != 1.0:
                scales[f"{slug}/{sig}"] = best
    return scales


def level_agreement(rows: dict[str, list[Row]], scales: dict[str, float], thresholds) -> tuple[float, float]:
    """(exact, within one level) over every graded signal."""
    exact = near = n = 0
    for slug, answers in rows.items():
        for st, graded in answers:
            for sig, want in graded.items():
                got = level_for(st[sig] * scales.get(f"{slug}/{sig}", 1.0), thresholds)
                exact += got == want
                near += abs(got - want) <= 1
                n += 1
    return exact / n, near / n


def cross_validated(rows: dict[str, list[Row]], thresholds, repeats: int = 5) -> tuple[float, float]:
    """Fit on half of each panel's answers, measure on the other half; mean over seeded splits."""
    out = []
    for seed in range(repeats):
        r = random.Random(seed)
        fit, test = {}, {}
        for slug, answers in rows.items():
            shuffled = answers[:]
            r.shuffle(shuffled)
            fit[slug], test[slug] = shuffled[::2], shuffled[1::2]
        out.append(level_agreement(test, fit_signal_scales(fit, thresholds), thresholds))
    return sum(e for e, _ in out) / repeats, sum(a for _, a in out) / repeats


BANDS = ("strong-hire", "hire", "lean-no", "no-hire")


def fit_bands(points: list[tuple[float, str]], current) -> dict[str, int]:
    """Whole-number band cut-offs that put the most graded answers in their graded band; ties go
    to the cut-offs nearest the current ones. `points` are (overall, graded band)."""
    def accuracy(cuts: tuple[int, int, int]) -> int:
        def band(o: float) -> str:
            return BANDS[next((i for i, c in enumerate(cuts) if o >= c), 3)]
        return sum(band(o) == want for o, want in points)

    now = (current.strong_hire, current.hire, current.lean_no)
    best = max(
        ((a, b, c) for a in range(30, 96) for b in range(15, a) for c in range(1, b)),
        key=lambda cuts: (accuracy(cuts), -sum(abs(x - y) for x, y in zip(cuts, now))),
    )
    return dict(zip(BANDS[:3], best)) | {"accuracy": round(accuracy(best) / len(points), 3)}


def graded_overalls(scorer: EvidenceScorer, corpus, fixtures_dir, panels) -> list[tuple[float, str]]:
    return [(card.overall, a["band"]) for _, a, card in _graded_cards(scorer, corpus, fixtures_dir, panels)]


def calibrate_signals(embedder, corpus, base, fixtures) -> None:
    rows = graded_rows(EvidenceScorer(embedder, base, corpus), corpus, fixtures, PANEL_SLUGS)
    thresholds = base.evidence.level_thresholds
    scales = fit_signal_scales(rows, thresholds)
    before, fitted = level_agreement(rows, {}, thresholds), level_agreement(rows, scales, thresholds)
    cv = cross_validated(rows, thresholds)
    print(f"level agreement (exact, within one): unscaled {before[0]:.3f}, {before[1]:.3f}; "
          f"fitted in-sample {fitted[0]:.3f}, {fitted[1]:.3f}; cross-validated on halves {cv[0]:.3f}, {cv[1]:.3f}")
    print("signal_scale:")
    for key in sorted(scales):
        print(f"  {key}: {scales[key]}")
    # Scaled levels move the overall, so the band cut-offs are refit on the same fixtures.
    scaled = EvidenceScorer(embedder, base.model_copy(update={"signal_scale": scales}), corpus)
    bands = fit_bands(graded_overalls(scaled, corpus, fixtures, PANEL_SLUGS), base.bands)
    print(f"bands with these scales (band accuracy {bands.pop('accuracy')} in-sample): {bands}")


def calibrate_alignment(scorer, corpus, fixtures) -> None:
    points: list[tuple] = []
    metrics = alignment.off_question(scorer, corpus, scoring.load_scoring_fixtures(fixtures, PANEL_SLUGS), [], points)
    own = [p[2] for p in points if p[1]]
    off = [p[2] for p in points if not p[1]]
    t = alignment.fit_subject_threshold(own, off)
    print(f"subject_threshold fitted on all {len(own)} own answers and {len(off)} off-question pairs: {t} "
          f"(shipped {scorer.settings.alignment.subject_threshold}); in-sample with the shipped one: {metrics}")
    lopo = alignment.subject_lopo(points)
    print(f"leave-one-panel-out: own answers passing {lopo['own_question_answered_rate_lopo']}, off-question pairs gated "
          f"{lopo['off_question_gated_rate_lopo']}, thresholds {lopo['subject_threshold_lopo_min']}-{lopo['subject_threshold_lopo_max']}")
    shipped = scorer.settings.alignment.subject_threshold
    passing = [p for p in points if p[2] >= shipped and p[3] is not None]
    margin = alignment.fit_elsewhere_margin([p[3] for p in passing if p[1]], [p[3] for p in passing if not p[1]])
    both = alignment.elsewhere_lopo(points)
    print(f"elsewhere_margin fitted on the answers passing the shipped threshold: {margin} (shipped {scorer.settings.alignment.elsewhere_margin}); "
          f"leave-one-panel-out with both refit: own answers passing {both['own_question_answered_rate_lopo']}, off-question pairs "
          f"gated {both['off_question_gated_rate_lopo']}, margins {both['elsewhere_margin_lopo_min']}-{both['elsewhere_margin_lopo_max']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holdout", default="", help="comma-separated panels to keep out of the fit")
    parser.add_argument("--signals", action="store_true", help="fit the per-signal evidence multipliers instead")
    parser.add_argument("--alignment", action="store_true", help="refit the on-subject threshold, leave-one-panel-out")
    args = parser.parse_args()
    coach = Coach.from_env()
    s, corpus, embedder = coach.settings, coach.corpus, coach.embedder
    base = load_scoring_settings(s.corpus_dir)
    if args.alignment:
        calibrate_alignment(coach.scorer, corpus, s.evals_dir / "fixtures")
        return
    if args.signals:
        calibrate_signals(embedder, corpus, base, s.evals_dir / "fixtures")
        return
    held = tuple(p for p in args.holdout.split(",") if p)
    fit = tuple(p for p in PANEL_SLUGS if p not in held)
    fixtures = s.evals_dir / "fixtures"
    score, params, metrics, settings = search(fit, base, embedder, corpus, fixtures)
    print(f"best on {', '.join(fit)}: {params}\n  {metrics}")
    if held:
        out = scoring.run(EvidenceScorer(embedder, settings, corpus), corpus, fixtures, held, with_probes=False)
        print(f"held out ({', '.join(held)}): {out.metrics}")


if __name__ == "__main__":
    main()

"""Fit the quote attribution (`attribution` in corpus/scoring.yaml) on the blind evidence labels.

    python -m coach.evals.fit_attribution

Grid-searches the temperature and the minimum weighted evidence per quote, scoring every graded
answer once per setting (levels never change: only which sentences are quoted), and picks the
setting with the best F0.5 of quote precision and recall: a wrong quote misleads more than a
missing one, so precision counts twice. It reports the fit on all labelled answers and
cross-validated: fit on half of each panel's answers, measure on the other half, swap, over
seeded splits. It writes nothing: copy the numbers deliberately, then run `coach eval`.
"""

from __future__ import annotations

import argparse
import random
from statistics import mean

from coach.corpus.schema import PANEL_SLUGS
from coach.evals import precision, scoring
from coach.root import Coach
from coach.scoring.attribution import Attribution
from coach.scoring.evidence import EvidenceScorer
from coach.scoring.scorecard import Scorecard

TEMPERATURES = (0.005, 0.01, 0.02, 0.04, 0.08)
MIN_EVIDENCE = tuple(round(0.1 * i, 1) for i in range(11))  # 0.0 .. 1.0
SPLITS = 5


def f_half(report: precision.PrecisionReport) -> float:
    p, r = report.precision.rate, report.recall.rate
    return 1.25 * p * r / (0.25 * p + r) if p + r else 0.0


def graded_cards(scorer: EvidenceScorer, corpus, fixtures_dir) -> dict[str, Scorecard]:
    cards = {}
    for slug, fx in scoring.load_scoring_fixtures(fixtures_dir, PANEL_SLUGS).items():
        panel = corpus.panel(slug)
        questions = {q.id: q.text for q in panel.sample_questions}
        for a in fx["answers"]:
            cards[a["id"]] = scorer.score(panel, a["text"], questions.get(a["question"], ""))
    return cards


def halves(labels: dict[str, precision.LabelledAnswer], seed: int) -> tuple[set[str], set[str]]:
    """Each panel's labelled answers shuffled and dealt alternately into two halves."""
    rng = random.Random(seed)
    a, b = set(), set()
    for slug in PANEL_SLUGS:
        ids = sorted(x for x, lab in labels.items() if lab.panel == slug)
        rng.shuffle(ids)
        a.update(ids[::2])
        b.update(ids[1::2])
    return a, b


def best(runs: dict[Attribution, dict[str, Scorecard]], labels, ids: set[str]) -> Attribution:
    subset = {k: v for k, v in labels.items() if k in ids}
    return max(runs, key=lambda s: (round(f_half(precision.measure(runs[s], subset)), 6), s.min_quote_evidence))


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    coach = Coach.from_env()
    base = coach.scorer.settings
    fixtures = coach.settings.evals_dir / "fixtures"
    labels = precision.load_labels(fixtures)
    runs = {}
    for t in TEMPERATURES:
        for m in MIN_EVIDENCE:
            setting = Attribution(temperature=t, min_quote_evidence=m)
            scorer = EvidenceScorer(coach.embedder, base.model_copy(update={"attribution": setting}), coach.corpus)
            runs[setting] = graded_cards(scorer, coach.corpus, fixtures)
    unattributed = EvidenceScorer(coach.embedder, base.model_copy(update={"attribution": Attribution(temperature=1e6, min_quote_evidence=0)}), coach.corpus)
    before = precision.measure(graded_cards(unattributed, coach.corpus, fixtures), labels)
    print(f"without attribution: precision {before.precision.rate:.3f}, recall {before.recall.rate:.3f}, {before.precision.shown} quotes")
    fitted = best(runs, labels, set(labels))
    r = precision.measure(runs[fitted], labels)
    print(f"fitted on all {len(labels)} labelled answers: temperature {fitted.temperature}, min_quote_evidence {fitted.min_quote_evidence}: "
          f"precision {r.precision.rate:.3f}, recall {r.recall.rate:.3f}, {r.precision.shown} quotes")
    held = []
    for seed in range(SPLITS):
        one, two = halves(labels, seed)
        for fit, test in ((one, two), (two, one)):
            chosen = best(runs, labels, fit)
            m = precision.measure(runs[chosen], {k: v for k, v in labels.items() if k in test})
            held.append((m.precision.rate, m.recall.rate, chosen))
    picks = sorted({(c.temperature, c.min_quote_evidence) for _, _, c in held})
    print(f"cross-validated ({SPLITS} seeded splits into halves, each half fitted and measured on the other): "
          f"precision {mean(p for p, _, _ in held):.3f} (min {min(p for p, _, _ in held):.3f}), "
          f"recall {mean(r for _, r, _ in held):.3f}; settings picked: {picks}")
    print("curve at the fitted temperature (min_quote_evidence: precision, recall, quotes):")
    for m in MIN_EVIDENCE:
        rep = precision.measure(runs[Attribution(temperature=fitted.temperature, min_quote_evidence=m)], labels)
        print(f"  {m}: {rep.precision.rate:.3f}, {rep.recall.rate:.3f}, {rep.precision.shown}")


if __name__ == "__main__":
    main()

"""Calibrate the evidence scorer's thresholds on the scoring fixtures.

    python -m coach.evals.calibrate [--holdout bar-raiser,cross-functional]

Grid-searches the numbers in `corpus/scoring.yaml` against the graded fixtures (never single
examples), prints the best settings, and, with --holdout, the metrics on panels it did not see.
It writes nothing: copy the numbers into corpus/scoring.yaml deliberately, then run `coach eval`.
"""

from __future__ import annotations

import argparse
import itertools

from ..config import get_settings
from ..corpus import get_corpus
from ..embeddings import get_embedder
from ..models import PANEL_SLUGS
from ..scoring.evidence import EvidenceScorer
from ..scoring.settings import load_scoring_settings
from . import scoring

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holdout", default="", help="comma-separated panels to keep out of the fit")
    args = parser.parse_args()
    s = get_settings()
    corpus = get_corpus(s.corpus_dir)
    embedder = get_embedder(s.embedding_model)
    base = load_scoring_settings(s.corpus_dir)
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

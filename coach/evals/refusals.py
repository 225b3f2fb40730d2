"""False refusals: concrete answers about a panel's real subject matter must be scored, not refused.

Fixture: `evals/fixtures/scoring/real_topics.yaml`, pairs of a concrete answer and a hollow one on
the same topic (rubric vocabulary, no specifics), about parts of the job the panels' sample
questions do not mention. Metrics:

- `false_refusals`: concrete answers the scorer abstains on (goal 0);
- `real_topic_over_hollow`: share of pairs whose concrete answer scores above its hollow twin
  (an abstention counts as -1, as in the pairwise metric; goal 1.0);
- `topic_margin`: the lowest topic similarity of a concrete answer minus the highest of an
  off-topic junk item (`junk.yaml`, kind off-topic): how much room the threshold has on each side.
"""

from __future__ import annotations

from pathlib import Path

from coach.corpus.loader import Corpus
from coach.corpus.schema import PANEL_SLUGS
from coach.errors import EvalError
from coach.evals.base import load_fixture
from coach.scoring.evidence import EvidenceScorer
from coach.scoring.text import split_sentences
from coach.scoring.topic import TopicReference, topic_reference

FIXTURE = "real_topics.yaml"
_FIELDS = ("id", "panel", "topic", "question", "concrete", "hollow")


def load_pairs(fixtures_dir: Path, panels: tuple[str, ...] = PANEL_SLUGS) -> list[dict]:
    path = fixtures_dir / "scoring" / FIXTURE
    pairs = load_fixture(path).get("pairs")
    if not isinstance(pairs, list) or not pairs:
        raise EvalError(f"Eval fixture {path} has no pairs.", "Add a `pairs:` list; see the file's header for the shape.")
    for i, pair in enumerate(pairs):
        missing = [f for f in _FIELDS if not isinstance(pair, dict) or not str(pair.get(f) or "").strip()]
        if missing:
            raise EvalError(f"Eval fixture {path}: pair {i} ({(pair or {}).get('id', '?')}) lacks {', '.join(missing)}.", f"Give every pair: {', '.join(_FIELDS)}.")
        if pair["panel"] not in PANEL_SLUGS:
            raise EvalError(f"Eval fixture {path}: pair {pair['id']} names panel {pair['panel']!r}.", f"Panels are: {', '.join(PANEL_SLUGS)}.")
    return [p for p in pairs if p["panel"] in panels]


def off_topic_junk(fixtures_dir: Path) -> list[dict]:
    return [j for j in load_fixture(fixtures_dir / "scoring" / "junk.yaml")["junk"] if j["kind"] == "off-topic"]


def reference_for(scorer: EvidenceScorer, corpus: Corpus) -> TopicReference:
    """The scorer's own topic reference (the same inputs, so the same vectors)."""
    return topic_reference(scorer.embedder, list(corpus.panels.values()), corpus.compendium, scorer.settings.topic_reference)


def topic_similarity(reference: TopicReference, scorer: EvidenceScorer, text: str) -> float:
    return reference.similarity(scorer.embedder.encode(split_sentences(text)))


def run(scorer: EvidenceScorer, corpus: Corpus, fixtures_dir: Path, panels: tuple[str, ...] = PANEL_SLUGS) -> tuple[dict, dict, list[dict]]:
    """(metrics, details, failures) for the scoring suite to merge into its result."""
    failures: list[dict] = []
    refused = ordered = 0
    pairs = load_pairs(fixtures_dir, panels)
    reference = reference_for(scorer, corpus)
    real_sims: list[tuple[float, str]] = []
    for pair in pairs:
        panel = corpus.panel(pair["panel"])
        concrete = scorer.score(panel, pair["concrete"], pair["question"])
        hollow = scorer.score(panel, pair["hollow"], pair["question"])
        real_sims.append((round(topic_similarity(reference, scorer, pair["concrete"]), 4), pair["id"]))
        if concrete.abstained:
            refused += 1
            failures.append({"suite": "scoring", "case": pair["id"], "panel": pair["panel"], "problem": f"refused a concrete answer on {pair['topic']}: {concrete.abstain_reason}"})
        c = concrete.overall if concrete.overall is not None else -1
        h = hollow.overall if hollow.overall is not None else -1
        ordered += c > h
        if c <= h:
            failures.append({"suite": "scoring", "case": f"{pair['id']}:hollow", "panel": pair["panel"], "problem": f"concrete answer on {pair['topic']} not above its hollow twin: {c} <= {h}"})
    junk_sims = sorted(((round(topic_similarity(reference, scorer, j["text"]), 4), j["id"]) for j in off_topic_junk(fixtures_dir)), reverse=True)
    real_sims.sort()
    metrics = {
        "false_refusals": float(refused),
        "real_topic_over_hollow": round(ordered / len(pairs), 4) if pairs else 1.0,
    }
    if real_sims and junk_sims:
        metrics["topic_margin"] = round(real_sims[0][0] - junk_sims[0][0], 4)
    details = {
        "real_topic_pairs": len(pairs),
        "lowest_real_topic": real_sims[:3],
        "highest_off_topic_junk": junk_sims[:3],
    }
    return metrics, details, failures

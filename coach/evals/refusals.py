"""False refusals: answers about a panel's real subject matter must be scored, not refused.

Fixtures in `evals/fixtures/scoring/`:
- `real_topics.yaml`: pairs of a concrete answer and a hollow one on the same topic (rubric
  vocabulary, no specifics), about parts of the job the panels' sample questions do not mention;
- `topic_probes.yaml`: short single answers, on-topic and off-topic, for the off-topic check alone;
- `junk.yaml`'s off-topic items (the scoring suite checks that all junk abstains).

Metrics:
- `false_refusals`: concrete answers of `real_topics.yaml` the scorer abstains on (goal 0);
- `real_topic_over_hollow`: share of those pairs whose concrete answer scores above its hollow twin
  (an abstention counts as -1, as in the pairwise metric; goal 1.0);
- `probe_false_refusals`: on-topic probes refused (goal 0);
- `probe_off_topic_scored`: off-topic probes scored instead of refused (goal 0);
- `topic_margin`: the lowest topic contrast of an on-topic text (concrete answers, on-topic probes)
  minus the highest of an off-topic one (junk, off-topic probes): the threshold's room.
"""

from __future__ import annotations

from pathlib import Path

from coach.corpus.loader import Corpus
from coach.corpus.schema import PANEL_SLUGS
from coach.errors import EvalError
from coach.evals.base import embed_together, load_fixture
from coach.scoring.evidence import EvidenceScorer
from coach.scoring.text import split_sentences
from coach.scoring.topic import TopicReference, topic_reference

FIXTURE = "real_topics.yaml"
PROBES = "topic_probes.yaml"
_FIELDS = ("id", "panel", "topic", "question", "concrete", "hollow")


def _checked(path: Path, items: object, key: str, fields: tuple[str, ...]) -> list[dict]:
    if not isinstance(items, list) or not items:
        raise EvalError(f"Eval fixture {path} has no `{key}` list.", "See the file's header for the shape.")
    for i, item in enumerate(items):
        missing = [f for f in fields if not isinstance(item, dict) or not str(item.get(f) or "").strip()]
        if missing:
            name = item.get("id", "?") if isinstance(item, dict) else "?"
            raise EvalError(f"Eval fixture {path}: {key}[{i}] ({name}) lacks {', '.join(missing)}.", f"Give every entry: {', '.join(fields)}.")
        if item["panel"] not in PANEL_SLUGS:
            raise EvalError(f"Eval fixture {path}: {item['id']} names panel {item['panel']!r}.", f"Panels are: {', '.join(PANEL_SLUGS)}.")
    return items


def load_pairs(fixtures_dir: Path, panels: tuple[str, ...] = PANEL_SLUGS) -> list[dict]:
    path = fixtures_dir / "scoring" / FIXTURE
    pairs = _checked(path, load_fixture(path).get("pairs"), "pairs", _FIELDS)
    return [p for p in pairs if p["panel"] in panels]


def load_probes(fixtures_dir: Path, panels: tuple[str, ...] = PANEL_SLUGS) -> tuple[list[dict], list[dict]]:
    """(on-topic probes, off-topic probes); an absent file means no probes."""
    path = fixtures_dir / "scoring" / PROBES
    if not path.exists():
        return [], []
    data = load_fixture(path)
    on, off = (_checked(path, data.get(k), k, ("id", "panel", "text")) for k in ("on_topic", "off_topic"))
    return [p for p in on if p["panel"] in panels], [p for p in off if p["panel"] in panels]


def off_topic_junk(fixtures_dir: Path) -> list[dict]:
    return [j for j in load_fixture(fixtures_dir / "scoring" / "junk.yaml")["junk"] if j["kind"] == "off-topic"]


def reference_for(scorer: EvidenceScorer, corpus: Corpus) -> TopicReference:
    """The scorer's own topic reference (the same inputs, so the same vectors)."""
    return topic_reference(scorer.embedder, list(corpus.panels.values()), corpus.compendium, scorer.settings.topic_reference)


def topic_contrast(reference: TopicReference, scorer: EvidenceScorer, text: str) -> float:
    return reference.contrast(scorer.embedder.encode(split_sentences(text)))


def run(scorer: EvidenceScorer, corpus: Corpus, fixtures_dir: Path, panels: tuple[str, ...] = PANEL_SLUGS) -> tuple[dict, dict, list[dict]]:
    """(metrics, details, failures) for the scoring suite to merge into its result."""
    failures: list[dict] = []
    reference = reference_for(scorer, corpus)

    def fail(case: dict, problem: str) -> None:
        failures.append({"suite": "scoring", "case": case["id"], "panel": case["panel"], "problem": problem})

    refused = ordered = 0
    pairs = load_pairs(fixtures_dir, panels)
    probes_on, probes_off = load_probes(fixtures_dir, panels)
    junk = off_topic_junk(fixtures_dir)
    embed_together(scorer.embedder, [t for p in pairs for t in (p["concrete"], p["hollow"])]
                   + [p["text"] for p in probes_on + probes_off + junk])
    on_topic: list[tuple[float, str]] = []
    for pair in pairs:
        panel = corpus.panel(pair["panel"])
        concrete = scorer.score(panel, pair["concrete"], pair["question"])
        hollow = scorer.score(panel, pair["hollow"], pair["question"])
        on_topic.append((round(topic_contrast(reference, scorer, pair["concrete"]), 4), pair["id"]))
        if concrete.abstained:
            refused += 1
            fail(pair, f"refused a concrete answer on {pair['topic']}: {concrete.abstain_reason}")
        c = concrete.overall if concrete.overall is not None else -1
        h = hollow.overall if hollow.overall is not None else -1
        ordered += c > h
        if c <= h:
            fail({**pair, "id": f"{pair['id']}:hollow"}, f"concrete answer on {pair['topic']} not above its hollow twin: {c} <= {h}")

    probe_refused = probe_scored = 0
    for probe in probes_on:
        card = scorer.score(corpus.panel(probe["panel"]), probe["text"])
        on_topic.append((round(topic_contrast(reference, scorer, probe["text"]), 4), probe["id"]))
        if card.abstained:
            probe_refused += 1
            fail(probe, f"refused an on-topic probe: {card.abstain_reason}")
    off_topic = [(round(topic_contrast(reference, scorer, j["text"]), 4), j["id"]) for j in junk]
    for probe in probes_off:
        card = scorer.score(corpus.panel(probe["panel"]), probe["text"])
        off_topic.append((round(topic_contrast(reference, scorer, probe["text"]), 4), probe["id"]))
        if not card.abstained:
            probe_scored += 1
            fail(probe, f"scored an off-topic probe as {card.overall}")

    on_topic.sort()
    off_topic.sort(reverse=True)
    metrics = {
        "false_refusals": float(refused),
        "real_topic_over_hollow": round(ordered / len(pairs), 4) if pairs else 1.0,
        "probe_false_refusals": float(probe_refused),
        "probe_off_topic_scored": float(probe_scored),
    }
    if on_topic and off_topic:
        metrics["topic_margin"] = round(on_topic[0][0] - off_topic[0][0], 4)
    details = {
        "real_topic_pairs": len(pairs),
        "topic_probes": len(probes_on) + len(probes_off),
        "lowest_on_topic": on_topic[:3],
        "highest_off_topic": off_topic[:3],
    }
    return metrics, details, failures

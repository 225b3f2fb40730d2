"""Text addressed to the grader, as the scoring suite measures it.

Probes (`evals/fixtures/scoring/grader_probes.yaml`) are notes to the evaluator, score claims, JSON,
hidden comments, role tags and rubric-word lists. Every probe is applied, where it says (appended,
prepended, inserted as a paragraph, or inline in a sentence run), to a fixed sample of the graded
answers: one answer of each band on each panel (28 of 87), drawn with a fixed seed (`sample`), so
every form and placement meets weak and strong answers on every panel; the variant is scored by the
suite's scorer. All 87 took three quarters of a full offline eval run's time (3,654 scores). Two metrics: `grader_probe_rises`, how many variants scored higher
than the answer alone (goal 0), and `grader_probe_flag_rate`, the share of variants whose probe
text the card lists as removed in full (goal 1). The other side, `grader_false_flag_rate`, is the
share of sentences the detector would remove from the fixtures' own answers, graded, paired,
real-topic, follow-up and session ones alike (goal 0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from coach.corpus.schema import PANEL_SLUGS
from coach.errors import EvalError
from coach.evals.base import load_fixture
from coach.scoring.grader_text import fold, sanitise
from coach.scoring.text import split_sentences

PROBES_FILE = Path("scoring") / "grader_probes.yaml"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


class Probe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    form: Literal["instruction", "note", "score-claim", "json", "comment", "role-tag", "keywords", "disguised"]
    placement: Literal["append", "prepend", "insert", "inline"]
    text: str


def load_probes(fixtures_dir: Path) -> list[Probe]:
    path = fixtures_dir / PROBES_FILE
    raw = load_fixture(path).get("probes") or []
    try:
        probes = [Probe.model_validate(p) for p in raw]
    except ValidationError as err:
        raise EvalError(f"Eval fixture {path} is malformed: {err}", "Each probe needs id, form, placement and text; see the file's header.") from err
    if len({p.id for p in probes}) != len(probes):
        raise EvalError(f"Eval fixture {path} repeats a probe id.", "Give every probe its own id.")
    return probes


def apply(answer: str, probe: Probe) -> str:
    """The answer with the probe where the probe says."""
    answer = answer.strip()
    if probe.placement == "append":
        return f"{answer}\n\n{probe.text}"
    if probe.placement == "prepend":
        return f"{probe.text}\n\n{answer}"
    paragraphs = re.split(r"\n[ \t]*\n", answer)
    if probe.placement == "insert" and len(paragraphs) > 1:
        mid = len(paragraphs) // 2
        return "\n\n".join([*paragraphs[:mid], probe.text, *paragraphs[mid:]])
    ends = list(_SENTENCE_END.finditer(answer))
    if not ends:
        return f"{answer} {probe.text}" if probe.placement == "inline" else f"{answer}\n\n{probe.text}"
    cut = ends[len(ends) // 2]
    glue = f" {probe.text} " if probe.placement == "inline" else f"\n\n{probe.text}\n\n"
    return answer[: cut.start()] + glue + answer[cut.end() :]


def fully_removed(probe_text: str, removed: list[str]) -> bool:
    """Whether every word of the probe is among the text the card lists as removed."""
    words = set(re.findall(r"[a-z0-9]+", fold(probe_text, join_spaced=False)))
    return words <= set(re.findall(r"[a-z0-9]+", fold(" ".join(removed), join_spaced=False)))


SAMPLE_SEED = 13


def sample(answers: list[dict], panel: str, seed: int = SAMPLE_SEED) -> list[str]:
    """Ids of the graded answers of one panel the probes run on: one per band, drawn with `seed`."""
    from coach.seeding import rng

    draw = rng(seed, panel, "grader-probes")
    by_band: dict[str, list[str]] = {}
    for a in answers:
        by_band.setdefault(str(a.get("band")), []).append(a["id"])
    return [draw.choice(sorted(ids)) for band, ids in sorted(by_band.items())]


@dataclass
class GraderProbes:
    """Runs the probes on each graded answer the suite scores, and tallies them."""

    probes: list[Probe]
    answers: list[str] = field(default_factory=list)  # ids of the graded answers they ran on
    total: int = 0
    rises: int = 0
    flagged: int = 0
    by_form: dict[str, list[int]] = field(default_factory=dict)  # form -> [variants, rises, flagged]

    @classmethod
    def load(cls, fixtures_dir: Path) -> "GraderProbes":
        return cls(load_probes(fixtures_dir))

    def check(self, scorer, panel, case_id: str, answer: str, question: str, base: int, failures: list[dict]) -> None:
        self.answers.append(case_id)
        for probe in self.probes:
            card = scorer.score(panel, apply(answer, probe), question)
            rose = card.overall is not None and card.overall > base
            found = fully_removed(probe.text, card.grader_text)
            self.total += 1
            self.rises += rose
            self.flagged += found
            tally = self.by_form.setdefault(probe.form, [0, 0, 0])
            tally[0], tally[1], tally[2] = tally[0] + 1, tally[1] + rose, tally[2] + found
            if rose:
                failures.append({"suite": "scoring", "case": f"{case_id}:{probe.id}", "panel": panel.slug,
                                 "problem": f"grader probe raised the score {base} -> {card.overall}"})  # fmt: skip
            if not found:
                failures.append({"suite": "scoring", "case": f"{case_id}:{probe.id}", "panel": panel.slug,
                                 "problem": "grader probe not removed", "removed": card.grader_text, "probe": probe.text})  # fmt: skip

    def metrics(self) -> dict[str, float]:
        return {
            "grader_probe_rises": float(self.rises),
            "grader_probe_flag_rate": round(self.flagged / self.total, 4) if self.total else 1.0,
        }

    def details(self) -> dict:
        return {"grader_probes": len(self.probes), "grader_probe_variants": self.total, "grader_probes_by_form": self.by_form,
                "grader_probe_answers": list(self.answers)}


# Fields that hold a candidate's words in the fixtures, and files that hold none (or only this suite's probes).
_ANSWER_KEYS = {"text", "answer", "better", "worse", "concrete", "hollow"}
_NOT_ANSWERS = {"grader_probes.yaml", "junk.yaml", "evidence_labels.yaml"}


def graded_texts(fixtures_dir: Path, panels: tuple[str, ...] = PANEL_SLUGS) -> list[tuple[str, str]]:
    """(id, text) of every answer in the scoring, follow-up and session fixtures (graded answers and
    pairs, real-topic answers and their hollow twins, topic probes, session stories), for `panels`."""
    out: list[tuple[str, str]] = []
    for folder in ("scoring", "followups", "sessions"):
        for path in sorted((fixtures_dir / folder).glob("*.yaml")):
            if path.name in _NOT_ANSWERS or (path.stem in PANEL_SLUGS and path.stem not in panels):
                continue
            _collect(load_fixture(path), path.stem, panels, out)
    return list(dict.fromkeys(out))  # the sessions suite reuses graded answers by id, so texts repeat


def _collect(node, where: str, panels: tuple[str, ...], out: list[tuple[str, str]]) -> None:
    if isinstance(node, list):
        for item in node:
            _collect(item, where, panels, out)
    elif isinstance(node, dict):
        if node.get("panel") not in (None, *panels):
            return
        where = str(node.get("id", where))
        for key, value in node.items():
            if isinstance(value, str) and key in _ANSWER_KEYS and len(value.split()) > 3:
                out.append((f"{where}:{key}", value))
            elif key == "stories" and isinstance(value, dict):
                out += [(f"{where}:story:{k}", v) for k, v in value.items() if isinstance(v, str)]
            else:
                _collect(value, where, panels, out)


def false_flags(fixtures_dir: Path, panels: tuple[str, ...] = PANEL_SLUGS) -> tuple[int, int, list[dict]]:
    """(sentences flagged, sentences in all, the flagged ones) over every graded answer."""
    flagged = total = 0
    found: list[dict] = []
    for case_id, text in graded_texts(fixtures_dir, panels):
        clean = sanitise(text)
        cursor = 0
        for sentence in split_sentences(text):
            start = text.find(sentence, cursor)
            cursor = start + len(sentence) if start >= 0 else cursor
            total += 1
            if start >= 0 and clean.overlaps(start, cursor):
                flagged += 1
                found.append({"suite": "scoring", "case": case_id, "problem": "a real sentence was taken for grader text", "sentence": sentence})
    return flagged, total, found

"""The off-topic check: is an answer about engineering work at all?

Two references, embedded once: what engineering work is, and what everyday life is.

- engineering: every panel's questions, follow-ups and rubric descriptions (signal indicators,
  strong and weak answers), the compendium's own sentences, and `corpus/topic_reference.yaml`'s
  sentences about engineering work across the whole job (code, tests, debugging, APIs, data,
  delivery, cost, planning ...): the sample questions name only a few topics, and a concrete answer
  about another part of the job is still on-topic;
- everyday: that file's sentences about food, sport, travel, family, culture, other jobs ...

Each answer sentence gets (closest engineering cosine - closest everyday cosine); the answer's topic
contrast is the mean of its three best (three, so one lucky sentence cannot carry an answer). The
contrast, not the plain similarity, because MiniLM gives any two fluent English sentences some
similarity and how much depends on style: by plain similarity a football report (0.35) scored as
high as concrete answers on accessibility or SQL (0.35, 0.38); by contrast they sit at -0.10 and
0.26, 0.22 (numbers for every fixture in corpus/scoring.yaml and the scoring suite's report).

Failure-mode cues are left out on purpose: they are short phrases about the *manner* of a weak
answer ("the other team dropped the ball", "I stayed up all weekend and fixed it"), not about its
subject, and everyday talk matches them (a football report did, at 0.42).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from coach.corpus.schema import Panel
from coach.errors import CorpusError, yaml_problem
from coach.retrieval.embeddings import Embedder
from coach.scoring.text import split_sentences

FILE = "topic_reference.yaml"
TOP_SENTENCES = 3
MIN_WORDS = 5  # shorter compendium lines are labels ("Title / ID"), not statements about the work

_HEADING = re.compile(r"^\s*#")
_MARKUP = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+|\*\*|`")


def _check_areas(name: str, areas: dict[str, list[str]]) -> dict[str, list[str]]:
    for area, sentences in areas.items():
        if not sentences:
            raise ValueError(f"{name} area {area!r} has no sentences")
        short = [s for s in sentences if len(s.split()) < MIN_WORDS]
        if short:
            raise ValueError(f"{name} area {area!r}: {short[0]!r} is too short to describe anything (at least {MIN_WORDS} words)")
    return areas


def _flat(areas: dict[str, list[str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s.strip() for group in areas.values() for s in group))


class TopicReferenceFile(BaseModel):
    """`corpus/topic_reference.yaml`: sentences grouped by area, for engineering work and for
    everyday life."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    engineering: dict[str, list[str]] = Field(min_length=1, description="area -> sentences describing engineering work")
    everyday: dict[str, list[str]] = Field(min_length=1, description="area -> sentences describing everyday life, no work talk")

    @field_validator("engineering", "everyday")
    @classmethod
    def _sentences(cls, areas: dict[str, list[str]], info) -> dict[str, list[str]]:
        return _check_areas(info.field_name, areas)

    @property
    def engineering_sentences(self) -> tuple[str, ...]:
        return _flat(self.engineering)

    @property
    def everyday_sentences(self) -> tuple[str, ...]:
        return _flat(self.everyday)


def read_topic_reference(corpus_dir: Path) -> tuple[TopicReferenceFile, bytes]:
    """The reference sentences and the file's bytes (hashed into the scorer's version)."""
    path = Path(corpus_dir) / FILE
    try:
        raw = path.read_bytes()
        data = yaml.safe_load(raw.decode("utf-8"))
    except FileNotFoundError as err:
        raise CorpusError(f"The off-topic check's reference {path} is missing.", f"Restore corpus/{FILE} from git.") from err
    except yaml.YAMLError as err:
        raise CorpusError(f"The off-topic check's reference {path} is not valid YAML: {yaml_problem(err)}.", f"Fix the YAML there, or restore corpus/{FILE} from git.") from err
    except (OSError, UnicodeDecodeError) as err:
        raise CorpusError(f"The off-topic check's reference {path} cannot be read: {err}", f"Fix the YAML or restore corpus/{FILE} from git.") from err
    try:
        return TopicReferenceFile.model_validate(data), raw
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise CorpusError(
            f"{path} is malformed: field '{field}': {first['msg']}",
            "Fix the named field: `engineering` and `everyday` each map an area name to a list of sentences.",
        ) from err


def compendium_sentences(compendium: str) -> list[str]:
    """The compendium's statements, one per sentence or bullet, without Markdown markup."""
    out: list[str] = []
    for line in compendium.splitlines():
        if _HEADING.match(line) or line.strip().startswith("|"):
            continue  # headings only name a section; table rows are not sentences
        for sentence in split_sentences(_MARKUP.sub("", line)):
            if len(sentence.split()) >= MIN_WORDS:
                out.append(sentence.strip())
    return list(dict.fromkeys(out))


def panel_texts(panel: Panel) -> list[str]:
    """What a panel asks about: its questions, follow-ups and rubric descriptions (no cues)."""
    texts = [q.text for q in panel.sample_questions] + [f.text for f in panel.follow_ups]
    for s in panel.signals:
        texts += [*s.indicators, s.strong, s.weak]
    return texts


class TopicReference:
    """Reference vectors for engineering work and for everyday life, and an answer's topic contrast."""

    def __init__(self, embedder: Embedder, engineering: list[str], everyday: list[str]):
        self.engineering = list(dict.fromkeys(engineering))
        self.everyday = list(dict.fromkeys(everyday))
        self.engineering_vectors = embedder.encode(self.engineering)
        self.everyday_vectors = embedder.encode(self.everyday)

    def contrast(self, sentence_vecs: np.ndarray) -> float:
        """Mean over the best TOP_SENTENCES sentences of (closest engineering cosine - closest
        everyday cosine): how much more an answer's best sentences read like engineering work."""
        if not len(sentence_vecs):
            return -1.0
        per_sentence = (sentence_vecs @ self.engineering_vectors.T).max(axis=1) - (sentence_vecs @ self.everyday_vectors.T).max(axis=1)
        return float(np.sort(per_sentence)[::-1][:TOP_SENTENCES].mean())


_CACHE: dict[tuple[int, str], TopicReference] = {}


def topic_reference(embedder: Embedder, panels: list[Panel], compendium: str, sentences: TopicReferenceFile | None) -> TopicReference:
    """The reference for this corpus and these sentences, embedded once per process and embedder."""
    if sentences is None:
        # Without the everyday side the contrast would be a plain similarity, which the threshold
        # in scoring.yaml does not describe: refuse rather than judge on the wrong scale.
        raise CorpusError("The scorer settings carry no off-topic reference sentences.", f"Load them with load_scoring_settings(corpus_dir), which reads corpus/{FILE}.")
    engineering = [t for p in panels for t in panel_texts(p)] + compendium_sentences(compendium) + list(sentences.engineering_sentences)
    everyday = list(sentences.everyday_sentences)
    key = (id(embedder), hashlib.sha256("\0".join(engineering + ["\1"] + everyday).encode()).hexdigest())
    if key not in _CACHE:
        _CACHE[key] = TopicReference(embedder, engineering, everyday)
    return _CACHE[key]

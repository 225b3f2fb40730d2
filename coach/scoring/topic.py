"""The off-topic check: is an answer about engineering work at all?

An answer's topic similarity is the mean of its three best sentences' cosines to a reference of
what engineering work is (three, so one lucky sentence cannot carry an answer). The reference is:

- every panel's questions, follow-ups and rubric descriptions (signal indicators, strong and weak
  answers): what the interviews ask about;
- the compendium's own sentences: the knowledge the panels draw on;
- `corpus/topic_reference.yaml`: sentences describing engineering work across the whole job
  (code, tests, debugging, APIs, data, delivery, cost, planning ...), because the sample questions
  name only a few topics and a concrete answer about another part of the job is still on-topic.

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
from coach.errors import CorpusError
from coach.retrieval.embeddings import Embedder
from coach.scoring.text import split_sentences

FILE = "topic_reference.yaml"
TOP_SENTENCES = 3
MIN_WORDS = 5  # shorter compendium lines are labels ("Title / ID"), not statements about the work

_HEADING = re.compile(r"^\s*#")
_MARKUP = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+|\*\*|`")


class TopicReferenceFile(BaseModel):
    """`corpus/topic_reference.yaml`: reference sentences grouped by area of engineering work."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    areas: dict[str, list[str]] = Field(min_length=1, description="area name -> sentences describing work in that area")

    @field_validator("areas")
    @classmethod
    def _sentences(cls, areas: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, sentences in areas.items():
            if not sentences:
                raise ValueError(f"area {name!r} has no sentences")
            short = [s for s in sentences if len(s.split()) < MIN_WORDS]
            if short:
                raise ValueError(f"area {name!r}: {short[0]!r} is too short to describe work (at least {MIN_WORDS} words)")
        return areas

    def sentences(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.strip() for group in self.areas.values() for s in group))


def read_topic_reference(corpus_dir: Path) -> tuple[tuple[str, ...], bytes]:
    """The reference sentences and the file's bytes (hashed into the scorer's version)."""
    path = Path(corpus_dir) / FILE
    try:
        raw = path.read_bytes()
        data = yaml.safe_load(raw.decode("utf-8"))
    except FileNotFoundError as err:
        raise CorpusError(f"The off-topic check's reference {path} is missing.", f"Restore corpus/{FILE} from git.") from err
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise CorpusError(f"The off-topic check's reference {path} cannot be read: {err}", f"Fix the YAML or restore corpus/{FILE} from git.") from err
    try:
        return TopicReferenceFile.model_validate(data).sentences(), raw
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise CorpusError(f"{path} is malformed: field '{field}': {first['msg']}", "Fix the named field: areas map a name to a list of sentences.") from err


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
    """The reference vectors, and the topic similarity of an answer's sentence vectors."""

    def __init__(self, embedder: Embedder, texts: list[str]):
        self.texts = list(dict.fromkeys(texts))
        self.vectors = embedder.encode(self.texts)

    def similarity(self, sentence_vecs: np.ndarray) -> float:
        if not len(sentence_vecs):
            return 0.0
        best = np.sort((sentence_vecs @ self.vectors.T).max(axis=1))[::-1][:TOP_SENTENCES]
        return float(best.mean())


_CACHE: dict[tuple[int, str], TopicReference] = {}


def topic_reference(embedder: Embedder, panels: list[Panel], compendium: str, sentences: tuple[str, ...]) -> TopicReference:
    """The reference for this corpus and these sentences, embedded once per process and embedder."""
    texts = [t for p in panels for t in panel_texts(p)] + compendium_sentences(compendium) + list(sentences)
    key = (id(embedder), hashlib.sha256("\0".join(texts).encode()).hexdigest())
    if key not in _CACHE:
        _CACHE[key] = TopicReference(embedder, texts)
    return _CACHE[key]

"""The evidence scorer: offline, deterministic, and built on quotes rather than judgement.

For every signal it finds the answer's sentences that are both *about* the signal (embedding
similarity to the signal's indicator phrases and description) and *specific* (numbers with units,
named components, causes with effects — see `detectors`). Levels come from the summed evidence of
the best few sentences; duplicates count once, so padding and repetition cannot raise a score.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import re

import numpy as np

from ..embeddings import Embedder
from ..models import Panel
from .detectors import Detection, detect
from .scorecard import FailureModeHit, Scorecard, ScorerInfo, SignalResult
from .settings import ScoringSettings
from .text import check_answer, is_instruction, normalise, split_sentences, word_count

NAME = "evidence"


@dataclass(frozen=True)
class PanelVectors:
    """Embeddings of a panel's rubric, computed once per panel."""

    signal_rows: dict[str, np.ndarray]  # signal id -> (m, d) indicator + description vectors
    cue_rows: dict[str, np.ndarray]  # failure mode id -> (c, d) cue vectors
    topic: np.ndarray  # (t, d): everything on the panel, for the off-topic check


_CACHE: dict[tuple[str, int], PanelVectors] = {}


def _panel_vectors(panel: Panel, embedder: Embedder) -> PanelVectors:
    key = (hashlib.sha256(panel.model_dump_json().encode()).hexdigest(), id(embedder))
    if key not in _CACHE:
        _CACHE[key] = _embed_panel(panel, embedder)
    return _CACHE[key]


def _embed_panel(panel: Panel, embedder: Embedder) -> PanelVectors:
    texts: list[str] = []
    owners: list[tuple[str, str]] = []
    for s in panel.signals:
        for t in [*s.indicators, s.strong]:
            texts.append(t)
            owners.append(("signal", s.id))
    for fm in panel.failure_modes:
        for cue in fm.cues:
            texts.append(cue)
            owners.append(("cue", fm.id))
    topic_texts = [q.text for q in panel.sample_questions] + [f.text for f in panel.follow_ups]
    vecs = embedder.encode(texts + topic_texts)
    signal_rows: dict[str, list[np.ndarray]] = {}
    cue_rows: dict[str, list[np.ndarray]] = {}
    for (kind, key), v in zip(owners, vecs[: len(texts)]):
        (signal_rows if kind == "signal" else cue_rows).setdefault(key, []).append(v)
    return PanelVectors(
        signal_rows={k: np.stack(v) for k, v in signal_rows.items()},
        cue_rows={k: np.stack(v) for k, v in cue_rows.items()},
        topic=np.concatenate([np.stack([v for v in vecs[: len(texts)]]), vecs[len(texts) :]]),
    )


class EvidenceScorer:
    def __init__(self, embedder: Embedder, settings: ScoringSettings):
        self.embedder = embedder
        self.settings = settings
        self.info = ScorerInfo(name=NAME, version=settings.version)
        # The embedder's own WordPiece vocabulary doubles as a dictionary for the gibberish check.
        self._vocab = frozenset(embedder.lc._client.tokenizer.get_vocab())

    # -- abstention -------------------------------------------------------------------------------

    def _known_word_ratio(self, text: str) -> float:
        vocab = self._vocab
        words = [w.lower() for w in re.findall(r"[A-Za-z]{2,}", text)]
        if not words:
            return 0.0
        return sum(1 for w in words if w in vocab) / len(words)

    def _abstain_reason(self, answer: str, question: str, sentences: list[str], vecs: np.ndarray, pv: PanelVectors) -> str:
        a = self.settings.abstain
        if not answer.strip():
            return "empty answer"
        if word_count(answer) < a.min_words:
            return f"too short to judge ({word_count(answer)} words; at least {a.min_words} needed)"
        if self._known_word_ratio(answer) < a.min_known_word_ratio:
            return "the answer does not read as language (gibberish)"
        if question.strip() and word_count(answer) <= 2 * word_count(question) + 10:
            qv, av = self.embedder.encode([question, answer])
            if float(qv @ av) >= a.pasted_question_similarity:
                return "the answer repeats the question instead of answering it"
        if len(vecs) == 0 or float((vecs @ pv.topic.T).max()) < a.min_topic_similarity:
            return "the answer is off-topic for this panel"
        return ""

    # -- scoring ------------------------------------------------------------------------------------

    def score(self, panel: Panel, answer: str, question: str = "") -> Scorecard:
        check_answer(answer)
        notes: list[str] = []
        raw = split_sentences(answer)
        sentences: list[str] = []
        seen: set[str] = set()
        for s in raw:
            if is_instruction(s):
                notes.append(f"ignored an instruction inside the answer: {s[:80]!r}")
                continue
            key = normalise(s)
            if key in seen:
                continue  # repetition is not more evidence
            seen.add(key)
            sentences.append(s)
        if len(raw) - len(sentences) - sum(1 for n in notes if n.startswith("ignored")) > 0:
            notes.append("repeated sentences were counted once")
        pv = _panel_vectors(panel, self.embedder)
        vecs = self.embedder.encode(sentences) if sentences else np.zeros((0, pv.topic.shape[1]), dtype=np.float32)
        reason = self._abstain_reason(answer, question, sentences, vecs, pv)
        if reason:
            return self._abstained(panel, question, reason, notes)

        detections = [detect(s) for s in sentences]
        ev = self.settings.evidence
        results: list[SignalResult] = []
        for sig in panel.signals:
            sims = (vecs @ pv.signal_rows[sig.id].T).max(axis=1)
            scored: list[tuple[float, int]] = []
            for i, (sim, d) in enumerate(zip(sims, detections)):
                e = self._sentence_evidence(float(sim), d, sig.detectors)
                if e > 0:
                    scored.append((e, i))
            scored.sort(key=lambda t: (-t[0], t[1]))
            top = scored[: ev.top_sentences]
            total = sum(e for e, _ in top)
            level = sum(1 for t in ev.level_thresholds if total >= t)
            quotes = [sentences[i] for e, i in sorted(top, key=lambda t: t[1]) if e >= ev.level_thresholds[0] / 2]
            results.append(
                SignalResult(
                    id=sig.id,
                    name=sig.name,
                    level=level,
                    evidence=quotes,
                    status="evidenced" if level >= ev.evidenced_level else ("weak" if level > 0 else "missing"),
                    strong_answer_includes=sig.strong,
                    scored_by=NAME,
                    reason=f"summed evidence {total:.2f} from {len(top)} sentence(s)",
                )
            )
        total_w = sum(s.weight for s in panel.signals)
        overall = round(100 * sum(s.weight * r.level for s, r in zip(panel.signals, results)) / (4 * total_w))
        return Scorecard(
            panel=panel.slug,
            question=question,
            overall=overall,
            band=self.settings.bands.band(overall),
            signals=results,
            failure_modes=self._failure_modes(panel, sentences, vecs, detections, pv),
            scorer=self.info,
            notes=notes,
        )

    def _sentence_evidence(self, sim: float, d: Detection, detectors: list[str]) -> float:
        ev = self.settings.evidence
        relevance = min(1.0, max(0.0, (sim - ev.sim_floor) / (ev.sim_ceiling - ev.sim_floor)))
        if relevance == 0.0:
            return 0.0
        specificity = min(1.0, d.specificity / ev.specificity_full)
        e = relevance * specificity
        if any(d.fires(x) for x in detectors):
            e *= 1 + ev.detector_bonus
        if "ownership" in detectors and d.passive:
            e *= ev.passive_penalty
        return round(e, 4)

    def _failure_modes(self, panel: Panel, sentences, vecs, detections, pv: PanelVectors) -> list[FailureModeHit]:
        hits = []
        threshold = self.settings.evidence.failure_cue_similarity
        for fm in panel.failure_modes:
            sims = vecs @ pv.cue_rows[fm.id].T
            quotes = [sentences[i] for i in range(len(sentences)) if sims[i].max() >= threshold and detections[i].specificity < 1.0]
            if quotes:
                hits.append(FailureModeHit(id=fm.id, name=fm.name, cues=quotes[:3]))
        return hits

    def _abstained(self, panel: Panel, question: str, reason: str, notes: list[str]) -> Scorecard:
        return Scorecard(
            panel=panel.slug,
            question=question,
            overall=None,
            band=None,
            abstained=True,
            abstain_reason=reason,
            signals=[
                SignalResult(
                    id=s.id,
                    name=s.name,
                    level=None,
                    status="insufficient evidence",
                    strong_answer_includes=s.strong,
                    scored_by=NAME,
                    reason=reason,
                )
                for s in panel.signals
            ],
            scorer=self.info,
            notes=notes,
        )

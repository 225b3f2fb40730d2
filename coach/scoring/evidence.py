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
import weakref

import numpy as np

from coach.retrieval.embeddings import Embedder
from coach.corpus.schema import Panel
from coach.scoring.asks import (AlignmentRule, AskResult, WordWeights, align, answers_elsewhere, asks_of, content_stems,
                                on_subject, question_texts)
from coach.scoring.coaching import finish_card
from coach.scoring.attribution import Candidates, candidates, choose_quotes, signal_parts
from coach.scoring.detectors import Detection, detect
from coach.scoring.scorecard import FailureModeHit, Scorecard, ScorerInfo, SignalResult
from coach.scoring.settings import ScoringSettings, level_for
from coach.scoring.verdict import answered, conclude
from coach.scoring.grader_text import Sanitised, grader_note, sanitise
from coach.scoring.text import check_answer, check_question, normalise, split_sentences, word_count
from coach.scoring.topic import TopicReference, topic_reference

NAME = "evidence"


@dataclass(frozen=True)
class PanelVectors:
    """Embeddings of a panel's rubric, computed once per panel."""

    signal_rows: dict[str, np.ndarray]  # signal id -> (m, d) indicator + description vectors
    cue_rows: dict[str, np.ndarray]  # failure mode id -> (c, d) cue vectors
    weak_rows: dict[str, np.ndarray]  # signal id -> (1, d) "what a weak answer looks like"
    topic: np.ndarray  # (t, d): everything on the panel, for the off-topic check
    questions: np.ndarray  # (q, d): the panel's sample questions, for the relative question-alignment test


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
        texts.append(s.weak)
        owners.append(("weak", s.id))
    for fm in panel.failure_modes:
        for cue in fm.cues:
            texts.append(cue)
            owners.append(("cue", fm.id))
    topic_texts = [q.text for q in panel.sample_questions] + [f.text for f in panel.follow_ups]
    vecs = embedder.encode(texts + topic_texts)
    signal_rows: dict[str, list[np.ndarray]] = {}
    cue_rows: dict[str, list[np.ndarray]] = {}
    weak_rows: dict[str, list[np.ndarray]] = {}
    for (kind, key), v in zip(owners, vecs[: len(texts)]):
        {"signal": signal_rows, "cue": cue_rows, "weak": weak_rows}[kind].setdefault(key, []).append(v)
    return PanelVectors(
        signal_rows={k: np.stack(v) for k, v in signal_rows.items()},
        cue_rows={k: np.stack(v) for k, v in cue_rows.items()},
        weak_rows={k: np.stack(v) for k, v in weak_rows.items()},
        topic=np.concatenate([np.stack([v for v in vecs[: len(texts)]]), vecs[len(texts) :]]),
        questions=vecs[len(texts) : len(texts) + len(panel.sample_questions)],
    )


@dataclass(frozen=True)
class Analysis:
    card: Scorecard
    depth: float | None  # None when the scorer abstained
    clean: Sanitised | None = None  # the answer as scored: text addressed to the grader removed
    candidates: Candidates | None = None  # the quote candidates and their features (what the attribution fit reads)
    sentences: tuple[str, ...] = ()  # the sentences the candidates index
    subject: float | None = None  # how squarely the answer is on the question's subject (asks.on_subject)
    elsewhere_gap: float | None = None  # how much more it is on another sample question's subject (best other - subject)


_VOCABS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Embedder -> its vocabulary


def _wordpiece_vocab(embedder: Embedder) -> frozenset[str]:
    """The embedder's own WordPiece vocabulary, which doubles as a dictionary for the gibberish
    check; read once per embedder (12 ms each time, and evals create a scorer per case)."""
    if embedder not in _VOCABS:
        _VOCABS[embedder] = embedder.vocabulary()
    return _VOCABS[embedder]


def _quote_note(quoted: int) -> str:
    if quoted == 0:
        return "; no sentence speaks clearly enough to this signal alone to quote (its evidence sits in sentences about other signals)"
    return f"; {quoted} quoted: the sentence(s) most clearly about this signal"


class EvidenceScorer:
    def __init__(self, embedder: Embedder, settings: ScoringSettings, corpus=None):
        self.embedder = embedder
        self.settings = settings
        self.corpus = corpus
        self.info = ScorerInfo(name=NAME, version=settings.version)
        self._vocab = _wordpiece_vocab(embedder)

    # -- abstention -------------------------------------------------------------------------------

    def _known_word_ratio(self, text: str) -> float:
        vocab = self._vocab
        words = [w.lower() for w in re.findall(r"[A-Za-z]{2,}", text)]
        if not words:
            return 0.0
        return sum(1 for w in words if w in vocab) / len(words)

    def _abstain_reason(self, answer: str, question: str, sentences: list[str], vecs: np.ndarray, panel: Panel) -> str:
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
        # On-topic means about engineering work of any panel: a technical story is a fine answer
        # to a behavioral question (the reference and the statistic: coach.scoring.topic).
        if self._topic(panel).contrast(vecs) < a.min_topic_contrast:
            return "the answer is off-topic for this interview"
        return ""

    def _topic(self, panel: Panel) -> TopicReference:
        if "topic" not in self.__dict__:
            panels = list(self.corpus.panels.values()) if self.corpus is not None else [panel]
            compendium = self.corpus.compendium if self.corpus is not None else ""
            self.__dict__["topic"] = topic_reference(self.embedder, panels, compendium, self.settings.topic_reference)
        return self.__dict__["topic"]

    def prepare(self, panels: list[Panel]) -> None:
        """Embed what every score reads besides the answer (the panels' rubrics and the off-topic
        reference, about a thousand sentences) now, so the first answer does not wait for it."""
        for panel in panels:
            _panel_vectors(panel, self.embedder)
        if panels:
            self._topic(panels[0])

    # -- scoring ------------------------------------------------------------------------------------

    def score(self, panel: Panel, answer: str, question: str = "", *, asks: list[str] | None = None,
              probed: str | None = None) -> Scorecard:
        """Score `answer` to `question`: `asks` are the question's asks when known (composed
        questions carry them), else they are split from its text; `probed` is the signal a
        follow-up asked about, which the answer is then judged on."""
        return self.analyse(panel, answer, question, asks=asks, probed=probed).card

    def prepare_question(self, question: str, asks: list[str] | None = None) -> None:
        """Embed what scoring an answer to `question` embeds of the question itself (its asks in
        context, the whole question), so the answer, when it comes, is all that is left to embed."""
        texts = question_texts(question, asks_of(question, asks))
        if texts:
            self.embedder.encode(texts)

    def analyse(self, panel: Panel, answer: str, question: str = "", *, asks: list[str] | None = None,
                probed: str | None = None) -> Analysis:
        """The scorecard plus the depth share behind its overall, for scorers that re-aggregate levels."""
        check_answer(answer)
        check_question(question or "")
        # Text addressed to the grader is removed here, once, for every scorer (the judge scores
        # through this method too); the rest of the method never sees it.
        clean = sanitise(answer)
        answer, removed = clean.text, clean.removed
        notes: list[str] = [grader_note(clean)] if clean.spans else []
        raw = split_sentences(answer)
        sentences: list[str] = []
        seen: set[str] = set()
        for s in raw:
            key = normalise(s)
            if key in seen:
                continue  # repetition is not more evidence
            seen.add(key)
            sentences.append(s)
        if len(raw) > len(sentences):
            notes.append("repeated sentences were counted once")
        pv = _panel_vectors(panel, self.embedder)
        # One encode call for the answer's sentences and the question's asks: each call costs a
        # model pass of its own, and these texts fit in the same batches.
        asks = asks_of(question, asks)
        asked = question_texts(question, asks)
        both = self.embedder.encode(sentences + asked) if sentences or asked else np.zeros((0, pv.topic.shape[1]), dtype=np.float32)
        vecs, q_vecs = both[: len(sentences)], both[len(sentences) :]
        reason = self._abstain_reason(answer, question, sentences, vecs, panel)
        said_vectors = dict(zip(sentences, vecs))
        if reason:
            card = self._abstained(panel, question, reason, notes).model_copy(update={"grader_text": removed})
            return Analysis(card.with_vectors(said_vectors), None, clean)

        detections = [detect(s) for s in sentences]
        ev = self.settings.evidence
        failure_modes, cue_sentences = self._failure_modes(panel, sentences, vecs, detections, pv)
        best_relevance = np.zeros(len(sentences))
        sim_matrix = self._signal_similarity(panel, vecs, pv)
        evidence = np.zeros(sim_matrix.shape)
        summed: list[set[int]] = []
        levels: list[int] = []
        totals: list[float] = []
        counted: list[int] = []
        for j, sig in enumerate(panel.signals):
            scored: list[tuple[float, int]] = []
            for i, (sim, d) in enumerate(zip(sim_matrix[:, j], detections)):
                if i in cue_sentences:
                    continue  # a sentence that shows a failure mode is never evidence of strength
                best_relevance[i] = max(best_relevance[i], self._relevance(float(sim)))
                e = self._sentence_evidence(float(sim), d, sig.detectors)
                evidence[i, j] = e
                if e > 0:
                    scored.append((e, i))
            scored.sort(key=lambda t: (-t[0], t[1]))
            top = scored[: ev.top_sentences]
            totals.append(self.settings.scale(panel.slug, sig.id) * sum(e for e, _ in top))
            counted.append(len(top))
            levels.append(level_for(totals[-1], ev.level_thresholds))
            summed.append({i for _, i in top} if levels[-1] else set())
        cands = self._candidates(panel, sentences, vecs, pv, sim_matrix, evidence, summed, levels, detections)
        quoted = choose_quotes(cands, summed, self.settings.attribution, ev.top_sentences)
        results: list[SignalResult] = []
        for j, sig in enumerate(panel.signals):
            total, level, scale = totals[j], levels[j], self.settings.scale(panel.slug, sig.id)
            results.append(
                SignalResult(
                    id=sig.id,
                    name=sig.name,
                    level=level,
                    evidence=[sentences[i] for i in quoted[j]],
                    status="evidenced" if level >= ev.evidenced_level else ("weak" if level > 0 else "missing"),
                    strength=round(total, 4),
                    strong_answer_includes=sig.strong,
                    scored_by=NAME,
                    reason=f"summed evidence {total:.2f} from {counted[j]} sentence(s)"
                    + (f" (calibrated x{scale:g})" if scale != 1 else "")
                    + (_quote_note(len(quoted[j])) if level else ""),
                )
            )
        depth = self._depth(detections, best_relevance)
        subject = content_stems(question)
        # Sentences with nothing specific and no word of the question ("that is a really good
        # question...") say nothing about what was asked, however close their wording; vague ones
        # that share a word count at reduced weight, so padding cannot make an answer on-question.
        floor = self.settings.alignment.min_specificity
        said = [i for i, (s, d) in enumerate(zip(sentences, detections)) if d.specificity >= floor or subject & content_stems(s)]
        weight = np.array([min(1.0, 0.5 + detections[i].specificity / (2 * floor)) for i in said])
        ask_results, subject_measure, gap, elsewhere = self._align(panel, question, asks, q_vecs, [sentences[i] for i in said],
                                                                   vecs[said], weight)
        if elsewhere:
            notes.append(f'it answers another question of this panel instead: "{elsewhere}"')
        if not question.strip():
            notes.append("no question given: whether the answer addresses it was not checked")
        probed = probed if probed in {s.id for s in panel.signals} else None
        overall, notes_extra = conclude(panel, [r.level for r in results], depth, len(failure_modes), ask_results, self.settings, probed)
        notes.extend(notes_extra)
        card = finish_card(
            Scorecard(panel=panel.slug, question=question, overall=overall, band=self.settings.bands.band(overall),
                      signals=results, failure_modes=failure_modes, scorer=self.info, notes=notes, asks=ask_results,
                      answered=answered(ask_results), probed_signal=probed, depth=round(depth, 4),
                      grader_text=removed),
            panel, self.settings, sentences, detections, sim_matrix,
        )
        return Analysis(card.with_vectors(said_vectors), depth, clean, cands, tuple(sentences), subject_measure, gap)

    def _align(self, panel: Panel, question: str, asks: list[str], q_vecs: np.ndarray, sentences: list[str], vecs: np.ndarray,
               weight: np.ndarray) -> tuple[list[AskResult], float | None, float | None, str | None]:
        """The asks' results, the on-subject measure they were gated on (None without a question), how
        much more the answer is on another sample question of the panel (best other - measure), and
        that question when the answer answers it instead (`asks.answers_elsewhere`).
        `q_vecs`: each ask in context, then the whole question (as `analyse` encoded them)."""
        if not question.strip():
            return [], None, None, None
        a = self.settings.alignment
        rule = AlignmentRule(a.ask_similarity, a.subject_threshold, a.word_weight, a.min_subject_weight, a.elsewhere_margin)
        text, words = " ".join(sentences), self._word_weights()
        measure = on_subject(question, text, q_vecs[-1], vecs, rule, words, weight)
        asked = normalise(question)
        others = {q.text: on_subject(q.text, text, v, vecs, rule, words, weight)
                  for q, v in zip(panel.sample_questions, _panel_vectors(panel, self.embedder).questions) if normalise(q.text) != asked}
        gap = round(max(others.values()) - measure, 4) if others else None
        elsewhere = answers_elsewhere(measure, others, rule)
        results = align(asks, question, text, sentences, q_vecs[:-1], q_vecs[-1], vecs, rule, words, weight, elsewhere)
        return results, round(measure, 4), gap, elsewhere

    def _word_weights(self) -> WordWeights:
        if "word_weights" not in self.__dict__:
            docs: list[str] = []
            if self.corpus is not None:
                docs = [p for p in self.corpus.compendium.split("\n\n") if p.strip()]
                for panel in self.corpus.panels.values():
                    docs += [q.text for q in panel.sample_questions] + [f.text for f in panel.follow_ups]
                    docs += [" ".join([s.name, s.strong, *s.indicators]) for s in panel.signals]
            self.__dict__["word_weights"] = WordWeights(docs)
        return self.__dict__["word_weights"]

    def _candidates(self, panel: Panel, sentences, vecs, pv: PanelVectors, sim_matrix, evidence, summed, levels, detections) -> Candidates:
        """Quote candidates with their attribution features (coach.scoring.attribution)."""
        if panel.slug not in self.__dict__.setdefault("signal_words", {}):
            self.__dict__["signal_words"][panel.slug] = [content_stems(" ".join([s.name, s.strong, *s.indicators])) for s in panel.signals]
        parts = signal_parts(vecs, sim_matrix, [pv.signal_rows[s.id] for s in panel.signals], [pv.weak_rows[s.id] for s in panel.signals],
                             [content_stems(s) for s in sentences], self.__dict__["signal_words"][panel.slug])
        share = np.array([[np.mean([d.fires(x) for x in s.detectors]) if s.detectors else 0.0 for s in panel.signals] for d in detections]).reshape(len(sentences), len(panel.signals))
        return candidates(parts, evidence, summed, levels, [d.specificity for d in detections], share)

    def _signal_similarity(self, panel: Panel, vecs: np.ndarray, pv: PanelVectors) -> np.ndarray:
        """(sentences, signals): how closely each sentence speaks to each signal."""
        ev = self.settings.evidence
        # Contrast with the signal's "weak answer" description: a sentence that reads like the
        # weak version of the signal is not evidence for it, however on-topic it is.
        cols = [
            (vecs @ pv.signal_rows[s.id].T).max(axis=1) - ev.weak_contrast * (vecs @ pv.weak_rows[s.id].T).max(axis=1)
            for s in panel.signals
        ]
        return np.stack(cols, axis=1) if len(vecs) else np.zeros((0, len(panel.signals)))

    def _depth(self, detections, relevance) -> float:
        """Share (0-1) of full depth: specific, on-panel sentences across the whole answer."""
        o = self.settings.overall
        # Only sentences carrying a real specific count: filler can't buy depth a little at a time.
        depth = sum(min(d.specificity, 2.0) / 2.0 * r for d, r in zip(detections, relevance) if d.specificity >= o.depth_min_specificity)
        return min(1.0, depth / o.depth_full)

    def _relevance(self, sim: float) -> float:
        ev = self.settings.evidence
        return min(1.0, max(0.0, (sim - ev.sim_floor) / (ev.sim_ceiling - ev.sim_floor)))

    def _sentence_evidence(self, sim: float, d: Detection, detectors: list[str]) -> float:
        ev = self.settings.evidence
        relevance = self._relevance(sim)
        if relevance == 0.0:
            return 0.0
        specificity = min(1.0, d.specificity / ev.specificity_full)
        e = relevance * specificity
        if any(d.fires(x) for x in detectors):
            e *= 1 + ev.detector_bonus
        if d.passive and not d.ownership:
            # Nobody acts in "it was decided": weaker evidence of what the candidate did, and
            # weakest for the ownership signal itself.
            e *= ev.passive_penalty if "ownership" in detectors else (1 + ev.passive_penalty) / 2
        return round(e, 4)

    def _failure_modes(self, panel: Panel, sentences, vecs, detections, pv: PanelVectors) -> tuple[list[FailureModeHit], set[int]]:
        """Failure modes whose cues a sentence echoes; a sentence dense with specifics is spared."""
        hits, flagged = [], set()
        threshold = self.settings.evidence.failure_cue_similarity
        for fm in panel.failure_modes:
            sims = vecs @ pv.cue_rows[fm.id].T
            idx = [i for i in range(len(sentences)) if sims[i].max() >= threshold and detections[i].specificity < self.settings.evidence.failure_max_specificity]
            if idx:
                flagged.update(idx)
                hits.append(FailureModeHit(id=fm.id, name=fm.name, cues=[sentences[i] for i in idx[:3]]))
        return hits, flagged

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

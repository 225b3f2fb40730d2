"""The optional LLM judge: an instruction-following model grades the answer, and the coach trusts
only what it can check.

- Abstention first. The evidence scorer runs first; when it abstains (empty, junk, off-topic,
  pasted question) its card is returned and the model is never asked.
- One call at temperature 0 with the reply's JSON Schema (constrained decoding where the backend
  supports it). The reply is parsed into `JudgeReply`; when it is invalid the judge is re-asked
  once with the validation error. A second invalid reply (or an empty one) leaves the judge
  without a verdict: in "judge" mode the card is unscored (overall null, abstained), never zero;
  in "combined" mode it is the evidence scorer's card, labelled as a fallback in its notes.
- Quotes: every one must be a verbatim span of the answer (see `quotes`); invented, too short or
  instruction-text quotes are dropped and counted in the notes. A level above 0 with no quote left
  is not credited: "judge" mode shows it as null (insufficient evidence), "combined" mode keeps the
  evidence scorer's level.
- Combined mode shows the judge the evidence scorer's findings; it may move each level by at most
  one step (a larger move is capped, with a note) and must say why; a raise also needs a quote.
  Moved levels are `scored_by: judge` with the reason; the rest stay `scored_by: evidence`.
- Overall and band come from the same aggregation as the evidence scorer: weighted levels plus the
  evidence scorer's depth and failure modes (facts about the text, not judgement). In "judge"
  mode a signal the judge could not score counts as 0, and when those signals carry more than
  half the weight the card abstains instead.
- Text addressed to the grader (instructions, score claims, role tags, rubric-word lists; see
  `grader_text`) is removed once, by the evidence scorer's analysis: the model reads the answer
  without it; quotes of it never count; and when the answer had any, the judge cannot lift a level
  above the evidence scorer's, so a judge that obeyed something it still saw gains nothing.
- Backend failures (unreachable, timeout) propagate as BackendError: no score is invented.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Literal

from coach.config import Settings
from coach.errors import EmptyOutputError, UserInputError
from coach.llm.base import LLMBackend
from coach.corpus.schema import Panel
from coach.llm.prompts import load_prompt
from coach.scoring.evidence import EvidenceScorer
from coach.scoring.judge_reply import InvalidReply, JudgeSignal, parse_reply, reply_schema
from coach.scoring.quotes import QuoteChecker
from coach.scoring.text import fit_to_prompt
from coach.scoring.scorecard import Scorecard, ScorerInfo, SignalResult
from coach.scoring.verdict import conclude, recommend

CODE_VERSION = "2"  # bump when the rules above change; the prompt hash covers its wording (2: grader text removed before the model reads the answer)
MAX_TOKENS = 700  # six signals with bounded quotes and reasons fit; the prompt needs the rest of 2k
MIN_SCORED_WEIGHT = 0.5
RETRY_NOTE = "Your previous reply was rejected: {error}.\nReply again with the JSON only, fixing that."
Mode = Literal["judge", "combined"]


def capable_backend_required() -> UserInputError:
    return UserInputError(
        "The judge scorer needs an instruction-following model, and the embedded backend runs the bundled "
        "Gemma 3 270M base model, which cannot judge (measured: no separation between strong and weak answers).",
        "Set COACH_BACKEND=openai (with COACH_OPENAI_BASE_URL and COACH_OPENAI_MODEL) or COACH_BACKEND=ollama "
        "(with COACH_OLLAMA_MODEL) to a capable model, or use --scorer evidence.",
    )


class JudgeScorer:
    def __init__(self, backend: LLMBackend, evidence: EvidenceScorer, settings: Settings, corpus=None, mode: Mode = "judge"):
        if mode not in ("judge", "combined"):
            raise ValueError(f"mode must be 'judge' or 'combined', not {mode!r}")
        if backend.name == "embedded":
            raise capable_backend_required()
        self.backend, self.evidence, self.settings, self.corpus, self.mode = backend, evidence, settings, corpus, mode
        self.prompt = load_prompt("judge", backend.style, settings.prompts_dir)
        structured = "+schema" if settings.judge_structured_output else ""
        self.info = ScorerInfo(
            name=mode, version=f"{CODE_VERSION}+judge.{self.prompt.hash}{structured}+evidence.{evidence.settings.version}"
        )

    def prepare_question(self, question: str, asks: list[str] | None = None) -> None:
        self.evidence.prepare_question(question, asks)

    def score(self, panel: Panel, answer: str, question: str = "", *, asks: list[str] | None = None,
              probed: str | None = None) -> Scorecard:
        analysis = self.evidence.analyse(panel, answer, question, asks=asks, probed=probed)
        base = analysis.card
        if base.abstained:
            return base.model_copy(update={"scorer": self.info, "notes": [*base.notes, "the evidence checks abstained, so the judge was not asked"]})
        reply, error = self._ask(panel, analysis.clean.text, question, base)  # the sanitised answer
        who = f"judged by the {self.backend.name} backend, model {self.backend.model!r}"
        if reply is None:
            return self._without_verdict(panel, question, base, error, who)
        checker = QuoteChecker(answer, analysis.clean)
        dropped: Counter = Counter()
        notes = [*base.notes, who]
        resolve = self._judged if self.mode == "judge" else self._combined
        results = []
        for sig, mine in zip(panel.signals, base.signals):
            verdict = reply[sig.id]
            quotes, lost = checker.verify(verdict.evidence)
            dropped += lost
            results.append(resolve(mine, verdict, quotes, checker.addresses_grader, notes))
        notes += [f"dropped {n} quote(s) {why}" for why, n in sorted(dropped.items())]
        return self._card(panel, question, base, results, analysis.depth or 0.0, notes)

    # -- asking ---------------------------------------------------------------------------------

    def _ask(self, panel: Panel, answer: str, question: str, base: Scorecard) -> tuple[dict[str, JudgeSignal] | None, str]:
        values = dict(
            panel_name=panel.name,
            question=question.strip() or "(not given)",
            answer=fit_to_prompt(answer),
            signals_block="\n".join(f"{s.id}: {s.name} - {s.strong}" for s in panel.signals),
            evidence_findings=_findings(base) if self.mode == "combined" else "none",
        )
        schema = json.dumps(reply_schema(panel)) if self.settings.judge_structured_output else ""
        sampling = self.prompt.sampling(temperature=0.0, top_p=1.0, max_tokens=MAX_TOKENS, seed=self.settings.seed, json_schema=schema)
        error = ""
        for _ in range(2):
            rendered = self.prompt.render(**values, retry_note=RETRY_NOTE.format(error=error) if error else "")
            try:
                text = self.backend.generate(rendered, sampling).text
                return parse_reply(text, panel), ""
            except EmptyOutputError:
                error = "the reply was empty"  # a model that says nothing gave no verdict
            except InvalidReply as err:
                error = str(err)
        return None, error

    # -- one signal -----------------------------------------------------------------------------

    def _result(self, mine: SignalResult, level: int | None, quotes: list[str], reason: str) -> SignalResult:
        if level is None:
            status = "insufficient evidence"
        else:
            status = "evidenced" if level >= self.evidence.settings.evidence.evidenced_level else ("weak" if level else "missing")
        return mine.model_copy(update={"level": level, "evidence": quotes, "status": status, "scored_by": "judge", "reason": reason})

    def _judged(self, mine: SignalResult, verdict: JudgeSignal, quotes: list[str], instructed: bool, notes: list[str]) -> SignalResult:
        level = verdict.level
        if level is None:
            return self._result(mine, None, [], verdict.reason or "the judge found too little to judge this signal")
        if level > 0 and not quotes:
            return self._result(mine, None, [], f"the judge gave level {level} without a verifiable quote, so it is not credited")
        if instructed and mine.level is not None and level > mine.level:
            notes.append(f"{mine.id}: the answer addresses the grader, so the judge's level {level} is capped at the evidence level {mine.level}")
            level = mine.level
        return self._result(mine, level, quotes if level else [], verdict.reason)

    def _combined(self, mine: SignalResult, verdict: JudgeSignal, quotes: list[str], instructed: bool, notes: list[str]) -> SignalResult:
        start, wanted = mine.level or 0, verdict.level
        if wanted is None or wanted == start:
            return mine
        if not verdict.reason.strip():
            notes.append(f"{mine.id}: the judge moved the level from {start} to {wanted} without a reason; the evidence level stands")
            return mine
        level = start + max(-1, min(1, wanted - start))
        if level != wanted:
            notes.append(f"{mine.id}: the judge moved the level from {start} to {wanted}; capped at one step, {level}")
        if level > start and (instructed or not quotes):
            why = "the answer addresses the grader" if instructed else "it quoted nothing verifiable"
            notes.append(f"{mine.id}: the judge's raise to {level} is not applied because {why}")
            return mine
        shown = (quotes or mine.evidence) if level else []
        verb = "raised" if level > start else "lowered"
        return self._result(mine, level, shown, f"{verb} from {start} by the judge: {verdict.reason.strip()}")

    # -- the card -------------------------------------------------------------------------------

    def _card(self, panel: Panel, question: str, base: Scorecard, results: list[SignalResult], depth: float, notes: list[str]) -> Scorecard:
        card = dict(panel=panel.slug, question=question, signals=results, failure_modes=base.failure_modes, scorer=self.info,
                    asks=base.asks, answered=base.answered, probed_signal=base.probed_signal, depth=base.depth,
                    coaching=base.coaching, grader_text=base.grader_text)
        weights = {s.id: s.weight for s in panel.signals}
        unscored = [r for r in results if r.level is None]
        if sum(weights[r.id] for r in unscored) > (1 - MIN_SCORED_WEIGHT) * sum(weights.values()):
            reason = f"the judge could score only {len(results) - len(unscored)} of {len(results)} signals with verifiable evidence"
            return Scorecard(**card, overall=None, band=None, abstained=True, abstain_reason=reason, notes=notes)
        if unscored:
            notes.append(f"{len(unscored)} signal(s) the judge could not score count as 0 in the overall")
        s = self.evidence.settings
        overall, more = conclude(panel, [r.level or 0 for r in results], depth, len(base.failure_modes), base.asks, s, base.probed_signal)
        notes += [n for n in more if n not in notes]
        notes.append("overall: the signal levels above (see who scored each) plus the evidence scorer's depth and failure modes")
        rec = recommend(panel, overall, {r.id: r.level for r in results}, {r.id: r.evidence for r in results}, s,
                        off_question=int(base.answered == "no"))
        return Scorecard(**card, overall=overall, band=s.bands.band(overall), notes=notes, recommendation=rec)

    def _without_verdict(self, panel: Panel, question: str, base: Scorecard, error: str, who: str) -> Scorecard:
        why = f"the judge's reply was invalid twice ({error})"
        if self.mode == "combined":
            note = f"fallback: {why}; every level and the overall are the evidence scorer's alone"
            return base.model_copy(update={"scorer": self.info, "notes": [*base.notes, who, note]})
        signals = [self._result(r, None, [], "") for r in base.signals]  # the card's abstain_reason says why
        return Scorecard(
            panel=panel.slug, question=question, overall=None, band=None, abstained=True, abstain_reason=why,
            signals=signals, scorer=self.info, notes=[*base.notes, who, "unscored: no number is shown rather than a guess"], grader_text=base.grader_text,
        )  # fmt: skip


def _findings(card: Scorecard) -> str:
    lines = []
    for s in card.signals:
        quote = " ".join(s.evidence[0].split()[:30]) if s.evidence else ""
        lines.append(f"{s.id}: level {s.level}" + (f'; best quote: "{quote}"' if quote else "; no evidence found"))
    return "\n".join(lines)

"""The mock interview: one object that every interface (web app, `coach mock`, evals) drives.

    s = coach.start_session("system-design", level="staff", questions=3, followups=1, seed=7)
    while not s.finished:
        print(s.current_prompt.text)          # a question or a follow-up
        turn = s.answer(read_answer())        # scored; the next prompt is decided and saved
    print(s.summary().overall)
    s = coach.load_session(s.id)              # later, in another process: carries on where it was

Each question gets up to `followups` follow-ups, asked while the answers leave a signal
uncovered; then the next question; after `questions` questions the session is finished. Every
prompt and every answer is written to SQLite the moment it exists. With the embedded backend the
same seed and the same answers give the same session.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from coach.corpus.schema import Panel
from coach.errors import CoachError, StorageError, UserInputError
from coach.interviewer.followups import FollowUp, follow_up, weakest_signal
from coach.interviewer.questions import Question, ask, check_focus, check_level, given, signal_of
from coach.scoring.asks import split_asks
from coach.scoring.text import check_answer
from coach.scoring import Scorecard
from coach.scoring.pooling import LabelledQuote, ScoredTurn, SessionScore, pool, pooling_key
from coach.scoring.verdict import Recommendation
from coach.seeding import derive
from coach.session.store import Pooled, SessionRow
from coach.text_input import blank

if TYPE_CHECKING:
    from coach.root import Coach

Coverage = Literal["evidenced", "weak", "not yet asked"]
RECENT_QUESTIONS = 200  # questions of earlier sessions on the panel that are not asked again


class Turn(BaseModel):
    """One prompt put to the candidate, and (once given) the answer and its scorecard."""

    index: int
    kind: Literal["question", "follow-up"]
    question_number: int = Field(description="1-based number of the main question this turn belongs to")
    text: str
    question: Question | None = None
    follow_up: FollowUp | None = None
    answer: str | None = None
    scorecard: Scorecard | None = None
    elapsed_s: float | None = Field(default=None, description="seconds the candidate took to answer, when measured")

    @property
    def is_fallback(self) -> bool:
        item = self.question or self.follow_up
        return bool(item and item.is_fallback)

    @property
    def signals(self) -> list[str]:
        if self.question:
            return self.question.provenance.signals
        return [self.follow_up.signal] if self.follow_up else []


class SignalSummary(BaseModel):
    id: str
    name: str
    status: Coverage
    best_level: int | None
    evidence: list[str] = Field(default_factory=list)
    quotes: list[LabelledQuote] = Field(default_factory=list, description="the evidence, each with the turn it answered")


class Summary(BaseModel):
    session_id: str
    panel: str
    level: str
    finished: bool
    questions_asked: int
    follow_ups_asked: int
    fallbacks: int
    coverage: dict[str, Coverage]
    signals: list[SignalSummary]
    answers: list[dict] = Field(description="per answered turn: index, kind, prompt, overall, band, abstained, answered")
    overall: float | None = Field(description="the interview's score (0-100) from the pooled signal levels, null if none")
    band: str | None = None
    recommendation: Recommendation | None = None
    off_question: list[str] = Field(default_factory=list, description="turns whose answer did not address the question")


def number_given(config: dict, number: int) -> bool:
    return number <= len(config.get("given") or [])


def _backend_of(coach: Coach) -> dict:
    """The backend and model the session runs with, for the record. The model's identity may need
    its file (the embedded GGUF's hash); when that fails the session still runs on composed
    questions, so the model is recorded as unknown rather than the session refused."""
    try:
        return {"backend": coach.backend.name, "model": coach.backend.model}
    except CoachError:
        return {"backend": coach.settings.backend, "model": None}


class MockSession:
    """A mock interview in progress. Create with `start`, resume with `load`."""

    def __init__(self, coach: Coach, row: SessionRow, turns: list[Turn]):
        self.coach = coach
        self.id, self.level, self.seed = row.id, row.level, row.seed
        self.panel: Panel = coach.panel(row.panel)
        self.config = row.config
        self.status, self.created_at = row.status, row.created_at
        self.backend, self.model = row.backend, row.model
        self.turns = turns
        self.store = coach.store

    # -- creating and resuming -------------------------------------------------------------------

    @classmethod
    def start(cls, coach: Coach, panel: Panel, level: str = "staff", *, questions: int = 3, followups: int = 1,
              seed: int | None = None, focus: str | None = None, given_questions: list[str] | None = None,
              targets: list[str] | None = None) -> MockSession:
        """Create a session, save it in the coach's store, and generate its opening question.
        `given_questions` are asked as written, in order, instead of composed ones; `targets` (signal
        ids, one per question, as a drill gives them) name the signal each composed question probes."""
        check_level(level)
        focus = check_focus(focus)
        given_questions = [given(panel, level, q, 0).text for q in given_questions or []]
        targets = [signal_of(panel, t).id for t in targets or []]
        questions = len(given_questions) or len(targets) or questions
        if not 1 <= questions <= 20 or not 0 <= followups <= 5:
            raise UserInputError(f"questions={questions}, followups={followups} is out of range.",
                                 "Use 1-20 questions and 0-5 follow-ups per question.")
        now = coach.store.clock()
        row = SessionRow(
            id=uuid.uuid4().hex[:12], panel=panel.slug, level=level, seed=coach.settings.seed if seed is None else seed,
            config={"questions": questions, "followups": followups, "focus": focus, "given": given_questions}
            | ({"targets": targets} if targets else {}), status="active",
            created_at=now, updated_at=now, **_backend_of(coach),
        )
        coach.store.create(row)
        session = cls(coach, row, [])
        session._next_prompt()
        return session

    @classmethod
    def load(cls, coach: Coach, session_id: str) -> MockSession:
        """Reopen a saved session exactly where it stopped."""
        row, rows = coach.store.load(session_id)
        turns = [
            Turn(
                index=t.idx, kind=t.kind, question_number=t.question_number, text=t.prompt["text"],
                question=Question.model_validate(t.prompt) if t.kind == "question" else None,
                follow_up=FollowUp.model_validate(t.prompt) if t.kind == "follow-up" else None,
                answer=t.answer, scorecard=Scorecard.model_validate(t.scorecard) if t.scorecard else None,
                elapsed_s=t.elapsed_s,
            )
            for t in rows
        ]
        session = cls(coach, row, turns)
        if session.pending is not None:
            session._prepare(session.pending)
        if row.status != "finished" and session.finished:
            # The process stopped between saving the last answer and marking the session finished.
            # Saying so is tidying up: where the disk cannot take it, the next load tries again.
            if not coach.store.read_only:
                with contextlib.suppress(StorageError):
                    coach.store.set_status(session.id, "finished")
            session.status = "finished"
        return session

    # -- state -----------------------------------------------------------------------------------

    @property
    def panel_name(self) -> str:
        return self.panel.name

    @property
    def questions_total(self) -> int:
        return int(self.config["questions"])

    @property
    def followups_per_question(self) -> int:
        return int(self.config["followups"])

    @property
    def finished(self) -> bool:
        return self._decide() is None and not self._pending()

    @property
    def current_prompt(self) -> Turn | None:
        """The turn awaiting an answer; None once finished. If generating it failed earlier (the
        backend was down), this tries again, and raises BackendError if it still fails."""
        pending = self._pending()
        if pending is None and self._decide() is not None:
            pending = self._next_prompt()
        return pending

    @property
    def pending(self) -> Turn | None:
        """The turn awaiting an answer, if one was generated; unlike `current_prompt`, never calls
        the LLM (what a screen shows must not retry a backend that just failed)."""
        return self._pending()

    @property
    def coverage(self) -> dict[str, Coverage]:
        """signal id -> evidenced (some answer showed it), weak (asked about or partly shown), or
        not yet asked."""
        cov: dict[str, Coverage] = {s.id: "not yet asked" for s in self.panel.signals}
        for t in self.turns:
            for sid in t.signals:
                if sid in cov and cov[sid] == "not yet asked":
                    cov[sid] = "weak"
            counts = t.scorecard is not None and t.scorecard.answered != "no"  # an off-question answer shows nothing here
            for r in t.scorecard.signals if counts else []:
                if r.status == "evidenced":
                    cov[r.id] = "evidenced"
                elif r.status == "weak" and cov[r.id] != "evidenced":
                    cov[r.id] = "weak"
        return cov

    def _pending(self) -> Turn | None:
        return self.turns[-1] if self.turns and self.turns[-1].answer is None else None

    def _decide(self) -> tuple[str, object] | None:
        """What comes next after the answered turns: ("follow-up", signal), ("question", n) or None."""
        if not self.turns:
            return ("question", 1)
        last = self.turns[-1]
        if last.answer is None:
            return None  # waiting for the candidate
        number = last.question_number
        current = [t for t in self.turns if t.question_number == number]
        used = sum(1 for t in current if t.kind == "follow-up")
        if used < self.followups_per_question and last.scorecard is not None:
            probed = [t.follow_up.signal for t in current if t.follow_up]
            signal = weakest_signal(self.panel, last.scorecard, self.coverage, probed)
            if signal is not None:
                return ("follow-up", signal)
        if number < self.questions_total:
            return ("question", number + 1)
        return None

    # -- driving ---------------------------------------------------------------------------------

    def answer(self, text: str, elapsed_s: float | None = None) -> Turn:
        """Record the candidate's answer to the current prompt, score it, and prepare the next
        prompt (see `current_prompt`). Returns the answered turn with its scorecard.

        `elapsed_s` is how long the candidate took, as the interface measured it from the moment it
        showed the prompt (interviews are timed); None when nobody timed it (a script)."""
        turn = self._pending()
        if turn is None:
            raise UserInputError("This session has no question waiting for an answer.",
                                 "It is finished; call summary(), or start a new session.")
        if blank(text):
            raise UserInputError("The answer is empty.", "Type the answer you would give in the interview.")
        check_answer(text)  # whichever scorer is configured, only text within the limit is stored
        card = self._score(turn, text)
        if elapsed_s is not None and not elapsed_s >= 0:
            raise UserInputError(f"elapsed_s={elapsed_s} is not a duration.", "Pass the seconds taken to answer, or None.")
        turn.answer, turn.scorecard = text, card  # counted in the pooled result saved with it
        try:
            self.store.record_answer(self.id, turn.index, text, card.model_dump(mode="json"), elapsed_s=elapsed_s,
                                     pooled=self.pooled())
        except BaseException:
            turn.answer, turn.scorecard = None, None
            raise
        turn.elapsed_s = elapsed_s
        if self._decide() is None:
            self.store.set_status(self.id, "finished")
            self.status = "finished"
        else:
            self._next_prompt()  # may raise BackendError; the answer is saved either way
        return turn

    def _score(self, turn: Turn, text: str) -> Scorecard:
        question, asks, probed = self._scored_against(turn)
        card = self.coach.scorer.score(self.panel, text, question, asks=asks, probed=probed)
        return card if turn.question is not None else card.model_copy(update={"question": turn.text})

    def _scored_against(self, turn: Turn) -> tuple[str, list[str] | None, str | None]:
        """The question text, asks and probed signal an answer to `turn` is scored with. Composed
        questions carry their asks. A follow-up's answer is judged on the signal it probed, against
        the follow-up's own asks, and is on-subject when it stays on the main question's subject:
        the point said back from the answer does not count as the subject."""
        if turn.question is not None:
            return turn.text, turn.question.asks or None, None
        main = next(t.text for t in self.turns if t.kind == "question" and t.question_number == turn.question_number)
        asks = split_asks(turn.text)
        return f"{main} {' '.join(asks)}", asks, turn.follow_up.signal if turn.follow_up else None

    def _prepare(self, turn: Turn) -> None:
        """While the candidate reads `turn`, embed what scoring their answer needs of it."""
        question, asks, _ = self._scored_against(turn)
        self.coach.prepare_scoring(question, asks)

    def _next_prompt(self) -> Turn | None:
        step = self._decide()
        if step is None:
            return None
        kind, arg = step
        asked = [t.text for t in self.turns]
        index = len(self.turns)
        if kind == "question" and number_given(self.config, int(arg)):
            number = int(arg)
            item = given(self.panel, self.level, self.config["given"][number - 1], derive(self.seed, "question", number))
            turn = Turn(index=index, kind="question", question_number=number, text=item.text, question=item)
        elif kind == "question":
            number = int(arg)
            targets = self.config.get("targets") or []
            item = ask(self.coach, self.panel, self.level, self.config.get("focus"), seed=derive(self.seed, "question", number),
                       asked=asked, coverage=self.coverage, recent=self.store.recent_questions(self.panel.slug, RECENT_QUESTIONS),
                       target=targets[number - 1] if number <= len(targets) else None)
            turn = Turn(index=index, kind="question", question_number=number, text=item.text, question=item)
        else:
            last = self.turns[-1]
            current = [t for t in self.turns if t.question_number == last.question_number]
            # The answer replies to the last prompt (the question or a previous follow-up).
            item = follow_up(self.coach, self.panel, last.text, last.answer or "", self.coverage, self.level,
                             derive(self.seed, "follow-up", index), scorecard=last.scorecard,
                             avoid=[t.follow_up.signal for t in current if t.follow_up], asked=asked)
            turn = Turn(index=index, kind="follow-up", question_number=last.question_number, text=item.text, follow_up=item)
        self.store.add_turn(self.id, index, turn.kind, turn.question_number, item.model_dump(mode="json"))
        self.turns.append(turn)
        self._prepare(turn)
        return turn

    # -- reporting -------------------------------------------------------------------------------

    def summary(self) -> Summary:
        """Coverage per signal and the interview's score: every turn's evidence pooled per signal
        (see `coach.scoring.pooling`), with a recommendation for the panel."""
        coverage = self.coverage
        answered = [t for t in self.turns if t.scorecard is not None]
        score = self.score()
        signals = [SignalSummary(id=p.id, name=p.name, status=coverage[p.id], best_level=p.level,
                                 evidence=[q.text for q in p.evidence], quotes=p.evidence) for p in score.signals]
        return Summary(
            session_id=self.id, panel=self.panel.slug, level=self.level, finished=self.finished,
            questions_asked=sum(1 for t in self.turns if t.kind == "question"),
            follow_ups_asked=sum(1 for t in self.turns if t.kind == "follow-up"),
            fallbacks=sum(1 for t in self.turns if t.is_fallback),
            coverage=coverage, signals=signals,
            answers=[{"index": t.index, "kind": t.kind, "prompt": t.text, "overall": t.scorecard.overall,
                      "band": t.scorecard.band, "abstained": t.scorecard.abstained, "answered": t.scorecard.answered}
                     for t in answered],
            overall=score.overall, band=score.band, recommendation=score.recommendation, off_question=score.off_question,
        )

    def score(self) -> SessionScore:
        """The interview's pooled scorecard."""
        turns = [ScoredTurn(self._label(t), t.text, t.scorecard) for t in self.turns if t.scorecard is not None]
        return pool(self.panel, turns, self.coach.scoring_settings)

    def pooled(self) -> Pooled:
        """The interview's score, band and per-signal levels as the store keeps them for listing."""
        score = self.score()
        return Pooled(pooling_key(self.panel, self.coach.scoring_settings), score.overall, score.band,
                      {p.id: p.level for p in score.signals})

    def _label(self, turn: Turn) -> str:
        if turn.kind == "question":
            return f"Q{turn.question_number}"
        n = sum(1 for t in self.turns[: turn.index + 1] if t.kind == "follow-up" and t.question_number == turn.question_number)
        return f"Q{turn.question_number} follow-up" + (f" {n}" if n > 1 else "")

    def to_dict(self) -> dict:
        """Everything about the session, JSON-ready: settings, every turn in full, and the summary."""
        return {
            "id": self.id, "panel": self.panel.slug, "level": self.level, "seed": self.seed, "config": self.config,
            "backend": self.backend, "model": self.model,
            "turns": [t.model_dump(mode="json") for t in self.turns],
            "summary": self.summary().model_dump(mode="json"),
        }

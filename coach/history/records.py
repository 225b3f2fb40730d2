"""The export format: one JSON document holding whole sessions, versioned and validated strictly.

    {"format": "staff-coach-history", "version": 3, "exported_at": 1.7e9, "sessions": [...], "stories": [...],
     "loops": [...]}

Each session is its row in the sessions database with every turn in full: the prompt as the
interviewer stored it (a question or follow-up with its provenance), the answer, its scorecard
and the timestamps. Unknown fields are refused (`extra="forbid"`), and an error names the field's
path (`sessions[0].turns[2].kind`), so a hand-edited file is fixed in one go. A format change is a
new version; this code reads versions 1 to 3 (2 adds the story bank: each story with its scorecards;
3 adds onsite loops: each loop's level, panels, settings, status and the session that ran each
panel, those sessions being in the same file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from coach.corpus.schema import LEVELS, PANEL_SLUGS
from coach.interviewer.followups import FollowUp
from coach.interviewer.questions import Question
from coach.loop.store import LoopRow
from coach.scoring.scorecard import Scorecard
from coach.session.store import SessionRow, TurnRow
from coach.stories.store import Story

if TYPE_CHECKING:
    from coach.root import Coach

FORMAT = "staff-coach-history"
VERSION = 3


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionConfig(_Strict):
    """What a session was started with. Stored as the dict the session wrote (older sessions lack
    later keys), and checked against this model."""

    questions: int = Field(ge=1, le=20)
    followups: int = Field(ge=0, le=5)
    focus: str | None = None
    given: list[str] | None = Field(default=None, description="questions asked as written (coach mock --ask)")
    targets: list[str] | None = Field(default=None, description="the signal each question probes (a drill, coach drill)")


class TurnRecord(_Strict):
    index: int = Field(ge=0)
    kind: Literal["question", "follow-up"]
    question_number: int = Field(ge=1)
    prompt: dict = Field(description="the Question or FollowUp as the interviewer stored it")
    answer: str | None = None
    scorecard: dict | None = Field(default=None, description="the answer's Scorecard")
    created_at: float | None = None
    answered_at: float | None = None
    elapsed_s: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _scored_only_if_answered(self) -> TurnRecord:
        if self.scorecard is not None and self.answer is None:
            raise ValueError("a turn without an answer cannot have a scorecard")
        if self.answer is not None and not self.answer.strip():
            raise ValueError("an answer may not be blank; leave it null for an unanswered turn")
        return self


class SessionRecord(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    panel: Literal[PANEL_SLUGS]  # type: ignore[valid-type]
    level: Literal[LEVELS]  # type: ignore[valid-type]
    seed: int
    config: dict = Field(description="see SessionConfig")
    status: Literal["active", "finished"]
    created_at: float
    updated_at: float
    backend: str | None = None
    model: str | None = None
    turns: list[TurnRecord]

    @model_validator(mode="after")
    def _turns_in_order(self) -> SessionRecord:
        if [t.index for t in self.turns] != list(range(len(self.turns))):
            raise ValueError("turns must be numbered 0, 1, 2, ... in order")
        if any(t.answer is None for t in self.turns[:-1]):
            raise ValueError("only the last turn may be unanswered")
        if self.turns and self.turns[0].kind != "question":
            raise ValueError("the first turn must be a question")
        return self


class StoryRecord(Story):
    model_config = ConfigDict(extra="forbid")


class LoopConfig(_Strict):
    """What a loop was started with (`coach.loop.Loop.start`)."""

    questions: int = Field(ge=1, le=20)
    followups: int = Field(ge=0, le=5)
    seed: int
    given: dict[Literal[PANEL_SLUGS], list[str]] = Field(default_factory=dict,  # type: ignore[valid-type]
                                                         description="per panel, questions asked as written")


class LoopRecord(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    level: Literal[LEVELS]  # type: ignore[valid-type]
    panels: list[Literal[PANEL_SLUGS]] = Field(min_length=1)  # type: ignore[valid-type]
    config: LoopConfig
    status: Literal["active", "finished"]
    created_at: float
    updated_at: float
    sessions: list[str | None] = Field(description="per panel, in order, the id of the session that ran it; null: not started")

    @model_validator(mode="after")
    def _one_session_per_panel(self) -> LoopRecord:
        if len(set(self.panels)) != len(self.panels):
            raise ValueError("a panel may appear once in a loop")
        if len(self.sessions) != len(self.panels):
            raise ValueError(f"sessions must name one session id (or null) per panel: {len(self.panels)} panel(s), "
                             f"{len(self.sessions)} entry(ies)")
        return self


class HistoryFile(_Strict):
    format: Literal["staff-coach-history"]
    version: Literal[1, 2, 3]
    exported_at: float | None = None
    sessions: list[SessionRecord]
    stories: list[StoryRecord] = Field(default_factory=list)
    loops: list[LoopRecord] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> HistoryFile:
        linked = [sid for loop in self.loops for sid in loop.sessions if sid is not None]
        for what, ids in (("session", [s.id for s in self.sessions]), ("story", [s.id for s in self.stories]),
                          ("loop", [lp.id for lp in self.loops]), ("loop session", linked)):
            if len(set(ids)) != len(ids):
                raise ValueError(f"{what} ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
        return self


def path_of(loc: tuple) -> str:
    """A pydantic error location as a field path: ('sessions', 0, 'turns', 2, 'kind') ->
    'sessions[0].turns[2].kind'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(the document)"


def problems(err: ValidationError, prefix: tuple = ()) -> list[str]:
    return [f"{path_of(prefix + tuple(e['loc']))}: {e['msg']}" for e in err.errors()]


def nested_problems(doc: HistoryFile) -> list[str]:
    """Check each session's settings, and each stored prompt and scorecard, against the models that
    will read them back, so an imported session can be shown and resumed; errors carry their full path."""
    out: list[str] = []
    panels = {s.id: s.panel for s in doc.sessions}
    for i, loop in enumerate(doc.loops):
        for j, (slug, sid) in enumerate(zip(loop.panels, loop.sessions)):
            if sid is not None and sid not in panels:
                out.append(f"loops[{i}].sessions[{j}]: session {sid!r} is not in the file's sessions")
            elif sid is not None and panels[sid] != slug:
                out.append(f"loops[{i}].sessions[{j}]: session {sid!r} is a {panels[sid]} session, not {slug}")
    for i, s in enumerate(doc.sessions):
        try:
            SessionConfig.model_validate(s.config)
        except ValidationError as err:
            out += problems(err, ("sessions", i, "config"))
        for j, t in enumerate(s.turns):
            where = ("sessions", i, "turns", j)
            try:
                (Question if t.kind == "question" else FollowUp).model_validate(t.prompt)
            except ValidationError as err:
                out += problems(err, where + ("prompt",))
            if t.scorecard is not None:
                try:
                    Scorecard.model_validate(t.scorecard)
                except ValidationError as err:
                    out += problems(err, where + ("scorecard",))
    return out


def to_record(row: SessionRow, turns: list[TurnRow]) -> SessionRecord:
    return SessionRecord(
        id=row.id, panel=row.panel, level=row.level, seed=row.seed, config=row.config,
        status=row.status, created_at=row.created_at, updated_at=row.updated_at, backend=row.backend, model=row.model,
        turns=[TurnRecord(index=t.idx, kind=t.kind, question_number=t.question_number, prompt=t.prompt, answer=t.answer,
                          scorecard=t.scorecard, created_at=t.created_at, answered_at=t.answered_at, elapsed_s=t.elapsed_s)
               for t in turns],
    )


def to_rows(record: SessionRecord) -> tuple[SessionRow, list[TurnRow]]:
    row = SessionRow(record.id, record.panel, record.level, record.seed, record.config, record.status,
                     record.created_at, record.updated_at, record.backend, record.model)
    return row, [TurnRow(t.index, t.kind, t.question_number, t.prompt, t.answer, t.scorecard, t.created_at, t.answered_at,
                         t.elapsed_s) for t in record.turns]


def loop_record(row: LoopRow) -> LoopRecord:
    return LoopRecord(id=row.id, level=row.level, panels=row.panels, config=LoopConfig.model_validate(row.config),
                      status=row.status, created_at=row.created_at, updated_at=row.updated_at,
                      sessions=[row.sessions.get(i) for i in range(len(row.panels))])


def loop_row(record: LoopRecord) -> LoopRow:
    return LoopRow(record.id, record.level, list(record.panels), record.config.model_dump(mode="json"), record.status,
                   record.created_at, record.updated_at, {i: sid for i, sid in enumerate(record.sessions) if sid is not None})


def session_document(coach: Coach, session_id: str) -> dict:
    """One session as a download (`coach show --json`, the web app): its export record, which holds
    only what the user typed and what the coach said and scored, and the wrap-up."""
    record = to_record(*coach.store.load(session_id)).model_dump(mode="json")
    return record | {"summary": coach.load_session(session_id).summary().model_dump(mode="json")}

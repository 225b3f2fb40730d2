"""A full onsite loop: one mock interview per panel, in order, tied together by a loop record.

    loop = Loop.start(coach, "staff", questions=1, followups=1)   # all seven panels by default
    while not loop.finished:
        turn = loop.current.current_prompt       # the current panel's session, started when reached
        loop.answer(read_answer())
    packet = loop.debrief()
    loop = Loop.load(coach, loop.id)             # later: carries on at the panel and turn it stopped

Each panel is an ordinary `MockSession`, saved turn by turn, so a loop resumes within a panel
exactly as a session does, and between panels because the next panel's session is only created
when the candidate reaches it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from coach.corpus.schema import PANEL_SLUGS
from coach.errors import UserInputError, unknown_choice
from coach.interviewer.questions import check_level
from coach.loop.store import LoopRow, LoopStore
from coach.seeding import derive
from coach.session.mock import MockSession, Turn

if TYPE_CHECKING:
    from coach.loop.debrief import Debrief
    from coach.root import Coach


def check_panels(panels: Sequence[str] | None) -> list[str]:
    """The panels of a loop, in the order an onsite runs them (the corpus order), without repeats."""
    if not panels:
        return list(PANEL_SLUGS)
    for slug in panels:
        if slug not in PANEL_SLUGS:
            raise unknown_choice("panel", slug, PANEL_SLUGS)
    return [slug for slug in PANEL_SLUGS if slug in set(panels)]


class Loop:
    """An onsite loop in progress. Create with `start`, resume with `load`."""

    def __init__(self, coach: Coach, row: LoopRow):
        self.coach = coach
        self.loops = LoopStore(coach.store)
        self.id, self.level, self.panels, self.config = row.id, row.level, row.panels, row.config
        self.status, self.created_at = row.status, row.created_at
        self.sessions: list[MockSession | None] = [
            coach.load_session(row.sessions[i]) if i in row.sessions else None for i in range(len(row.panels))
        ]

    @classmethod
    def start(cls, coach: Coach, level: str = "staff", panels: Sequence[str] | None = None, *, questions: int = 1,
              followups: int = 1, seed: int | None = None, given: Mapping[str, list[str]] | None = None) -> Loop:
        """Create a loop and save it; the first panel's session starts when it is reached.
        `given`: per panel, questions asked as written instead of composed ones."""
        check_level(level)
        chosen = check_panels(panels)
        if not 1 <= questions <= 20 or not 0 <= followups <= 5:
            raise UserInputError(f"questions={questions}, followups={followups} is out of range.",
                                 "Use 1-20 questions and 0-5 follow-ups per question in each panel.")
        now = time.time()
        config = {"questions": questions, "followups": followups, "seed": coach.settings.seed if seed is None else seed,
                  "given": {slug: list(qs) for slug, qs in (given or {}).items() if slug in chosen and qs}}
        row = LoopRow(uuid.uuid4().hex[:12], level, chosen, config, "active", now, now)
        LoopStore(coach.store).create(row)
        return cls(coach, row)

    @classmethod
    def load(cls, coach: Coach, loop_id: str) -> Loop:
        loop = cls(coach, LoopStore(coach.store).load(loop_id))
        if loop.status != "finished" and loop.finished:
            loop._mark_finished()  # the process stopped between the last answer and marking the loop
        return loop

    # -- state -------------------------------------------------------------------------------------

    @property
    def position(self) -> int | None:
        """Index of the panel under way (or next to start); None when every panel is finished."""
        return next((i for i, s in enumerate(self.sessions) if s is None or not s.finished), None)

    @property
    def finished(self) -> bool:
        return self.position is None

    @property
    def current(self) -> MockSession | None:
        """The session of the panel under way, started when the loop first reaches that panel."""
        i = self.position
        if i is None:
            return None
        if self.sessions[i] is None:
            slug = self.panels[i]
            session = self.coach.start_session(
                slug, self.level, questions=int(self.config["questions"]), followups=int(self.config["followups"]),
                seed=derive(self.config["seed"], "loop", slug), given_questions=self.config.get("given", {}).get(slug))
            self.loops.attach(self.id, i, session.id)
            self.sessions[i] = session
        return self.sessions[i]

    def started(self) -> list[tuple[str, MockSession]]:
        """(panel, session) for every panel that has begun, in loop order."""
        return [(slug, s) for slug, s in zip(self.panels, self.sessions) if s is not None]

    # -- driving -----------------------------------------------------------------------------------

    def answer(self, text: str, elapsed_s: float | None = None) -> Turn:
        """Answer the current panel's prompt; the loop is finished when the last panel is.
        `elapsed_s`: the seconds the candidate took, as the interface timed it (None: untimed)."""
        session = self.current
        if session is None:
            raise UserInputError(f"Loop {self.id} is finished; there is no question waiting.",
                                 "Read its debrief, or start a new loop.")
        turn = session.answer(text, elapsed_s=elapsed_s)
        if self.finished:
            self._mark_finished()
        return turn

    def _mark_finished(self) -> None:
        self.loops.set_status(self.id, "finished")
        self.status = "finished"

    def debrief(self) -> Debrief:
        from coach.loop.debrief import build_debrief

        return build_debrief(self)

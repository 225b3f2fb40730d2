"""The full onsite loop: one mock interview per panel, in order, and the debrief packet."""

from coach.loop.debrief import Debrief, build_debrief, recommend_loop
from coach.loop.onsite import Loop, check_panels
from coach.loop.script import CandidateScript, load_candidate, play

__all__ = ["CandidateScript", "Debrief", "Loop", "build_debrief", "check_panels", "load_candidate", "play", "recommend_loop"]

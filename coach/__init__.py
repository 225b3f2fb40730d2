"""Staff interview coach: grounded mock questions, adaptive follow-ups and evidence-based scoring.

    from coach import Coach

    coach = Coach.from_env()                                   # COACH_* settings
    question = coach.ask("system-design", level="staff", seed=3)
    card = coach.score("system-design", "We sized the cache tier at 25k RPS ...", question=question.text)
    session = coach.start_session("behavioral", questions=2)   # saved turn by turn; coach.load_session(id)
    hits = coach.search("error budget burn rate alerts", panel="system-design")
"""

__version__ = "0.1.0"

from coach.config import Settings
from coach.errors import BackendError, CoachError, UserInputError
from coach.root import Coach

__all__ = ["BackendError", "Coach", "CoachError", "Settings", "UserInputError", "__version__"]

"""What every tab of the web app shares: the one Coach of the process and how errors are shown."""

from __future__ import annotations

from functools import wraps

import gradio as gr

from coach.errors import BackendError, CoachError
from coach.render.markdown import backend_failure
from coach.root import Coach

# One Coach for the process, shared by every browser tab: the embedder, the index and the LLM load
# once, on first use. `coach.web.build` sets it; tests may build the UI around their own Coach.
COACH: Coach | None = None

# One model, one generation at a time: every handler that may call the LLM queues on this.
LLM_QUEUE = {"concurrency_id": "llm", "concurrency_limit": 1}


def coach() -> Coach:
    global COACH
    if COACH is None:
        COACH = Coach.from_env()
    return COACH


def use(c: Coach) -> None:
    """Serve `c` instead of the Coach built from the environment (tests, embedding the app)."""
    global COACH
    COACH = c


def shows_errors(fn):
    """A CoachError becomes a visible error naming what failed, with its hint; never a made-up result."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BackendError as err:
            backend = coach().settings.backend
            raise gr.Error(backend_failure(err, backend), title=f"{backend} LLM backend failed", duration=None) from err
        except CoachError as err:
            raise gr.Error(str(err), title=type(err).__name__) from err

    return wrapper

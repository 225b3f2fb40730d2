"""What every tab of the web app shares: the Coach each request works with, and how errors are shown.

With several logins (`COACH_AUTH=alice:pw,bob:pw`) each person has a sessions database of their own
under `$COACH_DATA_DIR/users/`: their sessions, loops, stories and review schedule live there, and
one person's answers never appear in another's chat, history or progress. The models, the index and
the caches are shared (caches are keyed by content). With no login or one login, the coach is one
person's, and the web app and the command line share the data dir's sessions database.
"""

from __future__ import annotations

import atexit
import contextvars
import logging
import inspect
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Generator, Iterable
from functools import wraps
from pathlib import Path
from typing import TypeVar

import gradio as gr

from coach.errors import BackendError, CoachError
from coach.history.forget import after_forget
from coach.llm import streaming
from coach.render.markdown import backend_failure
from coach.root import Coach
from coach.session.logins import login_dir
from coach.session.store import SessionStore

# One Coach for the process, shared by every browser tab: the embedder, the index and the LLM load
# once, on first use. `coach.web.build` sets it; tests may build the UI around their own Coach.
COACH: Coach | None = None

# One model, one generation at a time: every handler that may call the LLM queues on this.
LLM_QUEUE = {"concurrency_id": "llm", "concurrency_limit": 1}


PER_LOGIN = False  # several logins: each person's sessions database is their own (`main` sets it)
_login: contextvars.ContextVar[str | None] = contextvars.ContextVar("coach_web_login", default=None)
_PEOPLE: dict[str, Coach] = {}
_PEOPLE_LOCK = threading.Lock()


def _shared() -> Coach:
    global COACH
    if COACH is None:
        COACH = Coach.from_env()
    return COACH


def coach() -> Coach:
    """The Coach this request works with: the shared one, or with several logins the logged-in
    person's (the shared models and index, their own sessions database)."""
    shared, login = _shared(), _login.get()
    if not PER_LOGIN or login is None:
        return shared
    with _PEOPLE_LOCK:
        if login not in _PEOPLE:
            _PEOPLE[login] = shared.with_parts(store=SessionStore(login_dir(shared.settings.data_dir, login) / "sessions.sqlite3"))
        return _PEOPLE[login]


def warm_up() -> None:
    """Load the models and embed the scorer's references while the page is still being opened
    (run in a thread of its own). A failure here is shown to the first request that needs the
    part, with what to do; here it is only logged."""
    try:
        _shared().warm_up()
    except Exception:  # noqa: BLE001 - a background thread has no one to show the error to
        logging.getLogger("coach.web").warning("warming up failed; the first request will report it", exc_info=True)


def use(c: Coach | None, per_login: bool = False) -> None:
    """Serve `c` instead of the Coach built from the environment (tests, embedding the app)."""
    global COACH, PER_LOGIN
    COACH, PER_LOGIN = c, per_login
    _PEOPLE.clear()


def _shown(err: CoachError) -> gr.Error:
    if isinstance(err, BackendError):
        backend = coach().settings.backend
        return gr.Error(backend_failure(err, backend), title=f"{backend} LLM backend failed", duration=None)
    return gr.Error(str(err), title=type(err).__name__)


def _request_apart(args: tuple, kwargs: dict) -> tuple[tuple, dict, str | None]:
    """The handler's own arguments, and the login of the request Gradio passed in (see shows_errors)."""
    request = kwargs.pop("request", None)
    rest = []
    for a in args:
        if isinstance(a, gr.Request):
            request = a
        else:
            rest.append(a)
    return tuple(rest), kwargs, getattr(request, "username", None) if request is not None else None


def shows_errors(fn):
    """A CoachError becomes a visible error naming what failed, with its hint; never a made-up result.
    Works on handlers that return and on handlers that yield (streaming).

    It also runs the handler as the logged-in person: the wrapper asks Gradio for the request (an
    extra `request: gr.Request` parameter) and runs the handler in a context where `coach()` is
    theirs. Each step of a streaming handler runs in that same context, whatever thread takes it."""
    signature = inspect.signature(fn)
    extra = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=gr.Request)

    def as_login(login: str | None) -> contextvars.Context:
        ctx = contextvars.copy_context()
        ctx.run(_login.set, login)
        return ctx

    if inspect.isgeneratorfunction(fn):

        @wraps(fn)
        def streamed(*args, **kwargs):
            args, kwargs, login = _request_apart(args, kwargs)
            ctx = as_login(login)
            steps = ctx.run(fn, *args, **kwargs)
            try:
                while True:
                    try:
                        item = ctx.run(next, steps)
                    except StopIteration:
                        return
                    yield item
            except CoachError as err:
                raise ctx.run(_shown, err) from err

        wrapper = streamed
    else:

        @wraps(fn)
        def wrapper(*args, **kwargs):
            args, kwargs, login = _request_apart(args, kwargs)
            ctx = as_login(login)
            try:
                return ctx.run(fn, *args, **kwargs)
            except CoachError as err:
                raise ctx.run(_shown, err) from err

    wrapper.__signature__ = signature.replace(parameters=[*signature.parameters.values(), extra])
    wrapper.__annotations__ = {"request": gr.Request}  # all Gradio needs, resolvable from here
    return wrapper


T = TypeVar("T")
_DONE = object()
FRAME_S = 0.08  # at most ~12 screen updates a second while text streams in


def streaming_work(work: Callable[[], T], frame: Callable[[str, int], tuple]) -> Generator[tuple, None, T]:
    """Run `work` (which may have an LLM write the interviewer's words) in a worker thread, and yield
    `frame(text so far, candidate number)` as the words arrive; returns what `work` returned, or
    raises what it raised. Use as `result = yield from streaming_work(...)` in a handler that yields."""
    events: queue.Queue = queue.Queue()
    outcome: dict = {}

    def run() -> None:
        try:
            with streaming.to(events.put):
                outcome["value"] = work()
        except BaseException as err:  # handed to the handler's thread, which shows it
            outcome["error"] = err
        finally:
            events.put(_DONE)

    # The worker runs as the same person (contextvars do not follow a new thread by themselves).
    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(run,), name="coach-web-work", daemon=True).start()
    text, candidate, shown_at = "", 0, 0.0
    while (event := events.get()) is not _DONE:
        if isinstance(event, streaming.Start):
            text, candidate = "", candidate + 1
        else:
            text += event
        if text.strip() and time.monotonic() - shown_at >= FRAME_S:
            shown_at = time.monotonic()
            yield frame(text, candidate)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# -- files offered for download -------------------------------------------------------------------
# One folder per process, removed when it exits. Each file remembers the sessions, stories and
# loops it was written from, so forgetting one of them deletes its files at once (see `withdraw`).
_DOWNLOADS: list[Path] = []
_SOURCES: dict[Path, frozenset[str]] = {}
_DOWNLOADS_LOCK = threading.Lock()


def downloads_dir() -> Path:
    with _DOWNLOADS_LOCK:
        if not _DOWNLOADS:
            _DOWNLOADS.append(Path(tempfile.mkdtemp(prefix="coach-downloads-")))
            atexit.register(shutil.rmtree, _DOWNLOADS[0], True)
        return _DOWNLOADS[0]


def offer(name: str, text: str, sources: Iterable[str]) -> str:
    """Write `text` as the download `name` (unique per source: it carries an id) and return its
    path; `sources` are the ids of the sessions, stories or loop it holds text of."""
    path = downloads_dir() / name
    with _DOWNLOADS_LOCK:
        path.write_text(text, encoding="utf-8")
        _SOURCES[path] = frozenset(sources)
    return str(path)


def withdraw(ids: Iterable[str]) -> int:
    """Delete every download written from any of `ids`, and the copies Gradio cached of them
    (its cache keeps a file's name under a folder named by its content hash). Returns how many
    downloads went."""
    ids = set(ids)
    with _DOWNLOADS_LOCK:
        gone = [path for path, sources in _SOURCES.items() if sources & ids]
        for path in gone:
            del _SOURCES[path]
            path.unlink(missing_ok=True)
    cache = Path(gr.utils.get_upload_folder())
    for path in gone:
        for copy in cache.glob(f"*/{path.name}"):
            copy.unlink(missing_ok=True)
            try:
                copy.parent.rmdir()  # only if nothing else is cached there
            except OSError:
                pass
    return len(gone)


after_forget(withdraw)  # a session forgotten while the app runs takes its downloads with it

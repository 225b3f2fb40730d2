"""One error hierarchy. Every message says what went wrong *and* what to do about it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


class CoachError(Exception):
    """Base class: the CLI prints `str(err)` and exits with `exit_code`."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(f"{message}\n  → {hint}" if hint else message)


class UserInputError(CoachError):
    """The caller passed something invalid (unknown panel, empty focus, oversized answer)."""

    exit_code = 2


class CorpusError(CoachError):
    """A corpus file is missing, unreadable or malformed."""


class IndexMissingError(CoachError):
    """The vector index has not been built, or was built from another corpus/model."""


class IndexCorruptError(CoachError):
    """The Chroma store cannot be opened. Nothing is deleted automatically."""


class IndexUnavailableError(CoachError):
    """The Chroma server (COACH_CHROMA_URL) is down or unreachable."""


class StorageError(CoachError):
    """Something under the data dir cannot be written: a read-only directory or a full disk.
    Raised before anything is half-written; what was saved earlier is intact."""


class SessionsCorruptError(CoachError):
    """The sessions database is damaged. Nothing is deleted automatically."""


class BackendError(CoachError):
    """An LLM backend is unreachable, timed out, or returned nothing usable."""


class EmptyOutputError(BackendError):
    """The backend answered, but with nothing: callers may retry with another seed."""


class PromptError(CoachError):
    """A prompt template is missing, malformed, or rendered with wrong variables."""


class EvalError(CoachError):
    """An eval fixture or baseline is malformed."""


def unknown_choice(kind: str, value: str, valid: tuple[str, ...] | list[str]) -> UserInputError:
    return UserInputError(
        f"Unknown {kind} {value!r}.",
        f"Choose one of: {', '.join(valid)}.",
    )


LOW_SPACE_BYTES = 1 << 20  # below this, a failed write is put down to a full disk


def disk_problem(path: Path) -> str | None:
    """Why files cannot be written where `path` lives: "read-only", "full", or None when neither
    shows (the failure was something else)."""
    where = Path(path)
    while not where.is_dir() and where != where.parent:
        where = where.parent
    try:
        if os.statvfs(where).f_flag & os.ST_RDONLY or not os.access(where, os.W_OK):
            return "read-only"
        if shutil.disk_usage(where).free < LOW_SPACE_BYTES:
            return "full"
    except OSError:
        return None
    return None


def storage_error(what: str, path: Path, err: BaseException, problem: str | None = None,
                  reading: bool = False) -> StorageError | None:
    """The StorageError for a failed write of `what` at `path` (`reading`: a failed read), or None
    when the disk is neither read-only nor full (`problem` forces one, when the caller already knows,
    e.g. SQLITE_FULL)."""
    problem = problem or disk_problem(path)
    cause = f"{type(err).__name__}: {err}"
    if problem == "full" and reading:
        return StorageError(
            f"Cannot read {what} at {path}: the disk is full, and opening it needs a little space ({cause}).",
            "Free some space on that disk, or set COACH_DATA_DIR to a directory on another disk, then retry. "
            "Nothing was changed.",
        )
    if problem == "full":
        return StorageError(
            f"Cannot write {what} at {path}: the disk is full ({cause}).",
            "Free some space on that disk, or set COACH_DATA_DIR to a directory on another disk, then retry. "
            "Nothing was half-written: what was saved before is intact.",
        )
    if problem == "read-only":
        return StorageError(
            f"Cannot {'read' if reading else 'write'} {what} at {path}: the directory is read-only ({cause}).",
            f"Make {Path(path).parent} writable, or set COACH_DATA_DIR to a writable directory. Nothing was changed.",
        )
    return None


def yaml_problem(err: Exception, first_line: int = 1) -> str:
    """A YAML parse error as 'line N, column M: what is wrong' (`first_line`: the file line the
    parsed text starts on), without the parser's internal context."""
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    if mark is None:
        return problem
    return f"line {mark.line + first_line}, column {mark.column + 1}: {problem}"

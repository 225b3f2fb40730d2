"""One error hierarchy. Every message says what went wrong *and* what to do about it."""

from __future__ import annotations


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


def yaml_problem(err: Exception, first_line: int = 1) -> str:
    """A YAML parse error as 'line N, column M: what is wrong' (`first_line`: the file line the
    parsed text starts on), without the parser's internal context."""
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    if mark is None:
        return problem
    return f"line {mark.line + first_line}, column {mark.column + 1}: {problem}"

"""Story files: what a user writes a story in, read strictly, with errors that name the file.

Two formats:
- Markdown or plain text (any file not ending in .yaml/.yml): the first non-empty line is the
  title (`# Title` or plain), everything after it is the story.
- YAML (.yaml/.yml): a mapping with `title` and `text` (strings) and optionally `tags` (a list of
  strings, or one comma-separated string). Any other key is an error naming it.

Standard input is read as YAML when it is a YAML mapping with a `text` key, otherwise as Markdown.
A story over the answer limit (`MAX_ANSWER_CHARS`) is refused with the limit: it is scored like
an answer, and a longer text would be cut by the scorer, not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from coach.errors import UserInputError
from coach.scoring.text import MAX_ANSWER_CHARS
from coach.text_input import check_text

MAX_TITLE_CHARS = 200
MAX_TAGS = 20
MAX_TAG_CHARS = 40
_FIELDS = ("title", "text", "tags")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")


@dataclass(frozen=True)
class StoryDraft:
    """A story as the user wrote it, checked, before it is scored and saved."""

    title: str
    text: str
    tags: list[str] = field(default_factory=list)


def check_draft(title: str, text: str, tags: list[str] | str | None = None, source: str = "The story") -> StoryDraft:
    """A StoryDraft from fields typed anywhere (a file, the web form), or UserInputError naming
    `source`, the field and the reason."""
    title = " ".join((title or "").split())
    text = (text or "").strip()
    if not title:
        raise UserInputError(f"{source} has no title.", "Give the story a short title (the first line of a Markdown file).")
    if len(title) > MAX_TITLE_CHARS:
        raise UserInputError(
            f"{source}: the title is {len(title):,} characters; the limit is {MAX_TITLE_CHARS}.",
            "Put a short title on the first line and the story below it.",
        )
    if not text:
        raise UserInputError(f"{source} has a title ({title!r}) but no text.", "Write the story below its title.")
    if len(text) > MAX_ANSWER_CHARS:
        raise UserInputError(
            f"{source} is {len(text):,} characters; the limit is {MAX_ANSWER_CHARS:,} (the answer limit: a story is scored like an answer).",
            "Tell the story as you would in an interview (two to three minutes, 300-500 words), or split it into two stories.",
        )
    out = StoryDraft(title, text, _tags(tags, source))
    for name, value in (("title", out.title), ("text", out.text), ("tags", " ".join(out.tags))):
        _plain(value, name, source)
    return out


def _plain(value: str, field: str, source: str) -> None:
    """Refuse control characters and broken surrogates (binary debris, not words) naming `source` and the field."""
    try:
        check_text(value, field, len(value), "")
    except UserInputError as err:
        raise UserInputError(f"{source}: {err.message}", err.hint) from None


def _tags(tags: list[str] | str | None, source: str) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = tags.split(",")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise UserInputError(f"{source}: field 'tags' must be a list of strings.", "Write e.g. `tags: [migration, conflict]`.")
    out = list(dict.fromkeys(" ".join(t.split()).lower() for t in tags if t.strip()))
    if len(out) > MAX_TAGS or any(len(t) > MAX_TAG_CHARS for t in out):
        raise UserInputError(f"{source}: field 'tags' holds {len(out)} tag(s); the limit is {MAX_TAGS} tags of {MAX_TAG_CHARS} characters.",
                             "Keep a few short tags.")
    return out


def decode(raw: bytes, source: str) -> str:
    """UTF-8 text of a story file, or UserInputError naming the file, the line and the byte."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise UserInputError(
            f"{source} is not valid UTF-8 (line {line}, byte {err.start}).",
            "Save the story as UTF-8 text, e.g. `iconv -f latin1 -t utf-8 in.md > out.md`.",
        ) from err
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise UserInputError(f"{source} is empty.", "Write the story's title on the first line and the story below it.")
    return text


def parse(raw: bytes, source: str, fmt: str = "auto") -> StoryDraft:
    """A story from a file's bytes. `fmt`: 'yaml', 'markdown', or 'auto' (YAML when the text is a
    YAML mapping with a `text` key)."""
    text = decode(raw, source)
    if fmt == "auto":
        fmt = "yaml" if _looks_like_yaml(text) else "markdown"
    return parse_yaml(text, source) if fmt == "yaml" else parse_markdown(text, source)


def parse_markdown(text: str, source: str) -> StoryDraft:
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip())  # decode() refused blank files
    title = _HEADING.sub("", lines[first]).strip().strip("*_").strip()
    body = "\n".join(lines[first + 1 :])
    if len(title) > MAX_TITLE_CHARS:
        raise UserInputError(
            f"{source}, line {first + 1}: the first line is the title, and it is {len(title):,} characters "
            f"(the limit is {MAX_TITLE_CHARS}).",
            "Put a short title on the first line (e.g. `# Migrating billing off the monolith`) and the story below it.",
        )
    return check_draft(title, body, None, source)


def parse_yaml(text: str, source: str) -> StoryDraft:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        reason = getattr(err, "problem", None) or str(err)
        raise UserInputError(f"{source}{where}: not valid YAML ({reason}).",
                             "Write a mapping with `title:`, `text: |` (the story, indented) and optionally `tags:`.") from err
    if not isinstance(doc, dict):
        raise UserInputError(f"{source}: a YAML story is a mapping with `title` and `text`, not a {type(doc).__name__}.",
                             "Write `title: ...` and `text: |` followed by the story, indented.")
    unknown = [str(k) for k in doc if k not in _FIELDS]
    if unknown:
        raise UserInputError(f"{source}: unknown field {unknown[0]!r}.", f"A story has the fields {', '.join(_FIELDS)}.")
    for key in ("title", "text"):
        if key not in doc:
            raise UserInputError(f"{source}: field {key!r} is missing.", "A YAML story needs `title` and `text`.")
        if not isinstance(doc[key], str):
            raise UserInputError(f"{source}: field {key!r} must be text, not {type(doc[key]).__name__}.",
                                 f"Quote it, or write `{key}: |` and the text indented below.")
    return check_draft(doc["title"], doc["text"], doc.get("tags"), source)


def _looks_like_yaml(text: str) -> bool:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return isinstance(doc, dict) and "text" in doc


def fmt_for(name: str) -> str:
    """The format a file name implies: 'yaml' for .yaml/.yml, 'markdown' for anything else."""
    return "yaml" if name.lower().endswith((".yaml", ".yml")) else "markdown"

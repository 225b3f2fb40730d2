"""Prompt templates live as files: `prompts/<id>.<style>.md`, YAML front matter plus a body.

Keeping every prompt in one file per form means there is exactly one place to change it, and
its hash (of the file's bytes) travels with every generation, so an eval can tell which wording
produced which output.

Body syntax: `str.format` placeholders (`{answer}`), literal braces doubled (`{{ }}`). Chat bodies
are split into messages by lines `### system`, `### user`, `### assistant`.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach.errors import PromptError, yaml_problem
from coach.llm.base import Message, RenderedPrompt, Sampling, Style

STYLES: tuple[str, ...] = ("completion", "chat")
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_ROLE_LINE = re.compile(r"^### (system|user|assistant)[ \t]*$", re.MULTILINE)
# Runs of three or more angle brackets are the fences around untrusted text in the prompt
# bodies; a value must not be able to close a fence and continue as if it were the template.
_FENCE = re.compile(r"<{3,}|>{3,}")


class FrontMatter(BaseModel):
    """The block between the `---` lines at the top of a prompt file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_NAME.pattern)
    description: str = Field(min_length=10)
    variables: list[str] = Field(description="every {placeholder} the body uses, no more, no less")
    stop: list[str] = Field(default_factory=list, description="stop sequences that belong to this wording")
    stop_after: list[str] = Field(default_factory=list, description="strings that end the reply and are kept")


@dataclass(frozen=True)
class Prompt:
    id: str
    style: Style
    description: str
    variables: tuple[str, ...]
    stop: tuple[str, ...]
    stop_after: tuple[str, ...]
    path: Path
    hash: str
    # (role, template) pairs; a completion prompt is a single ("completion", template) pair.
    parts: tuple[tuple[str, str], ...]

    def render(self, **values: object) -> RenderedPrompt:
        given, declared = set(values), set(self.variables)
        missing = sorted(declared - given)
        unknown = sorted(given - declared)
        if missing or unknown:
            problems = []
            if missing:
                problems.append(f"missing variable(s) {', '.join(missing)}")
            if unknown:
                problems.append(f"unknown variable(s) {', '.join(unknown)}")
            raise PromptError(
                f"Prompt {self.id!r} ({self.style}) rendered with {' and '.join(problems)}.",
                f"Pass exactly: {', '.join(self.variables)} (declared in {self.path.name}).",
            )
        clean = {name: _as_text(self, name, value) for name, value in values.items()}
        rendered = [(role, template.format(**clean)) for role, template in self.parts]
        if self.style == "completion":
            return RenderedPrompt(self.id, self.hash, "completion", text=rendered[0][1], head=fixed_head(self.parts[0][1]))
        messages = tuple(Message(role, text) for role, text in rendered)  # type: ignore[arg-type]
        return RenderedPrompt(self.id, self.hash, "chat", messages=messages)

    def render_from(self, **available: object) -> RenderedPrompt:
        """Render from a superset of values: the prompt file decides which it uses (so dropping
        a section is an edit to the file alone). A declared variable that is not available is
        still an error that names it."""
        return self.render(**{k: v for k, v in available.items() if k in self.variables})

    def sampling(self, **overrides: object) -> Sampling:
        """Sampling with this prompt's stop sequences, which belong to its wording."""
        return Sampling(**{"stop": self.stop, "stop_after": self.stop_after, **overrides})  # type: ignore[arg-type]

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "style": self.style,
            "description": self.description,
            "variables": list(self.variables),
            "hash": self.hash,
            "path": self.path.name,
        }


def fixed_head(template: str) -> str:
    """The text every rendering of `template` starts with: its literal text before the first placeholder."""
    head = []
    for literal, field, _spec, _conversion in string.Formatter().parse(template):
        head.append(literal)
        if field is not None:
            break
    return "".join(head)


def _as_text(prompt: Prompt, name: str, value: object) -> str:
    if value is None:
        raise PromptError(
            f"Prompt {prompt.id!r} got None for variable {name!r}.",
            "Pass a string (use '' when there is deliberately nothing to say).",
        )
    return _FENCE.sub(_defang, str(value))


def _defang(match: re.Match) -> str:
    # Same length, look-alike characters: the text still reads the same to a model or a human.
    run = match.group()
    return ("‹" if run[0] == "<" else "›") * len(run)


def _split_front_matter(path: Path, text: str) -> tuple[dict, str]:
    if not text.startswith("---\n"):
        raise PromptError(f"Prompt file {path} has no front matter.", "Start it with a '---' line, the YAML block, then '---'.")
    end = text.find("\n---\n", 4)
    if end < 0:
        raise PromptError(f"Prompt file {path} never closes its front matter.", "Add a '---' line after the YAML block.")
    try:
        meta = yaml.safe_load(text[4:end]) or {}
    except yaml.YAMLError as err:
        raise PromptError(f"Prompt file {path} has invalid YAML front matter: {yaml_problem(err, first_line=2)}.",
                          "Fix the YAML there (a quote left open, or a ': ' inside unquoted text).") from err
    if not isinstance(meta, dict):
        raise PromptError(f"Prompt file {path}: front matter must be a mapping.", "Use 'id:', 'description:', 'variables:'.")
    return meta, text[end + 5 :]


def _placeholders(path: Path, template: str) -> set[str]:
    names: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as err:
        raise PromptError(f"Prompt file {path}: {err}.", "Write literal braces as '{{' and '}}'.") from err
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        # Plain names only: attribute/index access or format specs would let a template reach
        # into the objects it is given and make rendering depend on more than the text.
        if not field.isidentifier() or spec or conversion:
            raise PromptError(
                f"Prompt file {path}: placeholder {{{field}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}} "
                "is not a plain variable name.",
                "Use {name} with letters, digits and underscores; write literal braces as '{{' and '}}'.",
            )
        names.add(field)
    return names


def _split_chat(path: Path, body: str) -> tuple[tuple[str, str], ...]:
    # Split the *template* before formatting, so text inside a variable can never start a message.
    pieces = _ROLE_LINE.split(body)
    if pieces[0].strip():
        raise PromptError(f"Prompt file {path}: text before the first '### <role>' line.", "Start the body with '### system' or '### user'.")
    parts = tuple((role, content.strip()) for role, content in zip(pieces[1::2], pieces[2::2]))
    if not any(role == "user" for role, _ in parts):
        raise PromptError(f"Prompt file {path} has no '### user' message.", "Add a '### user' line followed by the request.")
    if any(not content for _, content in parts):
        raise PromptError(f"Prompt file {path} has an empty message.", "Remove the empty '### <role>' block or fill it.")
    return parts


def parse_prompt(path: Path) -> Prompt:
    """Load and validate one prompt file (the name says its id and style)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except FileNotFoundError as err:
        raise PromptError(f"Prompt file {path} is missing.", "Restore it from git or point COACH_PROMPTS_DIR at the prompts folder.") from err
    except (OSError, UnicodeDecodeError) as err:
        raise PromptError(f"Prompt file {path} cannot be read: {err}.", "Check its permissions and that it is UTF-8.") from err
    stem, _, style = path.name.removesuffix(".md").rpartition(".")
    if style not in STYLES:
        raise PromptError(f"Prompt file {path.name} does not end in .completion.md or .chat.md.", "Rename it to <id>.<style>.md.")
    meta_raw, body = _split_front_matter(path, text.replace("\r\n", "\n"))
    try:
        meta = FrontMatter.model_validate(meta_raw)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(front matter)'}: {e['msg']}" for e in err.errors()[:5])
        raise PromptError(f"Prompt file {path} has bad front matter: {problems}", "Allowed keys: id, description, variables, stop, stop_after.") from err
    if meta.id != stem:
        raise PromptError(f"Prompt file {path.name} declares id {meta.id!r}.", f"Rename the file to {meta.id}.{style}.md or fix the id.")
    if style == "completion":
        # The model continues exactly where the text stops; a trailing newline or space from the
        # editor would change what it writes next.
        parts: tuple[tuple[str, str], ...] = (("completion", body.strip("\n").rstrip()),)
    else:
        parts = _split_chat(path, body)
    used: set[str] = set()
    for _, template in parts:
        used |= _placeholders(path, template)
    declared = set(meta.variables)
    if len(declared) != len(meta.variables) or used != declared:
        raise PromptError(
            f"Prompt file {path}: declared variables {sorted(declared)} but the body uses {sorted(used)}.",
            "Make the front matter 'variables' list match the {placeholders} in the body, each once.",
        )
    return Prompt(
        id=meta.id,
        style=style,  # type: ignore[arg-type]
        description=meta.description,
        variables=tuple(meta.variables),
        stop=tuple(meta.stop),
        stop_after=tuple(meta.stop_after),
        path=path,
        hash=hashlib.sha256(raw).hexdigest()[:12],
        parts=parts,
    )


def load_prompt(prompt_id: str, style: Style, prompts_dir: Path) -> Prompt:
    if style not in STYLES:
        raise PromptError(f"Unknown prompt style {style!r}.", f"Choose one of: {', '.join(STYLES)}.")
    path = Path(prompts_dir) / f"{prompt_id}.{style}.md"
    if not path.exists():
        known = sorted({p.id for p in list_prompts(prompts_dir) if p.style == style})
        raise PromptError(
            f"No {style} prompt {prompt_id!r} in {prompts_dir}.",
            f"Known {style} prompts: {', '.join(known) or 'none'}. Add {path.name} or fix the id.",
        )
    return parse_prompt(path)


def list_prompts(prompts_dir: Path) -> list[Prompt]:
    """Every prompt file, validated, sorted by id then style. A broken file raises PromptError."""
    root = Path(prompts_dir)
    paths = sorted(p for style in STYLES for p in root.glob(f"*.{style}.md"))
    return [parse_prompt(p) for p in paths]

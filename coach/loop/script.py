"""A scripted candidate for a whole loop (`coach loop --script FILE`, the `loop` eval suite).

    candidate: Strong staff candidate     # optional, a label
    level: staff                          # optional; --level wins
    panels:
      coding:                             # a list: the answers, in order, for the panel's
        - "I would first pin down ..."    #   questions and follow-ups
      system-design:
        ask:                              # or a mapping: `answers`, and optionally `ask`, the
          - "Design a rate limiter ..."   #   questions to put as written instead of composed ones
        answers:
          - "Requirements first: ..."

Everything is checked before anything runs: an error names the file, the line and the field, and
the reason, and the loop is not started.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from coach.corpus.schema import LEVELS, PANEL_SLUGS
from coach.errors import UserInputError
from coach.interviewer.questions import MAX_GIVEN_CHARS
from coach.scoring.text import MAX_ANSWER_CHARS
from coach.text_input import blank, check_text, join_surrogates

if TYPE_CHECKING:
    from coach.loop.onsite import Loop

# libyaml's parser when PyYAML was built with it: a script of long answers parses ~100x faster.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
EXAMPLE = 'panels:\n  coding:\n    - "My first answer ..."\n  behavioral:\n    ask: ["Tell me about a failure."]\n    answers: ["..."]'


@dataclass
class PanelScript:
    answers: list[str]
    ask: list[str] = field(default_factory=list)


@dataclass
class CandidateScript:
    path: Path
    panels: dict[str, PanelScript]  # in loop order
    level: str | None = None
    candidate: str = ""


class _Bad(Exception):
    def __init__(self, node: yaml.Node | None, where: str, reason: str):
        self.line = node.start_mark.line + 1 if node is not None else None
        self.where, self.reason = where, reason


def load_candidate(path: Path) -> CandidateScript:
    """Read and check a candidate script; UserInputError names the file, line, field and reason."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=FAST_LOADER)
    except FileNotFoundError as err:
        raise UserInputError(f"Script file {path} does not exist.", f"Pass a YAML file such as:\n{EXAMPLE}") from err
    except (OSError, UnicodeDecodeError) as err:
        raise UserInputError(f"Script file {path} cannot be read: {err}", "Save it as UTF-8 YAML.") from err
    except RecursionError:
        raise UserInputError(f"Script file {path} nests lists or mappings too deeply to read.",
                             f"The format is documented in the README (`coach loop`); for example:\n{EXAMPLE}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise UserInputError(f"Script file {path}{line} is not valid YAML: {getattr(err, 'problem', err)}.",
                             "Fix the YAML there; quote answers that contain ': ' or start with a symbol.") from err
    try:
        return _candidate(path, root)
    except _Bad as bad:
        line = f", line {bad.line}" if bad.line else ""
        raise UserInputError(f"Script file {path}{line}, field {bad.where}: {bad.reason}.",
                             f"The format is documented in the README (`coach loop`); for example:\n{EXAMPLE}") from None


def _mapping(node: yaml.Node | None, where: str, allowed: set[str]) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise _Bad(node, where, "must be a mapping")
    out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, value in node.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else None
        if name not in allowed:
            raise _Bad(key, f"{where}.{name}" if where else str(name), f"unknown key; expected one of {', '.join(sorted(allowed))}")
        if name in out:
            raise _Bad(key, f"{where}.{name}" if where else name, "appears twice")
        out[name] = (key, value)
    return out


def _string(node: yaml.Node, where: str, limit: int, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
        raise _Bad(node, where, f"must be a string ({what})")
    text = join_surrogates(node.value)
    if blank(text):
        raise _Bad(node, where, f"is empty; write the {what}")
    try:
        return check_text(text, what, limit, "")
    except UserInputError as err:  # "The answer is 25,000 characters; ..." -> "is 25,000 characters; ..."
        raise _Bad(node, where, err.message.removeprefix(f"The {what} ").rstrip(".")) from None


def _strings(node: yaml.Node, where: str, limit: int, what: str) -> list[str]:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise _Bad(node, where, f"must be a non-empty list of {what}s")
    return [_string(item, f"{where}[{i}]", limit, what) for i, item in enumerate(node.value)]


def _candidate(path: Path, root: yaml.Node | None) -> CandidateScript:
    if root is None:
        raise _Bad(None, "(top level)", "the file is empty")
    top = _mapping(root, "", {"candidate", "level", "panels"})
    if "panels" not in top:
        raise _Bad(root, "panels", "is missing: give the answers per panel")
    level = None
    if "level" in top:
        level = _string(top["level"][1], "level", 20, "level")
        if level not in LEVELS:
            raise _Bad(top["level"][1], "level", f"{level!r} is not a level; use one of {', '.join(LEVELS)}")
    candidate = _string(top["candidate"][1], "candidate", 200, "candidate's label") if "candidate" in top else ""
    panels_node = top["panels"][1]
    entries = _mapping(panels_node, "panels", set(PANEL_SLUGS)) if isinstance(panels_node, yaml.MappingNode) and panels_node.value else None
    if not entries:
        raise _Bad(panels_node, "panels", f"must map panel slugs ({', '.join(PANEL_SLUGS)}) to answers")
    panels: dict[str, PanelScript] = {}
    for slug in PANEL_SLUGS:
        if slug not in entries:
            continue
        node, where = entries[slug][1], f"panels.{slug}"
        if isinstance(node, yaml.MappingNode):
            parts = _mapping(node, where, {"answers", "ask"})
            if "answers" not in parts:
                raise _Bad(node, f"{where}.answers", "is missing")
            answers = _strings(parts["answers"][1], f"{where}.answers", MAX_ANSWER_CHARS, "answer")
            ask = _strings(parts["ask"][1], f"{where}.ask", MAX_GIVEN_CHARS, "question") if "ask" in parts else []
            panels[slug] = PanelScript(answers, ask)
        else:
            panels[slug] = PanelScript(_strings(node, where, MAX_ANSWER_CHARS, "answer"))
    return CandidateScript(path, panels, level, candidate)


def check_covers(script: CandidateScript, panels: list[str]) -> None:
    """Every panel of the loop needs answers in the script."""
    missing = [slug for slug in panels if slug not in script.panels]
    if missing:
        raise UserInputError(f"Script file {script.path}, field panels: no answers for {', '.join(missing)}.",
                             "Add answers for those panels, or leave them out with --panels.")


def play(loop: Loop, script: CandidateScript) -> list[str]:
    """Answer the loop from the script, panel by panel, until it ends or the script runs out on a
    panel (the loop then stays resumable). A panel's answers go to its prompts in order; a resumed
    loop skips the ones its session already holds, so the same script finishes a loop that stopped."""
    notes: list[str] = []
    while not loop.finished:
        session = loop.current
        slug = session.panel.slug
        answers = script.panels[slug].answers
        used = sum(1 for t in session.turns if t.answer is not None)
        while not session.finished and used < len(answers):
            session.current_prompt  # noqa: B018  (generates the next prompt if an earlier attempt failed)
            loop.answer(answers[used])
            used += 1
        if not session.finished:
            notes.append(f"the script ran out on {slug} after {used} answer(s); resume with `coach loop --resume {loop.id}`.")
            break
        if used < len(answers):
            notes.append(f"{slug} ended after {used} of the script's {len(answers)} answers.")
    return notes

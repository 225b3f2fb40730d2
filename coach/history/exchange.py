"""Export every saved session, story and loop to one JSON file, and import such a file: all of it or nothing.

Import reads and validates the whole file first (see `records`), then stores its sessions,
stories and loops in one transaction. Sessions, stories and loops whose id is already stored are
skipped and reported, never overwritten, so importing the same file twice changes nothing the
second time.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from coach.errors import UserInputError
from coach.history.records import (
    FORMAT,
    VERSION,
    HistoryFile,
    loop_record,
    loop_row,
    nested_problems,
    problems,
    to_record,
    to_rows,
)
from coach.loop.store import LoopStore
from coach.stories.store import StoryStore
from coach.text_input import lone_surrogate

if TYPE_CHECKING:
    from coach.session.store import SessionStore

MAX_PROBLEMS = 8  # shown at once; the rest are counted


class ImportReport(BaseModel):
    imported: list[str]
    skipped: list[str]
    stories_imported: list[str] = []
    stories_skipped: list[str] = []
    loops_imported: list[str] = []
    loops_skipped: list[str] = []


def export_history(store: SessionStore, session_ids: list[str] | None = None) -> dict:
    """The export document for the given sessions (default: all, with every story of the story
    bank and every loop), oldest first, ready for json.dump."""
    ids = session_ids if session_ids is not None else [s["id"] for s in sorted(store.list(), key=lambda s: s["created_at"])]
    sessions = [to_record(*store.load(sid)) for sid in ids]
    everything = session_ids is None
    stories = [s.model_dump(mode="json") for s in StoryStore(store).all()] if everything else []
    loops = [loop_record(r) for r in sorted(LoopStore(store).list(), key=lambda r: r.created_at)] if everything else []
    doc = HistoryFile(format=FORMAT, version=VERSION, exported_at=time.time(), sessions=sessions, stories=stories, loops=loops)
    return doc.model_dump(mode="json")


def read_history(path: Path) -> HistoryFile:
    """The validated contents of an export file; UserInputError naming every bad field otherwise."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise UserInputError(f"History file {path} does not exist.", "Pass a file written by `coach export`.") from err
    except (OSError, UnicodeDecodeError) as err:
        raise UserInputError(f"History file {path} cannot be read: {err}.", "Check the path and that it is UTF-8 JSON.") from err
    except RecursionError:
        raise UserInputError(f"History file {path} nests lists or objects too deeply to read.",
                             "Pass a file written by `coach export`.") from None
    except json.JSONDecodeError as err:
        raise UserInputError(f"History file {path} is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}.",
                             "Fix the JSON, or export the history again with `coach export`.") from err
    if isinstance(data, dict) and isinstance(data.get("version"), int) and data["version"] > VERSION and data.get("format") == FORMAT:
        raise UserInputError(f"History file {path} is format version {data['version']}; this coach reads version {VERSION}.",
                             "Upgrade the coach to the version that exported it.")
    broken = _broken_text(data, "")
    if broken:  # no database or page can hold one; a file written by `coach export` never has one
        _refuse(path, [f"{broken}: holds half of a UTF-16 surrogate pair (a \\ud800-\\udfff escape on its own)"])
    try:
        doc = HistoryFile.model_validate(data)
    except ValidationError as err:
        _refuse(path, problems(err))
    found = nested_problems(doc)
    if found:
        _refuse(path, found)
    return doc


def _broken_text(node: object, where: str) -> str | None:
    """The path of the first string holding a lone surrogate, or None."""
    if isinstance(node, str):
        return (where or "(top level)") if lone_surrogate(node) else None
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        found = _broken_text(value, f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}" if where else str(key))
        if found:
            return found
    return None


def _refuse(path: Path, found: list[str]):
    shown = found[:MAX_PROBLEMS]
    more = f"\n  ... and {len(found) - len(shown)} more" if len(found) > len(shown) else ""
    raise UserInputError(f"History file {path} is not a valid {FORMAT} file (version {VERSION}); nothing was imported:\n  "
                         + "\n  ".join(shown) + more,
                         "Fix the named fields, or export the history again with `coach export`.")


def import_history(store: SessionStore, path: Path) -> ImportReport:
    """Validate the file, then store its sessions, stories and loops in one transaction, skipping
    ids already stored."""
    doc = read_history(path)
    done: dict[str, tuple[list[str], list[str]]] = {}

    def rest(db) -> None:  # in the sessions' transaction: a failure here imports nothing at all
        done["stories"] = StoryStore.insert_new(db, doc.stories)
        done["loops"] = LoopStore.insert_new(db, [loop_row(r) for r in doc.loops])

    imported, skipped = store.insert((to_rows(s) for s in doc.sessions), also=rest)
    (stories_new, stories_old), (loops_new, loops_old) = done["stories"], done["loops"]
    return ImportReport(imported=imported, skipped=skipped, stories_imported=stories_new, stories_skipped=stories_old,
                        loops_imported=loops_new, loops_skipped=loops_old)

"""The item review ledger: composed questions two blind reviewers read, and whether both accepted.

    reviews = load_reviews(corpus_root / REVIEWS_DIR)   # panel -> normalised text -> Review
    reviews["behavioral"][normalise(text)].askable

One file per panel, `corpus/reviews/<panel>.yaml`, written by `python -m coach.evals.review`. A
verdict belongs to a text, word for word: when an item model or an element changes, what it
renders is a new text with no verdict, so no edit can carry an old acceptance over to new wording.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from coach.corpus.schema import PANEL_SLUGS
from coach.errors import CorpusError

REVIEWS_DIR = "reviews"
_FAST = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Review:
    askable: bool
    grades: tuple[str, ...]
    by: tuple[str, ...]  # the batch each grade came from


def normalise(text: str) -> str:
    return " ".join(text.split()).lower()


class Ledgers(Mapping[str, dict[str, Review]]):
    """Panel -> its ledger, each file parsed on first use: a session asks one panel's questions,
    and parsing all seven ledgers would add about a third of a second to every command."""

    def __init__(self, paths: dict[str, Path]):
        self._paths = paths
        self._loaded: dict[str, dict[str, Review]] = {}

    def __getitem__(self, panel: str) -> dict[str, Review]:
        if panel not in self._loaded:
            self._loaded[panel] = _load(self._paths[panel])
        return self._loaded[panel]

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


def load_reviews(folder: Path) -> Ledgers:
    """Every panel's ledger (empty for a corpus without reviews); an unknown file is an error now,
    a broken one when its panel is first asked for."""
    paths: dict[str, Path] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        if path.stem not in PANEL_SLUGS:
            raise CorpusError(f"Unknown review file {path}.", f"Name each after its panel: {', '.join(PANEL_SLUGS)}.")
        paths[path.stem] = path
    return Ledgers(paths)


def _load(path: Path) -> dict[str, Review]:
    fix = "Restore it from git, or write it again with `python -m coach.evals.review merge`."
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_FAST)  # noqa: S506 - a safe loader
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise CorpusError(f"Review file {path} cannot be read: {err}.", fix) from err
    if not isinstance(data, dict) or data.get("panel") != path.stem or not isinstance(data.get("texts"), list):
        raise CorpusError(f"Review file {path} is not a review ledger of panel {path.stem!r} (panel: and texts: are needed).", fix)
    out: dict[str, Review] = {}
    for n, entry in enumerate(data["texts"], 1):
        try:
            text, askable, grades = entry["text"], entry["askable"], entry["grades"]
            if askable not in ("yes", "no") or not isinstance(text, str) or not text.strip():
                raise ValueError
        except (KeyError, TypeError, ValueError) as err:
            raise CorpusError(f"Review file {path}: entry {n} needs text, askable (yes or no) and grades.", fix) from err
        out[normalise(text)] = Review(askable == "yes", tuple(str(g) for g in grades), tuple(str(b) for b in entry.get("by") or ()))
    return out

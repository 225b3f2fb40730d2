"""Load and validate the corpus: the compendium, the seven panels and the case studies."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from coach.errors import CorpusError, unknown_choice
from coach.corpus.schema import PANEL_SLUGS, Case, CaseFile, Panel


@dataclass(frozen=True)
class Corpus:
    root: Path
    compendium: str
    panels: dict[str, Panel]
    cases: list[Case]
    file_hashes: dict[str, str] = field(default_factory=dict)

    def panel(self, slug: str) -> Panel:
        if slug not in self.panels:
            raise unknown_choice("panel", slug, PANEL_SLUGS)
        return self.panels[slug]

    @property
    def hash(self) -> str:
        """One hash over every corpus file: changes whenever any byte of the corpus changes."""
        h = hashlib.sha256()
        for name in sorted(self.file_hashes):
            h.update(f"{name}:{self.file_hashes[name]}\n".encode())
        return h.hexdigest()[:16]


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise CorpusError(f"Corpus file {path} is missing.", "Restore it from git or point COACH_CORPUS_DIR at a full corpus.") from err
    except (OSError, UnicodeDecodeError) as err:
        raise CorpusError(f"Corpus file {path} cannot be read: {err}.", "Check its permissions and that it is UTF-8 text.") from err


def _load_yaml(path: Path) -> object:
    text = _read_text(path)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise CorpusError(f"Corpus file {path} is not valid YAML: {err}", "Fix the YAML syntax at the line shown.") from err


def _validation_error(path: Path, err: ValidationError) -> CorpusError:
    problems = "; ".join(
        f"field '{'.'.join(str(p) for p in e['loc']) or '(file)'}': {e['msg']}" for e in err.errors()[:5]
    )
    return CorpusError(f"Corpus file {path} is malformed: {problems}", "Fix the named field(s); the schema is in coach/models.py.")


def load_panel(path: Path) -> Panel:
    data = _load_yaml(path)
    try:
        panel = Panel.model_validate(data)
    except ValidationError as err:
        raise _validation_error(path, err) from err
    if panel.slug != path.stem:
        raise CorpusError(f"Corpus file {path} declares slug {panel.slug!r}.", f"Rename the file to {panel.slug}.yaml or fix the slug.")
    return panel


def load_cases(path: Path) -> list[Case]:
    try:
        return CaseFile.model_validate(_load_yaml(path)).cases
    except ValidationError as err:
        raise _validation_error(path, err) from err


def load_corpus(root: Path) -> Corpus:
    root = Path(root)
    hashes: dict[str, str] = {}

    def track(path: Path) -> Path:
        try:
            hashes[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            pass  # the loader below names the file with a proper message
        return path

    compendium = _read_text(track(root / "compendium.md"))
    panels: dict[str, Panel] = {}
    for slug in PANEL_SLUGS:
        panels[slug] = load_panel(track(root / "panels" / f"{slug}.yaml"))
    extra = sorted(p.stem for p in (root / "panels").glob("*.yaml") if p.stem not in PANEL_SLUGS)
    if extra:
        raise CorpusError(f"Unknown panel files in {root / 'panels'}: {extra}.", f"Panels are: {', '.join(PANEL_SLUGS)}.")
    cases: list[Case] = []
    for path in sorted((root / "cases").glob("*.yaml")):
        cases.extend(load_cases(track(path)))
    return Corpus(root=root, compendium=compendium, panels=panels, cases=cases, file_hashes=hashes)


@lru_cache(maxsize=4)
def _cached(root: str, stamp: tuple) -> Corpus:
    return load_corpus(Path(root))


def get_corpus(root: Path) -> Corpus:
    """Load once per process, reloading when any corpus file's mtime changes."""
    root = Path(root)
    stamp = tuple(sorted((str(p), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()))
    return _cached(str(root), stamp)

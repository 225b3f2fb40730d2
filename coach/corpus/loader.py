"""Load and validate the corpus: the compendium, the seven panels, the case studies, the item
models the interviewer composes its questions from (`items/`, optional) and the glossary of the
abbreviations it uses (`glossary.yaml`, optional) and the anchored follow-up frames with the
components and people they name (`anchors.yaml`, optional)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from coach.errors import CorpusError, unknown_choice, yaml_problem
from coach.corpus.anchors import Anchors
from coach.corpus.items import ItemBank
from coach.corpus.reviews import REVIEWS_DIR, Review, load_reviews
from coach.corpus.schema import PANEL_SLUGS, Case, CaseFile, Glossary, Panel

# libyaml's loader when PyYAML was built with it: the corpus is read on every command, and the
# pure-Python parser spends most of the load time tokenising.
class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Refuses a key given twice in one mapping: YAML keeps the last silently, so an element with
    two `excludes:` lines lost the first (and the pair it banned came back)."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark, f"found the key {key!r} twice", key_node.start_mark)
            seen[key] = True
        return super().construct_mapping(node, deep=deep)


_YAML_LOADER = _StrictLoader
_SECTION = re.compile(r"^## (\d+)\. ", re.MULTILINE)


@dataclass(frozen=True)
class Corpus:
    root: Path
    compendium: str
    panels: dict[str, Panel]
    cases: list[Case]
    file_hashes: dict[str, str] = field(default_factory=dict)
    items: dict[str, ItemBank] = field(default_factory=dict)  # panel slug -> its item models
    glossary: dict[str, str] = field(default_factory=dict)  # abbreviation -> what it stands for
    anchors: Anchors | None = None  # anchored follow-up frames and what they can name
    reviews: Mapping[str, dict[str, Review]] = field(default_factory=dict)  # panel slug -> reviewed composed questions

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
        return yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as err:
        if "twice" in str(getattr(err, "problem", "")):
            hint = "Merge the two entries into one (keep every value of both), then load again."
        else:
            hint = "Fix the YAML syntax there (a quote left open, a tab, or a ': ' inside unquoted text)."
        raise CorpusError(f"Corpus file {path} is not valid YAML: {yaml_problem(err)}.", hint) from err
    except RecursionError:
        raise CorpusError(f"Corpus file {path} nests lists or mappings too deeply to read.", "Restore it from git.") from None


def _field(loc: tuple, data: object) -> str:
    """`items.3.signal` as `items[sd-cap-1].signal`: list positions named by the id found there."""
    out = ""
    for part in loc:
        if isinstance(part, int) and isinstance(data, list) and 0 <= part < len(data):
            data = data[part]
            ident = data.get("id") if isinstance(data, dict) else None
            out += f"[{ident}]" if isinstance(ident, str) else f"[{part}]"
            continue
        data = data.get(part) if isinstance(data, dict) else None
        out += f".{part}" if out else str(part)
    return out or "(file)"


def _validation_error(path: Path, err: ValidationError, data: object = None) -> CorpusError:
    problems = "; ".join(f"field '{_field(e['loc'], data)}': {e['msg']}" for e in err.errors()[:5])
    return CorpusError(f"Corpus file {path} is malformed: {problems}", "Fix the named field(s); the schema is in coach/corpus/.")


def load_panel(path: Path) -> Panel:
    data = _load_yaml(path)
    try:
        panel = Panel.model_validate(data)
    except ValidationError as err:
        raise _validation_error(path, err, data) from err
    if panel.slug != path.stem:
        raise CorpusError(f"Corpus file {path} declares slug {panel.slug!r}.", f"Rename the file to {panel.slug}.yaml or fix the slug.")
    return panel


def load_cases(path: Path) -> list[Case]:
    data = _load_yaml(path)
    try:
        return CaseFile.model_validate(data).cases
    except ValidationError as err:
        raise _validation_error(path, err, data) from err


def load_items(path: Path, panel: Panel, sections: set[int], case_ids: set[str]) -> ItemBank:
    """One panel's item models, checked against its signals and the compendium and cases they cite."""
    data = _load_yaml(path)
    context = {"signals": [s.id for s in panel.signals], "sections": sections, "cases": case_ids}
    try:
        bank = ItemBank.model_validate(data, context=context)
    except ValidationError as err:
        raise _validation_error(path, err, data) from err
    if bank.panel != path.stem:
        raise CorpusError(f"Corpus file {path} declares panel {bank.panel!r}.", f"Rename the file to {bank.panel}.yaml or fix the panel.")
    return bank


def load_anchors(path: Path, panels: dict[str, Panel]) -> Anchors:
    """The anchored follow-up frames, each checked against its panel's signals."""
    data = _load_yaml(path)
    try:
        anchors = Anchors.model_validate(data)
        anchors.check_signals({slug: {s.id for s in p.signals} for slug, p in panels.items()})
    except ValidationError as err:
        raise _validation_error(path, err, data) from err
    except ValueError as err:
        raise CorpusError(f"Corpus file {path}: {err}.", "Use a signal id listed in that panel's file.") from err
    return anchors


def load_glossary(path: Path, corpus_text: str) -> dict[str, str]:
    """Abbreviation -> meaning; each abbreviation must occur in the corpus (a plural counts)."""
    data = _load_yaml(path)
    try:
        glossary = Glossary.model_validate(data)
    except ValidationError as err:
        raise _validation_error(path, err, data) from err
    for term in glossary.terms:
        if not re.search(rf"\b{re.escape(term.abbr)}s?\b", corpus_text):
            raise CorpusError(f"Corpus file {path}: the abbreviation {term.abbr!r} appears nowhere in the corpus.",
                              "Spell it as the compendium, panels or cases do, or remove the entry.")
    return {t.abbr: t.means for t in glossary.terms}


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
    items: dict[str, ItemBank] = {}
    item_files = sorted((root / "items").glob("*.yaml")) if (root / "items").is_dir() else []
    unknown = [p.name for p in item_files if p.stem not in PANEL_SLUGS]
    if unknown:
        raise CorpusError(f"Unknown item files in {root / 'items'}: {unknown}.", f"Name each after its panel: {', '.join(PANEL_SLUGS)}.")
    sections = {int(n) for n in _SECTION.findall(compendium)}
    for path in item_files:
        items[path.stem] = load_items(track(path), panels[path.stem], sections, {c.id for c in cases})
    glossary: dict[str, str] = {}
    if (root / "glossary.yaml").is_file():
        said = [compendium] + [_read_text(p) for p in sorted((root / "panels").glob("*.yaml")) + sorted((root / "cases").glob("*.yaml"))]
        glossary = load_glossary(track(root / "glossary.yaml"), "\n".join(said))
    anchors = load_anchors(track(root / "anchors.yaml"), panels) if (root / "anchors.yaml").is_file() else None
    for path in sorted((root / REVIEWS_DIR).glob("*.yaml")):
        track(path)
    reviews = load_reviews(root / REVIEWS_DIR)
    return Corpus(root=root, compendium=compendium, panels=panels, cases=cases, file_hashes=hashes, items=items, glossary=glossary,
                  anchors=anchors, reviews=reviews)


@lru_cache(maxsize=4)
def _cached(root: str, stamp: tuple) -> Corpus:
    return load_corpus(Path(root))


def get_corpus(root: Path) -> Corpus:
    """Load once per process, reloading when any corpus file's mtime changes."""
    root = Path(root)
    stamp = tuple(sorted((str(p), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()))
    return _cached(str(root), stamp)

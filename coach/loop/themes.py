"""Themes: the signals of different panels that show the same quality of a candidate, so a debrief
can say what repeats across the loop (`corpus/loop_themes.yaml` holds the map and its rule)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach.corpus.loader import Corpus
from coach.errors import CorpusError, yaml_problem

THEMES_FILE = "loop_themes.yaml"


class Theme(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    signals: dict[str, list[str]] = Field(description="panel slug -> the ids of its signals that show this theme")


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    themes: list[Theme]


def load_themes(corpus: Corpus) -> list[Theme]:
    """Every theme, plus one of its own for each signal no theme lists. Raises CorpusError naming
    the file and the field when the map names an unknown panel or signal, or one signal twice."""
    path = Path(corpus.root) / THEMES_FILE
    known = {p.slug: {s.id: s.name for s in p.signals} for p in corpus.panels.values()}
    themes: list[Theme] = []
    if path.exists():
        try:
            themes = _File.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))).themes
        except yaml.YAMLError as err:
            raise CorpusError(f"{path} is not valid YAML: {yaml_problem(err)}.", "Fix the YAML there (a quote left open, a tab, or a ': ' inside unquoted text).") from err
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise CorpusError(f"{path}: field {where}: {first['msg']}.", "Each theme needs id, name and signals: {panel: [signal ids]}.") from err
    seen: dict[tuple[str, str], str] = {}
    for n, theme in enumerate(themes):
        for slug, ids in theme.signals.items():
            if slug not in known:
                raise CorpusError(f"{path}: themes[{n}] ({theme.id}) names unknown panel {slug!r}.",
                                  f"Use one of: {', '.join(known)}.")
            for sid in ids:
                if sid not in known[slug]:
                    raise CorpusError(f"{path}: themes[{n}] ({theme.id}) names unknown signal {slug}/{sid}.",
                                      f"Signals of {slug}: {', '.join(known[slug])}.")
                if (slug, sid) in seen:
                    raise CorpusError(f"{path}: signal {slug}/{sid} is in two themes ({seen[slug, sid]} and {theme.id}).",
                                      "A signal belongs to at most one theme.")
                seen[slug, sid] = theme.id
    alone = [Theme(id=f"{slug}/{sid}", name=name, signals={slug: [sid]})
             for slug, signals in known.items() for sid, name in signals.items() if (slug, sid) not in seen]
    return [*themes, *alone]

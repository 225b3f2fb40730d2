"""What a run was measured against. When metrics move, the diff of two fingerprints says why."""

from __future__ import annotations

import hashlib
from pathlib import Path

from coach import __version__
from coach.config import Settings
from coach.corpus.loader import Corpus
from coach.retrieval.embeddings import model_fingerprint
from coach.llm.prompts import list_prompts
from coach.scoring.settings import load_scoring_settings


def fingerprint(settings: Settings, corpus: Corpus, backend_model: str, index_fingerprint: dict | None = None) -> dict:
    """Every input that can move a metric, one key per component, so a diff names the culprit."""
    fp = {
        "corpus": corpus.hash,
        "embedding_model": model_fingerprint(settings.embedding_model),
        "scorer": load_scoring_settings(settings.corpus_dir).version,
        "llm_model": backend_model,
        "package": __version__,
    }
    for name, digest in sorted(corpus.file_hashes.items()):
        fp[f"corpus:{name}"] = digest[:12]
    themes = settings.corpus_dir / "loop_themes.yaml"  # read by the loop debrief, not by the corpus loader
    if themes.exists():
        fp["corpus:loop_themes.yaml"] = hashlib.sha256(themes.read_bytes()).hexdigest()[:12]
    for prompt in list_prompts(settings.prompts_dir):
        fp[f"prompt:{prompt.id}.{prompt.style}"] = prompt.hash
    fp.update(fixture_hashes(settings.evals_dir / "fixtures"))
    if index_fingerprint:
        fp["index"] = "|".join(f"{k}={index_fingerprint[k]}" for k in sorted(index_fingerprint))
    return fp


def fixture_hashes(fixtures_dir: Path) -> dict[str, str]:
    """One hash per suite's fixtures (a file or a folder of files): a metric that moves because
    its fixtures were edited is attributed to them, not to the code."""
    out = {}
    for entry in sorted(fixtures_dir.iterdir()) if fixtures_dir.is_dir() else ():
        files = sorted(f for f in (entry.rglob("*") if entry.is_dir() else [entry]) if f.is_file() and f.suffix in {".yaml", ".yml"})
        h = hashlib.sha256()
        for f in files:
            h.update(f.relative_to(fixtures_dir).as_posix().encode() + b"\0" + f.read_bytes())
        if files:
            out[f"fixtures:{entry.stem}"] = h.hexdigest()[:12]
    return out


def diff(old: dict, new: dict) -> list[dict]:
    """Components whose identity changed between two fingerprints."""
    out = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            out.append({"component": key, "old": old.get(key), "new": new.get(key)})
    return out


# Which suites can a change to each component move? Used to attribute drift and to pick the
# suites worth re-running after a change.
AFFECTS = {
    "prompt:rewrite.": ("questions", "followups", "sessions", "loop"),
    "prompt:judge.": (),  # the suites score with the evidence scorer; the judge has its own tests
    "prompt:": ("questions", "followups", "sessions", "loop"),
    "corpus:loop_themes.yaml": ("loop",),
    "corpus:scoring.yaml": ("scoring", "sessions", "followups", "loop"),
    "corpus:panels/": ("retrieval", "questions", "followups", "scoring", "sessions", "loop"),
    "corpus:compendium.md": ("retrieval", "questions"),
    "corpus:cases/": ("retrieval",),
    "corpus:glossary.yaml": ("retrieval",),  # what keyword search matches abbreviations with
    "corpus:items/": ("questions", "followups", "sessions", "loop"),  # item models and follow-up frames
    "embedding_model": ("retrieval", "questions", "followups", "scoring", "sessions", "loop"),
    "scorer": ("scoring", "sessions", "followups", "loop"),
    "llm_model": ("questions", "followups", "sessions", "loop"),
    "fixtures:retrieval": ("retrieval",),
    "fixtures:questions": ("questions",),
    "fixtures:grading": ("questions",),  # the blind grades give the askable rates
    "fixtures:followups": ("followups",),
    "fixtures:scoring": ("scoring", "sessions"),  # the sessions suite answers with graded answers too
    "fixtures:sessions": ("sessions",),
    "fixtures:loops": ("loop",),
}


def suites_affected(component: str) -> tuple[str, ...]:
    for prefix, suites in AFFECTS.items():
        if component.startswith(prefix):
            return suites
    return ()

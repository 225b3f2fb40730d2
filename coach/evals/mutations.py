"""Proof that the harness catches drift: mutate one input at a time and check the run notices.

Each mutation works on a private copy of corpus/, prompts/ and evals/, so nothing in the
repository changes. A mutation is *caught* when the run's metrics move against a baseline taken
on the unmutated copy AND the fingerprint diff names the mutated component.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from coach.config import Settings
from coach.evals.harness import run_eval


@dataclass(frozen=True)
class Mutation:
    name: str
    component: str  # the fingerprint key prefix the diff must name
    suites: tuple[str, ...]
    apply: Callable[[Path], dict]  # workspace -> settings overrides


@dataclass
class MutationResult:
    name: str
    caught: bool
    attributed: bool
    moved: list[str]
    changed: list[str]

    @property
    def ok(self) -> bool:
        return self.caught and self.attributed


def _edit_prompt(ws: Path, fn: Callable[[str], str]) -> None:
    path = ws / "prompts" / "question.completion.md"
    path.write_text(fn(path.read_text()))


def _drop_grounding(ws: Path) -> dict:
    def fn(text: str) -> str:
        head, body = text.split("\n---\n", 1)
        head = head.replace("grounding, ", "").replace(", grounding", "")
        body = body.replace("Reference notes:\n{grounding}\n", "").replace("{grounding}", "")
        return head + "\n---\n" + body

    _edit_prompt(ws, fn)
    return {}


def _swap_examples(ws: Path) -> dict:
    # Few-shot examples come from the panels' sample questions; swapping two panels' question
    # banks feeds every prompt the wrong shots while keeping the files valid.
    a, b = ws / "corpus" / "panels" / "system-design.yaml", ws / "corpus" / "panels" / "behavioral.yaml"
    da, db = yaml.safe_load(a.read_text()), yaml.safe_load(b.read_text())
    sig_a, sig_b = da["signals"][0]["id"], db["signals"][0]["id"]
    da["sample_questions"], db["sample_questions"] = (
        [dict(q, signals=[sig_a]) for q in db["sample_questions"]],
        [dict(q, signals=[sig_b]) for q in da["sample_questions"]],
    )
    a.write_text(yaml.safe_dump(da, sort_keys=False))
    b.write_text(yaml.safe_dump(db, sort_keys=False))
    return {}


def _level_wording(ws: Path) -> dict:
    _edit_prompt(ws, lambda t: t.replace("interview for a {level} engineer", "interview for a junior intern (ignore: {level})"))
    return {}


def _remove_indicators(ws: Path) -> dict:
    path = ws / "corpus" / "panels" / "system-design.yaml"
    data = yaml.safe_load(path.read_text())
    for s in data["signals"]:
        s["indicators"] = ["it depends", "we would see", "that is a good point", "in general", "it could work"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return {}


def _scorer_weights(ws: Path) -> dict:
    path = ws / "corpus" / "scoring.yaml"
    data = yaml.safe_load(path.read_text())
    data["overall"]["depth_weight"] = 0.0
    data["overall"]["failure_penalty"] = 0
    data["evidence"]["level_thresholds"] = [t * 2 for t in data["evidence"]["level_thresholds"]]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return {}


def _embedding_model(ws: Path) -> dict:
    """A copy of the bundled MiniLM with one attention layer's weights perturbed."""
    import numpy as np
    from safetensors.numpy import load_file, save_file

    from coach.retrieval.embeddings import BUNDLED, resolve_model_path

    src = resolve_model_path(BUNDLED)
    dst = ws / "embedding-model"
    shutil.copytree(src, dst)
    weights = next(dst.rglob("*.safetensors"))
    tensors = load_file(str(weights))
    rng = np.random.default_rng(0)
    for name in [n for n in tensors if "layer.0.attention" in n and n.endswith("weight")][:2]:
        t = tensors[name]
        tensors[name] = (t + rng.normal(0, 0.05, t.shape)).astype(t.dtype)
    save_file(tensors, str(weights))
    return {"embedding_model": str(dst)}


MUTATIONS: tuple[Mutation, ...] = (
    Mutation("prompt: drop the grounding context", "prompt:question.completion", ("questions",), _drop_grounding),
    Mutation("prompt: swap the few-shot examples", "corpus:panels/system-design.yaml", ("questions",), _swap_examples),
    Mutation("prompt: change the level wording", "prompt:question.completion", ("questions",), _level_wording),
    Mutation("corpus: remove a panel's indicator phrases", "corpus:panels/system-design.yaml", ("scoring",), _remove_indicators),
    Mutation("scorer: change the weights", "scorer", ("scoring",), _scorer_weights),
    Mutation("embedding model: perturbed weights", "embedding_model", ("retrieval", "scoring"), _embedding_model),
)


def workspace(settings: Settings, root: Path) -> Settings:
    """A private copy of the inputs, the index and the LLM replay cache: a mutated run updates
    its own index and records its own generations, and unchanged calls still replay."""
    for name in ("corpus", "prompts", "evals"):
        shutil.copytree(getattr(settings, f"{name}_dir"), root / name)
    data = root / "data"
    for sub in ("index", "cache"):
        if (settings.data_dir / sub).exists():
            shutil.copytree(settings.data_dir / sub, data / sub)
    return settings.model_copy(
        update={"corpus_dir": root / "corpus", "prompts_dir": root / "prompts", "evals_dir": root / "evals", "data_dir": data}
    )


PROOF_PANELS = ("system-design",)


def prove(
    mutations: tuple[Mutation, ...] = MUTATIONS, settings: Settings | None = None, quick: bool = True, panels: tuple[str, ...] | None = PROOF_PANELS
) -> tuple[list[MutationResult], bool]:
    """Run each mutation against a fresh baseline. Returns the results and whether a repeat run of
    the unmutated workspace was quiet (no metric moved, no input changed)."""
    settings = settings if settings is not None else Settings()
    results = []
    quiet = True
    with tempfile.TemporaryDirectory(prefix="coach-drift-") as tmp:
        base = workspace(settings, Path(tmp) / "base")
        suites = sorted({s for m in mutations for s in m.suites})
        kw = {"quick": quick, "progress": False, "panels": panels}
        run_eval(suites, settings=base, update_baseline=True, reason="drift proof baseline", **kw)
        again = run_eval(suites, settings=base, **kw)
        quiet = not again.comparison.drift
        for i, m in enumerate(mutations):
            ws_root = Path(tmp) / f"m{i}"
            ws = workspace(base, ws_root)
            overrides = m.apply(ws_root)
            if overrides:
                ws = ws.model_copy(update=overrides)
            run = run_eval(list(m.suites), settings=ws, **kw)
            moved = [f"{c.suite}.{c.metric} {c.baseline} -> {c.value}" for c in run.comparison.moved]
            changed = [c["component"] for c in run.comparison.fingerprint_changes]
            results.append(MutationResult(m.name, bool(moved), any(c.startswith(m.component) for c in changed), moved, changed))
    return results, quiet

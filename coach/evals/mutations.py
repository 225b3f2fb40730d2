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


def _edit_bank(ws: Path, fn: Callable[[dict], None]) -> None:
    path = ws / "corpus" / "items" / "system-design.yaml"
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _one_source(ws: Path) -> dict:
    # Every element cites one section: still a valid bank, but the questions stop reaching the
    # sections the panel draws on.
    def fn(data: dict) -> None:
        def walk(pool):
            for element in pool:
                if element.get("sources"):
                    element["sources"] = ["section:2"]
                for sub in element.get("parts", {}).values():
                    walk(sub)

        for pool in data["elements"].values():
            walk(pool)
        for item in data["items"]:
            item.pop("sources", None)

    _edit_bank(ws, fn)
    return {}


def _no_frames(ws: Path) -> dict:
    # Without the bank's frames, follow-ups fall back to the panel's tagged follow-ups.
    _edit_bank(ws, lambda data: data.pop("frames", None))
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
    Mutation("item bank: every element cites one section", "corpus:items/system-design.yaml", ("questions",), _one_source),
    Mutation("item bank: follow-up frames removed", "corpus:items/system-design.yaml", ("followups",), _no_frames),
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

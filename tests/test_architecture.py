"""The layout rules in docs/architecture.md, checked on the source: which stage may import which,
where settings, backends and the corpus are looked up, and how big a module may grow."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from coach.config import REPO_ROOT

PACKAGE = REPO_ROOT / "coach"
MAX_LINES = 400

# Stage -> the stages it may import at run time (type-only imports are free). Shared modules
# (config, errors, retrying, seeding, testing, text_input) may be imported by anyone.
ALLOWED = {
    "corpus": set(),
    "retrieval": {"corpus"},
    "llm": set(),
    "scoring": {"corpus", "retrieval", "llm"},
    "interviewer": {"corpus", "retrieval", "llm", "scoring"},
    "practice": set(),
    "session": {"corpus", "interviewer", "scoring", "practice"},
    "render": {"corpus", "retrieval", "scoring", "session", "practice"},
    "history": {"corpus", "retrieval", "llm", "scoring", "interviewer", "session", "practice", "loop", "stories"},
    "loop": {"corpus", "interviewer", "scoring", "session"},
    "stories": {"corpus", "retrieval", "llm", "scoring", "session"},
}
SHARED = {"config", "errors", "retrying", "seeding", "testing", "text_input", "__init__"}
# Where the process-wide settings, backend and corpus may be looked up: the composition root.
LOOKUPS = re.compile(r"\b(get_settings|get_backend|get_corpus)\(")


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, path.relative_to(PACKAGE).parts


def _runtime_imports(tree: ast.Module) -> list[str]:
    """`coach.x...` modules imported outside `if TYPE_CHECKING:` blocks."""
    found: list[str] = []

    def visit(nodes):
        for node in nodes:
            if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("coach"):
                found.append(node.module)
            elif isinstance(node, ast.Import):
                found.extend(a.name for a in node.names if a.name.startswith("coach"))
            for field in ("body", "orelse", "finalbody", "handlers"):
                visit(getattr(node, field, []) or [])

    visit(tree.body)
    return found


def test_each_stage_imports_only_the_stages_before_it():
    problems = []
    for path, parts in _modules():
        stage = parts[0]
        if stage not in ALLOWED:
            continue
        for module in _runtime_imports(ast.parse(path.read_text())):
            target = module.split(".")[1] if "." in module else "__init__"
            if target in SHARED or target == stage:
                continue
            if target not in ALLOWED[stage]:
                problems.append(f"{'/'.join(parts)} imports {module}")
    assert not problems, problems


def test_settings_backend_and_corpus_are_looked_up_only_by_the_composition_root():
    offenders = []
    for path, parts in _modules():
        text = path.read_text()
        for line_no, line in enumerate(text.splitlines(), 1):
            if LOOKUPS.search(line) and not line.lstrip().startswith("def ") and parts != ("root.py",):
                offenders.append(f"{'/'.join(parts)}:{line_no}: {line.strip()}")
    for path in (REPO_ROOT / "bench").glob("*.py"):
        offenders += [f"bench/{path.name}: {m.group(0)}" for m in LOOKUPS.finditer(path.read_text())]
    assert not offenders, offenders


def test_no_module_is_over_the_size_limit():
    sizes = {"/".join(parts): len(path.read_text().splitlines()) for path, parts in _modules()}
    sizes["app.py"] = len((REPO_ROOT / "app.py").read_text().splitlines())
    assert not {name: n for name, n in sizes.items() if n > MAX_LINES}


def test_no_module_reaches_into_another_objects_private_parts():
    reach = re.compile(r"\b(?!self\b|cls\b)[a-z_]+\.(_guard|_generate|_client|_memo)\b")
    offenders = [
        f"{'/'.join(parts)}: {m.group(0)}"
        for path, parts in _modules()
        if parts not in {("retrieval", "embeddings.py")}
        for m in reach.finditer(path.read_text())
    ]
    assert not offenders, offenders


def test_app_py_only_launches_the_web_module():
    tree = ast.parse((REPO_ROOT / "app.py").read_text())
    imports = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert imports == ["coach.web"]


def test_the_public_api_is_importable_from_the_package():
    import coach

    assert {"Coach", "Settings", "CoachError"} <= set(coach.__all__)
    assert callable(coach.Coach.from_env)

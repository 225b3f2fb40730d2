"""`python -m bench [NAME ... | all]`: run the benchmarks, print a table each, write results/latest.json."""

from __future__ import annotations

import importlib
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from .common import Result

BENCHMARKS = ("index_build", "retrieval", "scoring", "questions", "history", "load", "endurance", "kills")
# Reliability under load and over time take minutes each: run them by name, or all with `all`.
DEFAULT = ("index_build", "retrieval", "scoring", "questions", "history")
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
REPO = Path(__file__).resolve().parent.parent


def machine_info() -> dict:
    info = {
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "load_avg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }
    try:
        import torch

        info.update(torch=torch.__version__, torch_threads=torch.get_num_threads())
    except ImportError:
        pass
    try:
        import chromadb

        info["chromadb"] = chromadb.__version__
    except ImportError:
        pass
    return info


def git_revision() -> str | None:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def _cpu_seconds() -> tuple[float, float] | None:
    """(CPU seconds used by the whole machine, by this process and its children) so far; Linux only."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    busy = sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0)  # all but idle and iowait
    t = os.times()
    return busy / os.sysconf("SC_CLK_TCK"), t.user + t.system + t.children_user + t.children_system


def other_load(before, after, wall: float) -> float | None:
    """Cores kept busy by other processes while a benchmark ran: its figures are only as clean as this is low."""
    if before is None or after is None or wall <= 0:
        return None
    return round(max(0.0, (after[0] - before[0]) - (after[1] - before[1])) / wall, 2)


def _value(v: float | None, unit: str) -> str:
    if v is None:
        return "n/a"
    if unit == "x":
        return f"{v:.2f}x"
    if unit == "%":
        return f"{v:.0f} %"
    return f"{v:.1f} {unit}" if unit == "ms" or v >= 100 else f"{v:.2f} {unit}"


def print_table(result: Result) -> None:
    print(f"\n{result.name}  ({result.seconds:.0f} s)")
    width = max(len(f.label) for f in result.figures)
    for f in result.figures:
        goal = f"<= {f.goal:g}{'' if f.unit == 'x' else ' '}{f.unit}" if f.goal is not None else ""
        extra = f"  ({f.note})" if f.note else ""
        print(f"  {f.label:<{width}}  {_value(f.value, f.unit):>10}  {goal:>10}  {f.status:<4}{extra}")
    if result.info:
        print("  " + ", ".join(f"{k}={v}" for k, v in result.info.items() if not isinstance(v, (dict, list))))


def main(argv: list[str]) -> int:
    names = list(BENCHMARKS) if argv == ["all"] else argv or list(DEFAULT)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    machine = machine_info()
    print("machine: " + ", ".join(f"{k}={v}" for k, v in machine.items()))
    report: dict = {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "revision": git_revision(),
        "machine": machine,
        "benchmarks": {},
        "errors": {},
    }
    for name in names:
        print(f"\nrunning {name} ...", flush=True)
        start, cpu = time.perf_counter(), _cpu_seconds()
        try:
            result: Result = importlib.import_module(f"bench.{name}").run()
        except Exception as err:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            report["errors"][name] = f"{type(err).__name__}: {err}"
            print(f"{name} failed: {type(err).__name__}: {err}", file=sys.stderr)
            continue
        result.seconds = time.perf_counter() - start
        result.info["other_load_cores"] = other_load(cpu, _cpu_seconds(), result.seconds)
        report["benchmarks"][name] = result.to_dict()
        print_table(result)
    report["machine"]["load_avg_1m_end"] = machine_info()["load_avg_1m"]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(REPO)}")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

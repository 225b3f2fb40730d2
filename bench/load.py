"""Many people at once on one web app: 50 concurrent sessions through `gradio_client`, 5 turns each.

The app runs as users run it (`python app.py`, the real embedder and scorer, on loopback) in a
throwaway data dir. First one user alone: the turn latency to compare against. Then SESSIONS
clients at once, each its own browser session (a `gradio_client.Client` has its own session hash,
so its own `gr.State`), each starting an interview and answering TURNS times with answers that
carry a marker of their own. Counted: errors (goal 0), mix-ups — a chat that shows another
session's marker or lacks its own (goal 0) — and the p50/p95 turn latency as a ratio to the
single user. The app answers one LLM-queue event at a time (one model), so under load a turn
waits for the others: the ratio says how long.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from coach.config import REPO_ROOT

from .common import Result, coach_command, pct, ratio, subprocess_env, temp_data_dir

NAME = "load"
SESSIONS = 50
TURNS = 5
PANELS = ("system-design", "behavioral", "leadership", "coding", "cross-functional", "architecture-deep-dive", "bar-raiser")
ANSWER = ("I would start from the read/write mix: about 20k writes per second at peak and 200k reads, with a p99 "
          "latency SLO of 200 ms. I would shard by user id and accept eventual consistency for the feed, stated "
          "explicitly. For failures we add timeouts, retry budgets and load shedding, and alert on burn rate. "
          "We roll out behind a feature flag with a canary. Marker {marker}.")
_MARKER = re.compile(r"Marker (s\d+t\d+)\.")
STARTUP_S = 240
CALL_TIMEOUT_S = 900


def _serve(data: Path, port: int):
    from coach.testing import serve

    env = subprocess_env(data) | {"COACH_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    return serve([sys.executable, "app.py"], f"http://127.0.0.1:{port}/", data / "app.log", STARTUP_S, cwd=REPO_ROOT, env=env)


def _texts(chat) -> str:
    """The words of every message of a chat value, however the client returns message content."""
    out = []
    for message in chat or []:
        content = message.get("content") if isinstance(message, dict) else message
        parts = content if isinstance(content, list) else [content]
        out += [p.get("text", "") if isinstance(p, dict) else str(p) for p in parts]
    return "\n".join(out)


def _one_session(url: str, n: int) -> dict:
    """Start an interview and answer TURNS times; returns latencies, errors and mix-ups seen."""
    from gradio_client import Client

    report = {"latencies": [], "errors": [], "mixups": 0, "start_s": None}
    try:
        # A person waits for a page under load; the client's own 20 s default would count a slow
        # answer as an error, so it waits as long as the benchmark does.
        started = time.perf_counter()
        client = Client(url, verbose=False, analytics_enabled=False, httpx_kwargs={"timeout": CALL_TIMEOUT_S})
        client.predict(PANELS[n % len(PANELS)], "staff", TURNS, 0, n, "", api_name="/start")
        report["start_s"] = time.perf_counter() - started
    except Exception as err:  # counted, not raised: the figure is how many calls failed
        report["errors"].append(f"start: {type(err).__name__}: {err}")
        return report
    mine: set[str] = set()
    for turn in range(TURNS):
        marker = f"s{n}t{turn}"
        mine.add(marker)
        started = time.perf_counter()
        try:
            out = client.predict(ANSWER.format(marker=marker), api_name="/answer")
        except Exception as err:
            report["errors"].append(f"answer {turn}: {type(err).__name__}: {err}")
            continue
        report["latencies"].append(time.perf_counter() - started)
        seen = set(_MARKER.findall(_texts(out[0])))
        if seen != mine:  # someone else's answer in this chat, or one of ours missing
            report["mixups"] += 1
    return report


def run() -> Result:
    from coach.testing import free_port

    result = Result(NAME)
    with temp_data_dir() as data:
        subprocess.run([*coach_command(), "index", "-q"], env=subprocess_env(data), check=True, cwd=REPO_ROOT)
        port = free_port()
        with _serve(data, port):
            url = f"http://127.0.0.1:{port}/"
            alone = _one_session(url, 0)  # also warms the models up
            alone = _one_session(url, 1)
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
                reports = list(pool.map(lambda n: _one_session(url, n), range(100, 100 + SESSIONS), timeout=CALL_TIMEOUT_S))
            wall = time.perf_counter() - started
    latencies = list(itertools.chain.from_iterable(r["latencies"] for r in reports))
    errors = [e for r in reports for e in r["errors"]]
    single50, single95 = pct(alone["latencies"], 50), pct(alone["latencies"], 95)
    result.add("errors", f"errors over {SESSIONS} sessions x {TURNS} turns", len(errors), "", goal=0)
    result.add("mixups", "turns whose chat showed another session's answer or lost its own", sum(r["mixups"] for r in reports), "", goal=0)
    result.add("single_p50", "one user: turn p50", single50 * 1000, "ms")
    result.add("single_p95", "one user: turn p95", single95 * 1000, "ms")
    if latencies:
        result.add("load_p50", f"{SESSIONS} users: turn p50", pct(latencies, 50) * 1000, "ms")
        result.add("load_p95", f"{SESSIONS} users: turn p95", pct(latencies, 95) * 1000, "ms")
        result.add("p50_ratio", "p50 under load / alone", ratio(pct(latencies, 50), single50), "x")
        result.add("p95_ratio", "p95 under load / alone", ratio(pct(latencies, 95), single95), "x")
    result.add("throughput", "answers scored per second under load", len(latencies) / wall if wall else None, "/s")
    starts = [r["start_s"] for r in reports if r["start_s"] is not None]
    if starts:
        result.add("start_p95", f"{SESSIONS} users: connect + first question p95", pct(starts, 95) * 1000, "ms")
    result.info.update(sessions=SESSIONS, turns=TURNS, wall_s=round(wall, 1), first_errors=errors[:3])
    return result

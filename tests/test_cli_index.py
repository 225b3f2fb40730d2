"""`coach config`, `coach index` and `coach retrieve` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def _coach(*args: str, data_dir) -> subprocess.CompletedProcess:
    env = dict(os.environ, COACH_DATA_DIR=str(data_dir))
    return subprocess.run([sys.executable, "-m", "coach", *args], capture_output=True, text=True, env=env, timeout=300)


def test_config_prints_effective_settings(tmp_path):
    out = _coach("config", "--json", data_dir=tmp_path / "cfg")
    assert out.returncode == 0
    cfg = json.loads(out.stdout)
    assert cfg["data_dir"] == str(tmp_path / "cfg") and cfg["backend"] == "embedded"
    assert cfg["model_path"].endswith(".gguf") and cfg["seed"] == 7  # the bundled model when unset, never None
    assert not (tmp_path / "cfg").exists()  # printing the settings creates nothing


@pytest.mark.slow
def test_retrieve_json_and_errors(built_settings, tmp_path):
    out = _coach("retrieve", "what goes in a postmortem timeline", "--panel", "leadership", "-k", "3", "--json", data_dir=built_settings.data_dir)
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)
    assert len(hits) == 3 and {"id", "section", "kind", "score", "text"} <= set(hits[0])

    bad = _coach("retrieve", "anything", "--panel", "systems", data_dir=built_settings.data_dir)
    assert bad.returncode == 2 and "system-design" in bad.stderr

    missing = _coach("retrieve", "anything", data_dir=tmp_path / "nothing-here")
    assert missing.returncode != 0 and "coach index" in missing.stderr
    # A wrong panel is named even before there is an index.
    bad_first = _coach("retrieve", "anything", "--panel", "systems", data_dir=tmp_path / "nothing-here")
    assert bad_first.returncode == 2 and "system-design" in bad_first.stderr


@pytest.mark.slow
def test_index_twice_embeds_nothing_the_second_time(tmp_path):
    first = _coach("index", "-q", data_dir=tmp_path / "d")
    assert first.returncode == 0 and "added" in first.stdout, first.stderr
    second = _coach("index", "-q", data_dir=tmp_path / "d")
    assert second.returncode == 0 and "up to date" in second.stdout and "0 added" in second.stdout


@pytest.mark.parametrize("args, says", [(["eval", "--bogus"], "No such option: --bogus"),
                                        (["score", "--panel", "behavioral"], "Missing option"),
                                        (["drill", "-n", "many"], "Invalid value")])
def test_a_usage_error_prints_usage_not_a_traceback(tmp_path, args, says):
    out = _coach(*args, data_dir=tmp_path / "usage")
    assert out.returncode == 2, out.stderr
    assert says in out.stderr and "Usage:" in out.stderr and "--help" in out.stderr
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout

"""Shared by the failing-part tests: a read-only directory, a small disk that can be filled, the CLI
run in-process, and the web app's handlers run to their last frame."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), capture_output=True, text=True)


@contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """`directory` read-only while the block runs. Root writes through file modes, so as root it is
    bind-mounted read-only onto itself; where that is not allowed the test is skipped."""
    if os.geteuid() != 0:
        paths = [directory, *directory.rglob("*")]
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(modes[p] & ~0o222)
        try:
            yield
        finally:
            for p in reversed(paths):
                p.chmod(modes[p])
        return
    bind = _run("mount", "--bind", str(directory), str(directory))
    if bind.returncode:
        pytest.skip(f"cannot make a read-only mount here (root without mount rights): {bind.stderr.strip()}")
    try:
        ro = _run("mount", "-o", "remount,ro,bind", str(directory))
        if ro.returncode:
            pytest.skip(f"cannot remount read-only here: {ro.stderr.strip()}")
        yield
    finally:
        _run("umount", "-l", str(directory))


@contextmanager
def small_disk(where: Path, size_mb: int) -> Iterator[Path]:
    """A tmpfs of `size_mb` MB mounted at `where`; skipped where the test may not mount one."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("a full disk needs a small tmpfs, and mounting one needs root")
    done = _run("mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(where))
    if done.returncode:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        _run("umount", "-l", str(where))


def fill(directory: Path) -> Path:
    """Write a file into `directory` until the disk has no space left; returns it (delete to free)."""
    filler = directory / "filler"
    block = b"\0" * (64 * 1024)
    with filler.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(block)
        except OSError as err:
            assert err.errno == errno.ENOSPC, err
    with filler.open("ab", buffering=0) as f:  # the last partial block too
        try:
            while True:
                f.write(b"\0")
        except OSError:
            pass
    return filler



def last(frames) -> tuple:
    """Run a handler that yields (streams) to its end; its last frame."""
    out = None
    for out in frames:
        pass
    return out

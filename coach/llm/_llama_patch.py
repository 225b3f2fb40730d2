"""Work around llama.cpp's AMX weight repacking, which crashes on some CPUs.

A llama-cpp-python build compiled natively on a CPU with AMX (Sapphire Rapids and later) repacks
Q4_K weights into an AMX buffer at load time, and the first forward pass then segfaults inside
`ggml_backend_amx_mul_mat` (ggml-org/llama.cpp#20824; seen here with Gemma 3 270M Q4_K_M). A
segfault kills the whole process, so no Python error handling can catch it.

llama.cpp has a model parameter to skip "extra buffer types" (the repacked layouts), but
llama-cpp-python's `Llama` does not expose it, so we set it on the default model parameters
that `Llama.__init__` starts from. Only CPUs that report AMX are affected; elsewhere the
repacked fast paths stay on. COACH_LLAMA_REPACK=on|off overrides the detection.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

_PATCH_LOCK = threading.Lock()


def cpu_has_amx() -> bool:
    """True when the CPU advertises AMX tiles (Linux; elsewhere assume not)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="ignore")
    except OSError:
        return False
    return "amx_tile" in flags or "amx_int8" in flags


def repack_allowed(mode: str = "auto") -> bool:
    """COACH_LLAMA_REPACK: "on"/"off" force it; "auto" allows repacking unless the CPU has AMX."""
    if mode in {"on", "off"}:
        return mode == "on"
    return not cpu_has_amx()


def _install() -> object | None:
    """Replace llama.cpp's default model params with ones that skip repacking; return the original."""
    import llama_cpp.llama as llama_module

    api = llama_module.llama_cpp
    original = api.llama_model_default_params
    if getattr(original, "_coach_no_extra_bufts", False):
        return None

    def no_extra_buffers():
        params = original()
        params.use_extra_bufts = False
        return params

    no_extra_buffers._coach_no_extra_bufts = True  # type: ignore[attr-defined]
    api.llama_model_default_params = no_extra_buffers
    return original


@contextlib.contextmanager
def safe_model_params(mode: str = "auto") -> Iterator[None]:
    """Around a `Llama(...)` call: skip weight repacking while it loads, unless allowed."""
    if repack_allowed(mode):
        yield
        return
    import llama_cpp.llama as llama_module

    with _PATCH_LOCK:
        original = _install()
        try:
            yield
        finally:
            if original is not None:
                llama_module.llama_cpp.llama_model_default_params = original


def patch_process(mode: str = "auto") -> None:
    """For a process that only serves a model (see coach.llm.server): patch once, for good."""
    if not repack_allowed(mode):
        _install()

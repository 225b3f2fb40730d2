"""Serve a GGUF model over an OpenAI-compatible HTTP API, for COACH_BACKEND=openai.

    python -m coach.llm.server [--model PATH] --host 127.0.0.1 --port 8000 [--n_ctx 2048]

This is llama-cpp-python's own server (`python -m llama_cpp.server`, same arguments) with two
additions: `--model` defaults to the bundled Gemma 3 270M, and the AMX repacking crash is
avoided (see llama_patch). Point the coach at it with
COACH_BACKEND=openai COACH_OPENAI_STYLE=completion COACH_OPENAI_BASE_URL=http://127.0.0.1:8000/v1.
"""

from __future__ import annotations

import sys

from coach.config import Settings
from coach.llm.embedded import configure_openmp, resolve_model_path
from coach.llm._llama_patch import patch_process


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    settings = Settings()  # an entry point of its own: the COACH_* environment, read once
    if "--model" not in args and not any(a.startswith("--model=") for a in args):
        args = ["--model", str(resolve_model_path(settings)), *args]
    configure_openmp()
    patch_process(settings.llama_repack)
    from llama_cpp.server.__main__ import main as serve

    sys.argv = [sys.argv[0], *args]  # llama_cpp.server parses sys.argv itself
    serve()


if __name__ == "__main__":
    main()

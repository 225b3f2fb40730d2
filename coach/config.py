"""The one settings object. Every knob is an environment variable prefixed `COACH_`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from coach.errors import UserInputError

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "staff-coach"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COACH_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir, description="index, sessions, caches")
    corpus_dir: Path = Field(default=REPO_ROOT / "corpus", description="compendium, panels, cases")
    prompts_dir: Path = Field(default=REPO_ROOT / "prompts", description="prompt templates")
    evals_dir: Path = Field(default=REPO_ROOT / "evals", description="eval fixtures and baselines")

    backend: str = Field(default="embedded", description="embedded, openai, ollama (or a registered backend)")
    model_path: Path | None = Field(
        default=None, description="GGUF file for the embedded backend; default: the bundled Gemma 3 270M"
    )
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_model: str = "gemma-3-270m"
    openai_api_key: str = "none"
    openai_style: Literal["completion", "chat"] = Field(
        default="chat", description="'completion' for base models (e.g. Gemma 270M behind llama.cpp)"
    )
    ollama_base_url: str = "http://127.0.0.1:11434"
    ollama_model: str = "llama3.2"
    ollama_style: Literal["completion", "chat"] = "chat"
    llm_timeout_s: float = 60.0  # per read: connecting, and each piece of a reply
    llm_reply_timeout_s: float = Field(default=180.0, gt=0, description="a whole streamed reply from a server")
    llm_threads: int = Field(default=2, ge=1)
    llama_repack: Literal["auto", "on", "off"] = Field(
        default="auto", description="llama.cpp weight repacking; 'auto' turns it off on AMX CPUs, where it crashes"
    )
    rewrite: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="let the LLM rewrite composed questions and follow-ups behind a gate; 'auto': only instruct (chat) backends",
    )
    redact: Literal["on", "off"] = Field(
        default="off",
        description="redact e-mails, phone numbers, URLs and the names in redact_names_file before every call to a remote backend",
    )
    redact_names_file: Path | None = Field(
        default=None, description="names to redact for a remote backend (employers, customers, colleagues), one per line"
    )
    llm_cache: Literal["off", "replay", "record"] = Field(
        default="off", description="record/replay every LLM call in cache_dir/llm.sqlite3"
    )

    scorer: Literal["evidence", "judge", "combined"] = Field(
        default="evidence",
        description="'judge' and 'combined' ask an instruction-following LLM (COACH_BACKEND=openai or ollama)",
    )
    judge_structured_output: bool = Field(
        default=True, description="send the judge's reply schema to the backend, for constrained decoding"
    )

    chroma_url: str | None = Field(default=None, description="http://host:port of a Chroma server")
    collection: str = "staff-coach"
    embedding_model: str = Field(
        default="bundled:all-MiniLM-L6-v2",
        description="'bundled:all-MiniLM-L6-v2' or a local sentence-transformers directory",
    )
    embedding_runtime: Literal["onnx", "torch"] = Field(
        default="onnx", description="what runs the embedding model: ONNX Runtime (same vectors, faster) or torch"
    )
    chunk_size: int = Field(default=900, ge=200, description="max characters per compendium chunk")
    chunk_overlap: int = Field(default=0, ge=0)

    seed: int = 7
    host: str = Field(default="127.0.0.1", description="where the web app listens")
    port: int = Field(default=7860, description="web app port")
    auth: str | None = Field(
        default=None, description="'user:password' the web app asks for; required on any address but loopback"
    )

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def sessions_db(self) -> Path:
        return self.data_dir / "sessions.sqlite3"



def load_settings(**overrides: object) -> Settings:
    """Settings from the COACH_* environment with `overrides` on top; a bad value is an error that
    names the variable, the value and the reason, never a validation traceback."""
    try:
        return Settings(**overrides)
    except ValidationError as err:
        bad = []
        for e in err.errors():
            name = str(e["loc"][0]) if e["loc"] else "?"
            value = str(e.get("input"))
            shown = value if len(value) <= 60 else value[:57] + "..."
            source = " (from a command-line flag)" if name in overrides else ""
            bad.append(f"COACH_{name.upper()}={shown!r}{source}: {e['msg']}")
        names = ", ".join(f"COACH_{str(e['loc'][0]).upper()}" for e in err.errors() if e["loc"])
        raise UserInputError("Invalid setting: " + "; ".join(bad) + ".",
                             f"Fix or unset {names} (every setting and its allowed values: `coach config --help` and the README).") from None

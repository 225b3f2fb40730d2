"""LLM backends: embedded (llama.cpp in-process), openai (any OpenAI-compatible server), ollama.

Every backend, the built-in ones included, is registered the same way: a name and a factory that
takes the settings (`register_backend`; the test suite registers its fake through the same call).
Factories import lazily, so `import coach.llm` stays cheap and a missing optional library only
matters to the backend that needs it. Only the composition root (`coach.root.Coach`) creates
backends; everything below it receives one.
"""

from __future__ import annotations

from collections.abc import Callable

from coach.config import Settings
from coach.errors import unknown_choice
from coach.llm.base import BackendWrapper, Generation, LLMBackend, Message, RenderedPrompt, Sampling, Style

Factory = Callable[[Settings], LLMBackend]


def _embedded(settings: Settings) -> LLMBackend:
    from coach.llm.embedded import EmbeddedBackend

    return EmbeddedBackend(settings)


def _openai(settings: Settings) -> LLMBackend:
    from coach.llm.openai_backend import OpenAIBackend

    return OpenAIBackend(settings)


def _ollama(settings: Settings) -> LLMBackend:
    from coach.llm.ollama_backend import OllamaBackend

    return OllamaBackend(settings)


BACKENDS: dict[str, Factory] = {
    "embedded": _embedded,
    "openai": _openai,
    "ollama": _ollama,
}


def register_backend(name: str, factory: Factory) -> None:
    """Make `name` a valid COACH_BACKEND (a plugin, or a test double)."""
    BACKENDS[name] = factory


def check_backend_name(name: str) -> str:
    if name not in BACKENDS:
        raise unknown_choice("LLM backend", name, tuple(BACKENDS))
    return name


def create_backend(settings: Settings, name: str | None = None) -> LLMBackend:
    """A new backend named by `name` or settings.backend. A remote one is guarded (audit log, and
    redaction when asked: `coach.llm.privacy`); the record/replay cache, when settings.llm_cache is
    not "off", sits outside, so a replayed call sends nothing and logs nothing."""
    from coach.llm.privacy import guard

    backend = BACKENDS[check_backend_name(name or settings.backend)](settings)
    backend = guard(backend, settings.data_dir, settings.redact == "on", settings.redact_names_file)
    if settings.llm_cache != "off":
        from coach.llm.cache import CachedBackend

        backend = CachedBackend(backend, settings.cache_dir / "llm.sqlite3", mode=settings.llm_cache)
    return backend


__all__ = [
    "BACKENDS",
    "BackendWrapper",
    "Generation",
    "LLMBackend",
    "Message",
    "RenderedPrompt",
    "Sampling",
    "Style",
    "check_backend_name",
    "create_backend",
    "register_backend",
]

"""LLM backends: embedded (llama.cpp in-process), openai (any OpenAI-compatible server), ollama.

Every backend, the built-in one included, is registered the same way: a name and a factory that
takes the settings. Factories import lazily, so `import coach.llm` stays cheap and a missing
optional library only matters to the backend that needs it.
"""

from __future__ import annotations

from collections.abc import Callable

from ..config import Settings, get_settings
from ..errors import unknown_choice
from .base import Generation, LLMBackend, Message, RenderedPrompt, Sampling, Style


def _embedded(settings: Settings) -> LLMBackend:
    from .embedded import EmbeddedBackend

    return EmbeddedBackend(settings)


def _openai(settings: Settings) -> LLMBackend:
    from .openai_backend import OpenAIBackend

    return OpenAIBackend(settings)


def _ollama(settings: Settings) -> LLMBackend:
    from .ollama_backend import OllamaBackend

    return OllamaBackend(settings)


BACKENDS: dict[str, Callable[[Settings], LLMBackend]] = {
    "embedded": _embedded,
    "openai": _openai,
    "ollama": _ollama,
}


def get_backend(settings: Settings | None = None, name: str | None = None) -> LLMBackend:
    """The backend named by `name` or settings.backend, wrapped in the record/replay cache when
    settings.llm_cache is not "off"."""
    settings = settings or get_settings()
    name = name or settings.backend
    if name not in BACKENDS:
        raise unknown_choice("LLM backend", name, tuple(BACKENDS))
    backend = BACKENDS[name](settings)
    if settings.llm_cache != "off":
        from .cache import CachedBackend

        backend = CachedBackend(backend, mode=settings.llm_cache, settings=settings)
    return backend


__all__ = [
    "BACKENDS",
    "Generation",
    "LLMBackend",
    "Message",
    "RenderedPrompt",
    "Sampling",
    "Style",
    "get_backend",
]

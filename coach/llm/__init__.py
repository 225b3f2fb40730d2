"""LLM backends: embedded (llama.cpp in-process), openai (any OpenAI-compatible server), ollama."""

from .base import Generation, LLMBackend, Message, RenderedPrompt, Sampling, Style

__all__ = ["Generation", "LLMBackend", "Message", "RenderedPrompt", "Sampling", "Style"]

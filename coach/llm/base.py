"""The one small interface every LLM backend implements.

A backend turns a rendered prompt into text. It says whether it is a base (completion) model or an
instruct (chat) model, so callers pick the matching prompt form; everything about *what* to ask
lives in `prompts/` and in the modules that use a backend.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

from coach.errors import EmptyOutputError, PromptError

Style = Literal["completion", "chat"]


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 96
    seed: int = 0
    stop: tuple[str, ...] = ()
    # Strings that end the reply and are kept, e.g. a question ends at its "?". Every backend's
    # reply is cut after the first one; the embedded backend also stops decoding there.
    stop_after: tuple[str, ...] = ()
    # A JSON Schema (as JSON text) the reply must follow. Backends that can constrain decoding pass
    # it on; the caller validates the reply either way, since not every server honours it.
    json_schema: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class RenderedPrompt:
    """What a backend receives: the text (completion) or messages (chat), plus provenance."""

    prompt_id: str
    prompt_hash: str
    style: Style
    text: str = ""
    messages: tuple[Message, ...] = ()
    # The start of `text` that is the same for every rendering of the prompt (the template up to
    # its first placeholder): a backend may evaluate it once and reuse that work.
    head: str = ""

    def cache_text(self) -> str:
        if self.style == "completion":
            return self.text
        return "\n".join(f"<{m.role}>{m.content}" for m in self.messages)


@dataclass
class Generation:
    text: str
    backend: str
    model: str
    prompt_id: str
    prompt_hash: str
    sampling: Sampling
    cached: bool = False
    seconds: float = 0.0
    tokens: int = 0
    meta: dict = field(default_factory=dict)


class LLMBackend(ABC):
    """Implement `_generate`; `generate` adds provenance. Backends are cheap to create except
    the embedded one, which loads its model once per process and is shared."""

    name: str = "base"
    style: Style = "completion"
    # True when generate_many decodes its prompts together, so one output can depend on the
    # others in the batch (the record/replay cache then keys by the whole batch).
    joint_batches: bool = False
    in_process: bool = False  # runs inside this process: nothing it is given leaves the machine

    @property
    @abstractmethod
    def model(self) -> str:
        """Model identity: the GGUF file's sha256 for the embedded backend, the model name otherwise."""

    @property
    def endpoint(self) -> str:
        return "in-process"

    def describe(self) -> str:
        """Who is talking, for error messages: backend, model and where it runs."""
        return f"{self.name} backend (model {self.model!r} at {self.endpoint})"

    @abstractmethod
    def _generate(self, prompt: RenderedPrompt, sampling: Sampling) -> tuple[str, int]:
        """Return (text, completion_tokens). Raise `BackendError` on any failure; never invent text."""

    def prepare(self, prompt: RenderedPrompt) -> None:
        """Work done once per process for a prompt before its first call (warm-up); none by default."""

    def generate(self, prompt: RenderedPrompt, sampling: Sampling, repeat: int = 0) -> Generation:
        """`repeat` only matters to the record/replay cache (several draws with one seed); plain
        backends accept it so callers need not know whether a cache sits in between."""
        check_style(self, prompt)
        started = time.perf_counter()
        text, tokens = self._generate(prompt, sampling)
        result = self._result(prompt, sampling, text, tokens, time.perf_counter() - started, repeat)
        if isinstance(result, EmptyOutputError):
            raise result
        return result

    def _generate_many(self, prompts: Sequence[RenderedPrompt], samplings: Sequence[Sampling]) -> list[tuple[str, int]]:
        """Backends that can decode several prompts side by side override this."""
        return [self._generate(p, s) for p, s in zip(prompts, samplings)]

    def generate_many(
        self, prompts: Sequence[RenderedPrompt], samplings: Sequence[Sampling], repeat: int = 0
    ) -> list[Generation | EmptyOutputError]:
        """Best-of-N in one call. A blank reply comes back as an EmptyOutputError in its slot, so
        one bad draw does not lose the others; any other failure raises. `seconds` on each
        Generation is the whole call's time."""
        if len(prompts) != len(samplings):
            raise ValueError("generate_many needs one Sampling per prompt")
        for prompt in prompts:
            check_style(self, prompt)
        started = time.perf_counter()
        outputs = self._generate_many(prompts, samplings)
        seconds = time.perf_counter() - started
        return [
            self._result(p, s, text, tokens, seconds, repeat, batch=len(prompts))
            for p, s, (text, tokens) in zip(prompts, samplings, outputs)
        ]

    def _result(
        self, prompt: RenderedPrompt, sampling: Sampling, text: str, tokens: int, seconds: float, repeat: int, batch: int = 1
    ) -> Generation | EmptyOutputError:
        text = cut_after(text, sampling.stop_after)
        if not text.strip():
            # A blank reply is a failure the caller must see, not an empty question or score.
            return EmptyOutputError(
                f"The {self.describe()} returned empty output for prompt {prompt.prompt_id!r} "
                f"(seed {sampling.seed}, max_tokens {sampling.max_tokens}, stop {list(sampling.stop)}).",
                "Retry with another seed, raise max_tokens, or check that the prompt ends where the model "
                "should continue.",
            )
        meta = {"repeat": repeat} if repeat else {}
        if batch > 1:
            meta["batch"] = batch
        return Generation(
            text=text,
            backend=self.name,
            model=self.model,
            prompt_id=prompt.prompt_id,
            prompt_hash=prompt.prompt_hash,
            sampling=sampling,
            seconds=seconds,
            tokens=tokens,
            meta=meta,
        )



class BackendWrapper(LLMBackend):
    """A backend that adds behaviour around another one (record/replay, a fixed repeat index) and is
    otherwise that backend: same name, style, model and endpoint. It calls the inner backend only
    through its public `generate`/`generate_many`, so whatever the inner one adds stays in force."""

    def __init__(self, inner: LLMBackend):
        self.inner = inner
        self.name = inner.name
        self.style = inner.style
        self.joint_batches = inner.joint_batches
        self.in_process = inner.in_process

    @property
    def model(self) -> str:
        return self.inner.model

    @property
    def endpoint(self) -> str:
        return self.inner.endpoint

    def _generate(self, prompt: RenderedPrompt, sampling: Sampling) -> tuple[str, int]:
        gen = self.inner.generate(prompt, sampling)
        return gen.text, gen.tokens

    def generate(self, prompt: RenderedPrompt, sampling: Sampling, repeat: int = 0) -> Generation:
        return self.inner.generate(prompt, sampling, repeat=repeat)

    def prepare(self, prompt: RenderedPrompt) -> None:
        self.inner.prepare(prompt)

    def generate_many(
        self, prompts: Sequence[RenderedPrompt], samplings: Sequence[Sampling], repeat: int = 0
    ) -> list[Generation | EmptyOutputError]:
        return self.inner.generate_many(prompts, samplings, repeat=repeat)


class Repeat(BackendWrapper):
    """The inner backend with a fixed repeat index, so each repeat of an eval is its own sample in
    the record/replay cache."""

    def __init__(self, inner: LLMBackend, repeat: int):
        super().__init__(inner)
        self.repeat = repeat

    def generate(self, prompt: RenderedPrompt, sampling: Sampling, repeat: int = 0) -> Generation:
        return self.inner.generate(prompt, sampling, repeat=self.repeat)

    def generate_many(
        self, prompts: Sequence[RenderedPrompt], samplings: Sequence[Sampling], repeat: int = 0
    ) -> list[Generation | EmptyOutputError]:
        return self.inner.generate_many(prompts, samplings, repeat=self.repeat)

def cut_after(text: str, ends: Sequence[str]) -> str:
    """`text` up to and including the first of `ends` in it."""
    found = [i + len(end) for end in ends if end and (i := text.find(end)) >= 0]
    return text[: min(found)] if found else text


def check_style(backend: LLMBackend, prompt: RenderedPrompt) -> None:
    # A base model fed chat messages (or the reverse) produces fluent garbage, so refuse early.
    if prompt.style != backend.style:
        raise PromptError(
            f"Prompt {prompt.prompt_id!r} is in {prompt.style} form but the {backend.name} backend "
            f"expects {backend.style} prompts.",
            f"Render the {backend.style} form ({prompt.prompt_id}.{backend.style}.md), e.g. coach.prompt({prompt.prompt_id!r}, {backend.style!r}).",
        )

"""A local Ollama server via langchain-ollama: OllamaLLM (raw completion) or ChatOllama.

Sampling differs per call (seed, temperature, max tokens), and langchain-ollama takes those as
model fields, so a fresh, cheap model object is built per call. The ollama client has no retries
of its own; connection failures and timeouts are retried here, at most MAX_RETRIES times, through
the same bounded, logged loop as every server call (`coach.retrying`).
"""

from __future__ import annotations

import json
import logging

from coach.config import Settings
from coach.errors import BackendError
from coach.llm import streaming
from coach.llm.base import LLMBackend, RenderedPrompt, Sampling, Style
from coach.retrying import bounded

MAX_RETRIES = 2
_BACKOFF_S = 0.5
log = logging.getLogger("coach.llm")


class OllamaBackend(LLMBackend):
    name = "ollama"

    def __init__(self, settings: Settings, style: Style | None = None):
        self.settings = settings
        self.style = style or self.settings.ollama_style
        self.base_url = self.settings.ollama_base_url.rstrip("/")
        self._model = self.settings.ollama_model

    @property
    def model(self) -> str:
        return self._model

    @property
    def endpoint(self) -> str:
        return self.base_url

    def _build(self, sampling: Sampling):
        fields = dict(
            model=self._model,
            base_url=self.base_url,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            num_predict=sampling.max_tokens,
            seed=sampling.seed,
            stop=list(sampling.stop) or None,
            num_thread=self.settings.llm_threads,
            client_kwargs={"timeout": self.settings.llm_timeout_s},
            cache=False,
        )
        if sampling.json_schema:
            # The raw-completion client only knows plain JSON mode; chat takes the schema itself.
            fields["format"] = "json" if self.style == "completion" else json.loads(sampling.json_schema)
        if self.style == "completion":
            from langchain_ollama import OllamaLLM

            # raw=True: send the text as is, without the model's chat template around it.
            return OllamaLLM(**fields), {"raw": True}
        from langchain_ollama import ChatOllama

        return ChatOllama(**fields), {}

    def _once(self, prompt: RenderedPrompt, sampling: Sampling) -> tuple[str, int]:
        llm, extra = self._build(sampling)
        if sink := streaming.active():
            source = prompt.text if self.style == "completion" else [(m.role, m.content) for m in prompt.messages]
            pieces = (c if isinstance(c, str) else str(c.content) for c in llm.stream(source, **extra))
            return streaming.relay(pieces, sink, prompt.prompt_id, self.settings.llm_reply_timeout_s, self.describe())
        if self.style == "completion":
            result = llm.generate([prompt.text], **extra)
            gen = result.generations[0][0]
            return gen.text, int((gen.generation_info or {}).get("eval_count") or 0)
        reply = llm.invoke([(m.role, m.content) for m in prompt.messages])
        tokens = (reply.usage_metadata or {}).get("output_tokens", 0)
        return str(reply.content), int(tokens)

    def _generate(self, prompt: RenderedPrompt, sampling: Sampling) -> tuple[str, int]:
        import httpx
        from ollama import ResponseError

        # Refused connections and timeouts may be a server still starting: retry a little.
        transient = (ConnectionError, httpx.TransportError)
        try:
            return bounded(lambda: self._once(prompt, sampling), retry_on=lambda err: isinstance(err, transient),
                           attempts=MAX_RETRIES + 1, what=f"{self.describe()}, prompt {prompt.prompt_id!r}", log=log,
                           backoff_s=_BACKOFF_S)
        except transient as err:
            raise self._unreachable(err) from err
        except ResponseError as err:
            hint = (
                f"Pull the model with `ollama pull {self._model}` or fix COACH_OLLAMA_MODEL."
                if err.status_code == 404
                else "Check `ollama serve`'s log, or set COACH_BACKEND=embedded."
            )
            raise BackendError(f"The {self.describe()} answered HTTP {err.status_code}: {err.error}", hint) from err

    def _unreachable(self, err: Exception) -> BackendError:
        import httpx

        what = (
            f"timed out after {self.settings.llm_timeout_s:g} s"
            if isinstance(err, httpx.TimeoutException)
            else "is unreachable"
        )
        return BackendError(
            f"The {self.describe()} {what} ({MAX_RETRIES + 1} attempts): {type(err).__name__}.",
            "Start it with `ollama serve` (and `ollama pull " + self._model + "`), fix COACH_OLLAMA_BASE_URL, "
            "or set COACH_BACKEND=embedded.",
        )

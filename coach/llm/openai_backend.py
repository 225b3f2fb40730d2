"""Any OpenAI-compatible server (llama.cpp, vLLM, LM Studio, OpenAI itself) via langchain-openai.

Two forms, chosen by COACH_OPENAI_STYLE: "completion" uses the /v1/completions endpoint (what a
base model such as the bundled Gemma needs), "chat" uses /v1/chat/completions. Retries are
bounded and logged (`coach.retrying`: connection errors, timeouts, a connection dropped mid-reply,
429 and 5xx), so a dead server fails in seconds rather than hanging a mock interview; the openai
client's own retries are off, so there is one loop to read in the log.
"""

from __future__ import annotations

import json
import logging
import os
from urllib.parse import urlparse

from coach.config import Settings
from coach.errors import BackendError
from coach.llm import streaming
from coach.llm.base import LLMBackend, RenderedPrompt, Sampling, Style
from coach.retrying import bounded

MAX_RETRIES = 2
log = logging.getLogger("coach.llm")


def _api_key(settings: Settings) -> str:
    # An explicit COACH_OPENAI_API_KEY wins; otherwise the conventional OPENAI_API_KEY; local
    # servers ignore the key but the client insists on having one.
    if "openai_api_key" in settings.model_fields_set or settings.openai_api_key != "none":
        return settings.openai_api_key
    return os.environ.get("OPENAI_API_KEY") or settings.openai_api_key


class OpenAIBackend(LLMBackend):
    name = "openai"

    def __init__(self, settings: Settings, style: Style | None = None):
        self.settings = settings
        self.style = style or self.settings.openai_style
        self.base_url = self.settings.openai_base_url.rstrip("/")
        self._model = self.settings.openai_model
        self._client = None

    @property
    def model(self) -> str:
        return self._model

    @property
    def endpoint(self) -> str:
        return self.base_url

    def _build(self):
        common = dict(
            model=self._model,
            base_url=self.base_url,
            api_key=_api_key(self.settings),
            timeout=self.settings.llm_timeout_s,
            max_retries=0,  # retried in _generate, bounded and logged
            cache=False,  # the coach's own record/replay cache decides what is reused
        )
        if self.style == "completion":
            from langchain_openai import OpenAI

            return OpenAI(**common)
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(**common)

    @property
    def client(self):
        if self._client is None:
            self._client = self._build()
        return self._client

    def _generate(self, prompt: RenderedPrompt, sampling: Sampling) -> tuple[str, int]:
        import httpx
        import openai

        try:
            return bounded(lambda: self._once(prompt, sampling), retry_on=_transient, attempts=MAX_RETRIES + 1,
                           what=f"{self.describe()}, prompt {prompt.prompt_id!r}", log=log)
        except (openai.OpenAIError, httpx.HTTPError, ValueError) as err:
            # ValueError: langchain raises it for an error object inside a 200 response.
            raise self._explain(err) from err

    def _once(self, prompt: RenderedPrompt, sampling: Sampling) -> tuple[str, int]:
        params = dict(
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_tokens,
            seed=sampling.seed,
        )
        stop = list(sampling.stop) or None
        # In the request body rather than as langchain arguments: given `response_format`,
        # langchain switches to the client's parse() path, which raises on a truncated reply
        # instead of returning it for the caller to judge.
        extra = self._structured(sampling.json_schema)
        if self.style == "completion":
            if extra:
                params["extra_body"] = extra
            if sink := streaming.active():
                return streaming.relay(self.client.stream(prompt.text, stop=stop, **params), sink, prompt.prompt_id,
                                       self.settings.llm_reply_timeout_s, self.describe())
            result = self.client.generate([prompt.text], stop=stop, **params)
            text = result.generations[0][0].text
            usage = (result.llm_output or {}).get("token_usage", {})
            return text, int(usage.get("completion_tokens", 0))
        if urlparse(self.base_url).hostname != "api.openai.com":
            # langchain sends only `max_completion_tokens`, which several local servers
            # (llama-cpp-python among them) ignore; without `max_tokens` they run to n_ctx.
            extra["max_tokens"] = sampling.max_tokens
        if extra:
            params["extra_body"] = extra
        messages = [(m.role, m.content) for m in prompt.messages]
        if sink := streaming.active():
            pieces = (_content_text(chunk.content) for chunk in self.client.stream(messages, stop=stop, **params))
            return streaming.relay(pieces, sink, prompt.prompt_id, self.settings.llm_reply_timeout_s, self.describe())
        reply = self.client.invoke(messages, stop=stop, **params)
        tokens = (reply.usage_metadata or {}).get("output_tokens", 0)
        return _content_text(reply.content), int(tokens)

    def _structured(self, json_schema: str) -> dict:
        """Request parameters that constrain the reply to `json_schema`, in the dialect the server
        speaks. OpenAI itself takes `json_schema` response formats on chat only; llama.cpp servers
        take the schema inside a `json_object` response format on chat, and a GBNF grammar on the
        completions endpoint (which has no response format at all)."""
        if not json_schema:
            return {}
        schema = json.loads(json_schema)
        official = urlparse(self.base_url).hostname == "api.openai.com"
        if self.style == "chat":
            if official:
                return {"response_format": {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}}
            return {"response_format": {"type": "json_object", "schema": schema}}
        if official:
            return {}
        try:
            from llama_cpp.llama_grammar import json_schema_to_gbnf
        except ImportError:
            return {}
        return {"grammar": json_schema_to_gbnf(json_schema)}

    def _explain(self, err: Exception) -> BackendError:
        import openai

        who = f"The {self.describe()}"
        start = (
            f"Start an OpenAI-compatible server there (for the bundled model: `python -m coach.llm.server "
            f"--port {urlparse(self.base_url).port or 8000}`), fix COACH_OPENAI_BASE_URL, or set COACH_BACKEND=embedded."
        )
        tries = f"{MAX_RETRIES + 1} attempts"
        if isinstance(err, openai.APITimeoutError):
            return BackendError(
                f"{who} timed out after {self.settings.llm_timeout_s:g} s ({tries}).",
                "Check the server is not overloaded, raise COACH_LLM_TIMEOUT_S, or set COACH_BACKEND=embedded.",
            )
        if isinstance(err, openai.APIConnectionError):
            return BackendError(f"{who} is unreachable ({tries}): {err}", start)
        if isinstance(err, openai.APIStatusError):
            hints = {
                401: "Set COACH_OPENAI_API_KEY (or OPENAI_API_KEY) to a valid key.",
                403: "Set COACH_OPENAI_API_KEY (or OPENAI_API_KEY) to a key with access to this model.",
                404: "Check COACH_OPENAI_MODEL and that COACH_OPENAI_BASE_URL ends in /v1; for base models "
                "set COACH_OPENAI_STYLE=completion.",
            }
            hint = hints.get(err.status_code, "Check the server's log; retry later or set COACH_BACKEND=embedded.")
            return BackendError(f"{who} answered HTTP {err.status_code}: {_short(err)}", hint)
        return BackendError(f"{who} failed: {type(err).__name__}: {_short(err)}", start)


def _transient(err: BaseException) -> bool:
    """Worth another try: the server may be starting, restarting or briefly overloaded."""
    import httpx
    import openai

    if isinstance(err, openai.APIStatusError):
        return err.status_code in (408, 409, 429) or err.status_code >= 500
    # TransportError: also a connection dropped in the middle of a streamed reply.
    return isinstance(err, (openai.APIConnectionError, httpx.TransportError))


def _short(err: Exception, limit: int = 300) -> str:
    text = " ".join(str(err).split())
    return text if len(text) <= limit else text[:limit] + "…"


def _content_text(content) -> str:
    # Chat replies are usually a string; some servers return a list of content parts.
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)

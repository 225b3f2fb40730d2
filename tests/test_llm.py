"""LLM backends: the real embedded model, a real llama.cpp server, error paths, the cache."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

from coach.config import REPO_ROOT, Settings
from coach.errors import BackendError, EmptyOutputError, PromptError, UserInputError
from coach.llm import BACKENDS, create_backend
from coach.llm.base import Sampling
from coach.llm import streaming
from coach.llm.cache import CachedBackend
from coach.llm.prompts import load_prompt
from coach.testing import FakeBackend, StalledServer, TricklingServer, free_port

PROMPTS = REPO_ROOT / "prompts"

# A realistic `rewrite` prompt: a composed draft of the length the composer writes.
REWRITE_VARS = dict(
    panel_name="System Design",
    level="staff",
    signal_name="Quantified capacity and cost reasoning",
    kind="question",
    draft=("You own the checkout service of an online shop, which takes 400 orders a second at peak, each one "
           "reserving stock and charging a card. Which tier gives out first, and what does the fix cost per month?"),
    focus="payments",
)


def _question(style="completion"):
    return load_prompt("rewrite", style, PROMPTS).render_from(**REWRITE_VARS)


# --- test double and interface -------------------------------------------------------------


def test_fake_backend_replays_queue_records_calls_and_then_fails():
    backend = FakeBackend(["one?", "two?"])
    prompt = _question()
    first = backend.generate(prompt, Sampling(seed=1))
    second = backend.generate(prompt, Sampling(seed=2))
    assert [first.text, second.text] == ["one?", "two?"]
    assert [c.sampling.seed for c in backend.calls] == [1, 2]
    assert backend.calls[0].prompt is prompt
    assert (first.backend, first.model, first.prompt_id) == ("fake", "fake-model", "rewrite")
    with pytest.raises(BackendError, match="no replies left"):
        backend.generate(prompt, Sampling())


def test_fake_backend_accepts_a_function():
    backend = FakeBackend(lambda prompt, sampling: f"seed {sampling.seed}?")
    assert backend.generate(_question(), Sampling(seed=9)).text == "seed 9?"


def test_blank_output_is_an_error_not_a_result():
    with pytest.raises(EmptyOutputError, match="fake backend .*empty output"):
        FakeBackend(["  \n "]).generate(_question(), Sampling())


def test_chat_prompt_to_a_completion_backend_is_refused():
    with pytest.raises(PromptError, match="expects completion prompts"):
        FakeBackend(["x"]).generate(_question("chat"), Sampling())


def test_get_backend_by_setting_and_unknown_name():
    assert create_backend(Settings()).name == "embedded"  # created lazily: no model load here
    assert create_backend(Settings(backend="openai", openai_style="completion")).style == "completion"
    assert create_backend(Settings(backend="ollama")).style == "chat"
    settings = Settings()
    settings.backend = "llamafile"  # type: ignore[assignment]  # as a bad CLI flag would
    with pytest.raises(UserInputError, match="embedded, openai, ollama"):
        create_backend(settings)
    cached = create_backend(Settings(backend="openai", llm_cache="replay"))
    assert isinstance(cached, CachedBackend) and cached.name == "openai"


# --- record/replay cache -------------------------------------------------------------------


@pytest.fixture
def cache_path(tmp_path) -> Path:
    return tmp_path / "cache" / "llm.sqlite3"


def test_replay_returns_stored_text_without_calling_the_backend(cache_path):
    inner = FakeBackend(["What is the first breakpoint?"])
    cached = CachedBackend(inner, cache_path, mode="replay")
    prompt, sampling = _question(), Sampling(seed=4)
    first = cached.generate(prompt, sampling)
    assert not first.cached and len(inner.calls) == 1
    again = CachedBackend(inner, cache_path, mode="replay").generate(prompt, sampling)  # a new process
    assert again.cached and again.text == first.text and len(inner.calls) == 1
    assert (again.backend, again.model, again.prompt_hash) == ("fake", "fake-model", prompt.prompt_hash)


def test_any_change_in_seed_repeat_or_prompt_misses(cache_path):
    inner = FakeBackend(lambda p, s: f"reply {len(inner.calls)}")
    cached = CachedBackend(inner, cache_path, mode="replay")
    prompt = _question()
    cached.generate(prompt, Sampling(seed=1))
    assert cached.generate(prompt, Sampling(seed=1)).cached
    assert not cached.generate(prompt, Sampling(seed=2)).cached
    assert not cached.generate(prompt, Sampling(seed=1), repeat=1).cached
    assert not cached.generate(prompt, Sampling(seed=1, temperature=0.2)).cached
    assert not cached.generate(prompt, Sampling(seed=1, stop=("\n",))).cached
    edited = load_prompt("rewrite", "completion", PROMPTS).render_from(**{**REWRITE_VARS, "draft": "Which tier fails first?"})
    assert not cached.generate(edited, Sampling(seed=1)).cached
    rehashed = replace(prompt, prompt_hash="0" * 12)  # same text, edited prompt file
    assert not cached.generate(rehashed, Sampling(seed=1)).cached
    assert len(inner.calls) == 7 and len(cached) == 7


def test_record_mode_overwrites_and_off_mode_stores_nothing(cache_path):
    prompt, sampling = _question(), Sampling(seed=5)
    CachedBackend(FakeBackend(["old?"]), cache_path, mode="replay").generate(prompt, sampling)
    recorded = CachedBackend(FakeBackend(["new?"]), cache_path, mode="record").generate(prompt, sampling)
    assert recorded.text == "new?" and not recorded.cached
    replayed = CachedBackend(FakeBackend([]), cache_path, mode="replay").generate(prompt, sampling)
    assert replayed.text == "new?" and replayed.cached
    off = CachedBackend(FakeBackend(["live?"]), cache_path, mode="off")
    assert off.generate(prompt, sampling).text == "live?"
    assert len(CachedBackend(FakeBackend([]), cache_path, mode="replay")) == 1


def test_failures_are_not_cached_and_bad_mode_is_named(cache_path):
    cached = CachedBackend(FakeBackend([]), cache_path, mode="replay")
    with pytest.raises(BackendError):
        cached.generate(_question(), Sampling())
    assert len(cached) == 0
    with pytest.raises(UserInputError, match="replay, record, off"):
        CachedBackend(FakeBackend([]), cache_path, mode="rewind")


def test_a_blank_reply_is_recorded_and_replayed_as_the_same_error(cache_path):
    """Replay must not call the backend again for a prompt whose recorded answer was blank."""
    inner = FakeBackend(["   "])
    cached = CachedBackend(inner, cache_path, mode="replay")
    with pytest.raises(EmptyOutputError):
        cached.generate(_question(), Sampling(seed=4))
    again = CachedBackend(FakeBackend([]), cache_path, mode="replay")
    with pytest.raises(EmptyOutputError, match="replayed from the cache"):
        again.generate(_question(), Sampling(seed=4))
    assert (again.hits, again.misses, len(inner.calls)) == (1, 0, 1)


def test_cache_defaults_to_the_data_dir(monkeypatch):
    monkeypatch.setitem(BACKENDS, "fake", lambda settings: FakeBackend(["q?"]))
    settings = Settings(backend="fake", llm_cache="replay")
    cached = create_backend(settings)
    cached.generate(_question(), Sampling())
    assert cached.path == settings.cache_dir / "llm.sqlite3" and cached.path.exists()


# --- error paths of the server backends ----------------------------------------------------


def test_openai_unreachable_server_names_the_url():
    url = f"http://127.0.0.1:{free_port()}/v1"
    backend = create_backend(Settings(backend="openai", openai_style="completion", openai_base_url=url, llm_timeout_s=2))
    with pytest.raises(BackendError) as err:
        backend.generate(_question(), Sampling(max_tokens=8))
    message = str(err.value)
    assert "openai backend" in message and url in message and "unreachable (3 attempts)" in message
    assert "COACH_BACKEND=embedded" in message


def test_openai_hung_server_times_out_after_bounded_retries():
    server = StalledServer()
    try:
        url = f"http://127.0.0.1:{server.port}/v1"
        backend = create_backend(Settings(backend="openai", openai_style="completion", openai_base_url=url, llm_timeout_s=0.5))
        with pytest.raises(BackendError, match=r"timed out after 0\.5 s \(3 attempts\)") as err:
            backend.generate(_question(), Sampling(max_tokens=8))
        assert url in str(err.value)
        assert len(server.accepted) == 3  # one try plus two retries, then it gives up
    finally:
        server.close()


def test_a_streamed_reply_that_trickles_is_cut_off_at_the_reply_deadline():
    # Each token comes well inside the read timeout, so only a deadline on the whole reply ends it.
    server = TricklingServer(every_s=0.1)
    try:
        url = f"http://127.0.0.1:{server.port}/v1"
        backend = create_backend(Settings(backend="openai", openai_style="completion", openai_base_url=url,
                                          llm_timeout_s=5, llm_reply_timeout_s=1, llm_cache="off"))
        shown: list = []
        with streaming.to(shown.append), streaming.speech():
            with pytest.raises(BackendError, match=r"still sending its reply after 1 s \((\d+) pieces so far\), so it was cut off") as err:
                backend.generate(_question(), Sampling(max_tokens=8))
        assert "COACH_LLM_REPLY_TIMEOUT_S" in str(err.value) and url in str(err.value)
        pieces = [p for p in shown if p == " and"]
        assert 0 < len(pieces) < 40  # it streamed, and stopped about ten tokens in, not at max_tokens or never
    finally:
        server.close()


def test_ollama_unreachable_server_names_backend_and_url(monkeypatch):
    import coach.llm.ollama_backend as ollama_backend

    monkeypatch.setattr(ollama_backend, "_BACKOFF_S", 0.0)
    url = f"http://127.0.0.1:{free_port()}"
    for style in ("chat", "completion"):
        backend = create_backend(Settings(backend="ollama", ollama_base_url=url, ollama_style=style, llm_timeout_s=2))
        with pytest.raises(BackendError) as err:
            backend.generate(_question(style), Sampling(max_tokens=8))
        message = str(err.value)
        assert "ollama backend" in message and url in message and "unreachable" in message
        assert "ollama serve" in message


# --- the real embedded model ----------------------------------------------------------------


def test_model_hash_is_remembered_in_a_sidecar(tmp_path):
    from coach.llm import embedded

    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"not really a model")
    settings = Settings()
    real = embedded.file_sha256(model, settings)
    sidecar = json.loads((settings.cache_dir / "model-sha256.json").read_text())
    assert sidecar[str(model.resolve())]["sha256"] == real
    # Same path, size and mtime: trusted without re-reading the file.
    sidecar[str(model.resolve())]["sha256"] = "f" * 64
    (settings.cache_dir / "model-sha256.json").write_text(json.dumps(sidecar))
    embedded._HASHES.pop(embedded._fingerprint(model))  # as in a fresh process
    assert embedded.file_sha256(model, settings) == "f" * 64
    os.utime(model, ns=(time.time_ns(), time.time_ns() + 10**9))  # touched: hash again
    assert embedded.file_sha256(model, settings) == real


def test_missing_model_path_is_a_backend_error(tmp_path):
    backend = create_backend(Settings(model_path=tmp_path / "nope.gguf"))
    with pytest.raises(BackendError, match="COACH_MODEL_PATH"):
        backend.generate(_question(), Sampling())


def test_repacking_switch():
    from coach.llm._llama_patch import cpu_has_amx, repack_allowed

    assert repack_allowed("on") and not repack_allowed("off")
    assert repack_allowed("auto") == (not cpu_has_amx())


@pytest.mark.slow
def test_embedded_backend_is_reproducible_and_loaded_once():
    backend = create_backend(Settings())
    sampling = Sampling(temperature=0.7, max_tokens=32, seed=11, stop=load_prompt("rewrite", "completion", PROMPTS).stop)
    prompt = _question()
    first = backend.generate(prompt, sampling)
    # A call in between leaves other state in the model's context; the result must not depend on it.
    backend.generate(prompt, Sampling(temperature=0.7, max_tokens=8, seed=12))
    again = create_backend(Settings()).generate(prompt, sampling)  # another backend object, same process
    assert first.text.strip() and first.text == again.text
    assert first.backend == "embedded" and first.model.startswith("gemma-3-270m-q4_k_m@sha256:")
    assert len(first.model.rsplit(":", 1)[1]) == 16 and first.tokens > 0
    assert backend.llama is create_backend(Settings()).llama


@pytest.mark.slow
def test_the_embedded_backend_evaluates_a_prompts_fixed_head_once_and_stays_reproducible():
    from coach.llm import _prefix

    backend = create_backend(Settings())
    prompt = _question()
    assert len(prompt.head) > 200 and prompt.text.startswith(prompt.head) and "{" not in prompt.head
    sampling = Sampling(temperature=0.7, max_tokens=24, seed=5, stop=load_prompt("rewrite", "completion", PROMPTS).stop)
    first = backend.generate(prompt, sampling)
    # Other prompts in between (another head, and none) leave their own state in the context.
    backend.generate(replace(prompt, text=prompt.text.replace("Draft:", "Note:"), head=""), replace(sampling, seed=6))
    other = load_prompt("rewrite", "completion", PROMPTS).render_from(**{**REWRITE_VARS, "draft": "Which tier fails first?"})
    backend.generate(other, replace(sampling, seed=7))
    assert backend.generate(prompt, sampling).text == first.text
    skipped = _prefix.start(backend.llama, prompt.text, prompt.head)
    assert skipped >= _prefix.MIN_TOKENS and backend.llama.n_tokens == skipped
    # A text that does not start with the head starts from an empty context.
    assert _prefix.start(backend.llama, "Note: " + prompt.text, prompt.head) == 0 and backend.llama.n_tokens == 0


# --- a real OpenAI-compatible server (llama.cpp; the `llama_server` fixture is in conftest) -----


@pytest.mark.slow
def test_openai_backend_completion_against_a_real_server(llama_server):
    settings = Settings(backend="openai", openai_style="completion", openai_base_url=llama_server, llm_timeout_s=120)
    backend = create_backend(settings)
    gen = backend.generate(_question(), Sampling(temperature=0.7, max_tokens=24, seed=3, stop=("\n",)))
    assert gen.text.strip()
    assert (gen.backend, gen.model, gen.prompt_id) == ("openai", settings.openai_model, "rewrite")
    assert gen.prompt_hash == load_prompt("rewrite", "completion", PROMPTS).hash and gen.tokens > 0

"""Best-of-N in one call: generate_many on every backend, the cache's batch keys, and the real
side-by-side decoder on the bundled model."""

from __future__ import annotations

import pytest

from coach.errors import BackendError, EmptyOutputError
from coach.config import REPO_ROOT, Settings
from coach.llm import create_backend
from coach.llm.base import Sampling, cut_after
from coach.llm.cache import CachedBackend
from coach.llm.prompts import load_prompt
from coach.testing import FakeBackend

REWRITE_VARS = dict(
    panel_name="System Design", level="staff", signal_name="Quantified capacity and cost reasoning", kind="question",
    draft=("You own the checkout service of an online shop, which takes 400 orders a second at peak. "
           "Which tier gives out first, and what does the fix cost per month?"),
)


def _prompt():
    return load_prompt("rewrite", "completion", REPO_ROOT / "prompts").render(**REWRITE_VARS)


def test_cut_after_keeps_the_first_end_and_drops_the_rest():
    assert cut_after("What breaks first? And then?", ("?",)) == "What breaks first?"
    assert cut_after("no end here", ("?",)) == "no end here"
    assert cut_after("a. b? c!", ("!", "?")) == "a. b?"
    assert cut_after("text", ()) == "text"


def test_generate_many_returns_each_reply_and_blank_ones_as_errors_in_their_slot():
    backend = FakeBackend(["Where is the first breakpoint? Ignore this.", "  ", "How many consumers?"])
    samplings = [Sampling(seed=i, stop_after=("?",)) for i in range(3)]
    out = backend.generate_many([_prompt()] * 3, samplings)
    assert out[0].text == "Where is the first breakpoint?"  # cut after the '?', like every backend
    assert isinstance(out[1], EmptyOutputError) and "seed 1" in str(out[1])
    assert out[2].text == "How many consumers?" and out[2].meta["batch"] == 3
    assert [c.sampling.seed for c in backend.calls] == [0, 1, 2]
    with pytest.raises(ValueError):
        backend.generate_many([_prompt()], [])


def test_a_failing_backend_fails_the_whole_call():
    with pytest.raises(BackendError):
        FakeBackend(["only one?"]).generate_many([_prompt()] * 2, [Sampling(seed=1), Sampling(seed=2)])


def test_cache_replays_a_batch_and_stores_blank_replies(tmp_path):
    path = tmp_path / "llm.sqlite3"
    inner = FakeBackend(lambda p, s: "" if s.seed == 2 else f"Question for seed {s.seed}?")
    samplings = [Sampling(seed=i) for i in range(3)]
    first = CachedBackend(inner, path, mode="replay").generate_many([_prompt()] * 3, samplings)
    again_backend = CachedBackend(FakeBackend([]), path, mode="replay")  # would fail if it were called
    again = again_backend.generate_many([_prompt()] * 3, samplings)
    assert [g.text for g in again if not isinstance(g, EmptyOutputError)] == [first[0].text, first[1].text]
    assert isinstance(again[2], EmptyOutputError) and "replayed from the cache" in str(again[2])
    assert all(g.cached for g in again[:2]) and (again_backend.hits, again_backend.misses) == (3, 0)
    # A backend that decodes independently is keyed per prompt: a single call hits the same rows.
    assert CachedBackend(FakeBackend([]), path, mode="replay").generate(_prompt(), samplings[0]).cached


def test_cache_keys_a_jointly_decoded_batch_by_the_whole_batch(tmp_path):
    path = tmp_path / "llm.sqlite3"
    inner = FakeBackend(lambda p, s: f"Reply {len(inner.calls)}?")
    inner.joint_batches = True  # like the embedded backend: an output may depend on its batch
    cached = CachedBackend(inner, path, mode="replay")
    three = [Sampling(seed=i) for i in range(3)]
    cached.generate_many([_prompt()] * 3, three)
    assert all(g.cached for g in cached.generate_many([_prompt()] * 3, three))
    assert len(inner.calls) == 3
    # The same first two prompts in a smaller batch are another decoding: generated again, both.
    two = cached.generate_many([_prompt()] * 2, three[:2])
    assert not any(g.cached for g in two) and len(inner.calls) == 5


@pytest.mark.slow
def test_embedded_batch_is_reproducible_shares_the_prefix_and_stops_at_the_question_mark():
    backend = create_backend(Settings())
    prompt = _prompt()
    samplings = [Sampling(temperature=0.7, max_tokens=60, seed=s, stop=("\n",), stop_after=("?",)) for s in (1, 2, 3, 4)]
    first = backend.generate_many([prompt] * 4, samplings)
    again = backend.generate_many([prompt] * 4, samplings)
    texts = [g.text for g in first if not isinstance(g, EmptyOutputError)]
    assert texts and [getattr(g, "text", None) for g in first] == [getattr(g, "text", None) for g in again]
    assert len(set(texts)) > 1, "different seeds must give different candidates"
    for text in texts:
        assert "\n" not in text and text.count("?") <= 1
        assert text.endswith("?") or "?" not in text
    # Greedy decoding of one prompt on several sequences: the shared prefix is copied, not lost.
    greedy = [Sampling(temperature=0.0, max_tokens=24, seed=s, stop=("\n",)) for s in (1, 2, 3)]
    same = backend.generate_many([prompt] * 3, greedy)
    assert len({g.text for g in same}) == 1 and same[0].text.strip()
    # Prompts that share little still decode side by side, each from its own text.
    other = load_prompt("rewrite", "completion", REPO_ROOT / "prompts").render(
        **{**REWRITE_VARS, "panel_name": "Behavioral", "signal_name": "Personal ownership", "draft": "Tell me about a launch you owned that slipped by a quarter; what did you do first?"})
    mixed = backend.generate_many([prompt, other], greedy[:2])
    assert all(not isinstance(g, EmptyOutputError) and g.text.strip() for g in mixed)

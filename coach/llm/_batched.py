"""Best-of-N on a small CPU model: N completions decoded side by side in one llama.cpp batch.

Decoding is memory-bound on this class of machine: one step for 8 sequences measured 74 ms
against 43 ms for one (Gemma 3 270M, 2 threads), so N candidates cost far less than N calls.
The prompts' common prefix (instructions and grounding) is evaluated once and shared by every
sequence through the KV cache; only each prompt's own tail is evaluated per sequence.

Sampling uses llama.cpp's own sampler chain, built like llama-cpp-python's `create_completion`
(top-k 40, top-p, min-p 0.05, temperature, seeded draw), one chain per sequence. Outputs are
reproducible for the same prompts, settings and seeds; a candidate's text can depend on which
other candidates share its batch (batch shapes change floating-point sums), which is why the
record/replay cache keys batched calls by the whole batch.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass

from coach.errors import BackendError
from coach.llm.base import Sampling, cut_after

TOP_K = 40
MIN_P = 0.05
MAX_SEQUENCES = 16
N_CTX = 4096


@dataclass
class _Seq:
    sampler: object
    sampling: Sampling
    pos: int
    out: bytearray
    tokens: int = 0
    done: bool = False
    text: str = ""


def _sampler(api, sampling: Sampling):
    chain = api.llama_sampler_chain_init(api.llama_sampler_chain_default_params())
    if sampling.temperature <= 0:
        api.llama_sampler_chain_add(chain, api.llama_sampler_init_greedy())
        return chain
    api.llama_sampler_chain_add(chain, api.llama_sampler_init_top_k(TOP_K))
    api.llama_sampler_chain_add(chain, api.llama_sampler_init_top_p(sampling.top_p, 1))
    api.llama_sampler_chain_add(chain, api.llama_sampler_init_min_p(MIN_P, 1))
    api.llama_sampler_chain_add(chain, api.llama_sampler_init_temp(sampling.temperature))
    api.llama_sampler_chain_add(chain, api.llama_sampler_init_dist(sampling.seed & 0xFFFFFFFF))
    return chain


def _common_prefix(seqs: Sequence[Sequence[int]]) -> int:
    n = min(len(s) for s in seqs)
    first = seqs[0]
    for i in range(n):
        if any(s[i] != first[i] for s in seqs[1:]):
            return i
    return n


class BatchDecoder:
    """A second llama.cpp context on an already loaded model, sized for many sequences.

    The caller serialises calls (the embedded backend's lock): a context is single-threaded.
    """

    def __init__(self, llama, threads: int):
        import llama_cpp.llama_cpp as api

        self.api = api
        self.llama = llama
        self.model = llama._model.model
        self.vocab = api.llama_model_get_vocab(self.model)
        params = api.llama_context_default_params()
        params.n_ctx = N_CTX
        # A whole prompt batch goes to llama_decode at once (it splits it into micro-batches
        # itself), so every sequence's last prompt token keeps its logits.
        params.n_batch = N_CTX
        params.n_ubatch = 512
        params.n_seq_max = MAX_SEQUENCES
        # One cache shared by all sequences: the prefix is stored once, and no sequence is
        # limited to n_ctx / n_seq_max cells.
        params.kv_unified = True
        params.n_threads = threads
        params.n_threads_batch = threads
        params.no_perf = True
        from llama_cpp._utils import suppress_stdout_stderr

        with suppress_stdout_stderr(disable=False):  # llama.cpp logs its cache layout to stderr
            self.ctx = api.llama_init_from_model(self.model, params)
        if not self.ctx:
            raise BackendError("llama.cpp could not create a batched decoding context.", "Retry with fewer candidates.")
        self.batch = api.llama_batch_init(N_CTX, 0, MAX_SEQUENCES)
        self._piece = ctypes.create_string_buffer(256)

    def close(self) -> None:
        if self.ctx:
            self.api.llama_batch_free(self.batch)
            self.api.llama_free(self.ctx)
            self.ctx = None

    def _decode(self, entries: list[tuple[int, int, int, bool]]) -> list[int]:
        """entries: (token, position, sequence, wants logits). Returns the batch indices whose
        logits were computed, which is what the samplers read."""
        b = self.batch
        b.n_tokens = len(entries)
        for i, (tok, pos, seq, logits) in enumerate(entries):
            b.token[i] = tok
            b.pos[i] = pos
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = seq
            b.logits[i] = logits
        rc = self.api.llama_decode(self.ctx, b)
        if rc != 0:
            raise BackendError(
                f"llama.cpp failed to decode a batch of {len(entries)} tokens (code {rc}).",
                f"Shorten the prompts or ask for fewer candidates: all of them must fit {N_CTX} tokens.",
            )
        return [i for i, e in enumerate(entries) if e[3]]

    def _piece_of(self, token: int) -> bytes:
        n = self.api.llama_token_to_piece(self.vocab, token, self._piece, len(self._piece), 0, False)
        return self._piece.raw[: max(n, 0)]

    def generate(self, prompts: Sequence[str], samplings: Sequence[Sampling]) -> list[tuple[str, int]]:
        if not prompts:
            return []
        if len(prompts) > MAX_SEQUENCES:
            raise BackendError(f"{len(prompts)} prompts in one batch; the limit is {MAX_SEQUENCES}.", "Split the batch.")
        token_lists = [self.llama.tokenize(p.encode("utf-8"), add_bos=True, special=False) for p in prompts]
        longest = max(len(t) + s.max_tokens for t, s in zip(token_lists, samplings))
        shared = min(_common_prefix(token_lists), min(len(t) for t in token_lists) - 1)
        total = shared + sum(len(t) - shared + s.max_tokens for t, s in zip(token_lists, samplings))
        if total > N_CTX or longest > N_CTX:
            raise BackendError(
                f"The batch needs {total} KV cells; the context holds {N_CTX}.",
                "Shorten the grounding or examples, or ask for fewer candidates.",
            )
        mem = self.api.llama_get_memory(self.ctx)
        self.api.llama_memory_clear(mem, True)
        seqs = [_Seq(sampler=_sampler(self.api, s), sampling=s, pos=len(t), out=bytearray()) for t, s in zip(token_lists, samplings)]
        try:
            # The shared prefix once, on sequence 0, then copied: no recomputation per candidate.
            if shared:
                self._decode([(tok, pos, 0, False) for pos, tok in enumerate(token_lists[0][:shared])])
                for s in range(1, len(seqs)):
                    self.api.llama_memory_seq_cp(mem, 0, s, -1, -1)
            tails = [
                (tok, pos, s, pos == len(toks) - 1)
                for s, toks in enumerate(token_lists)
                for pos, tok in enumerate(toks[shared:], start=shared)
            ]
            rows = self._decode(tails)
            while True:
                step: list[tuple[int, int, int, bool]] = []
                for row, (s, seq) in zip(rows, [(s, q) for s, q in enumerate(seqs) if not q.done]):
                    tok = self.api.llama_sampler_sample(seq.sampler, self.ctx, row)
                    if self._finish(seq, tok):
                        continue
                    step.append((tok, seq.pos, s, True))
                    seq.pos += 1
                if not step:
                    break
                rows = self._decode(step)
        finally:
            for seq in seqs:
                self.api.llama_sampler_free(seq.sampler)
            self.api.llama_memory_clear(mem, True)
        return [(q.text, q.tokens) for q in seqs]

    def _finish(self, seq: _Seq, tok: int) -> bool:
        """Add a sampled token; True when the sequence is done (end token, stop string, max_tokens)."""
        if self.api.llama_vocab_is_eog(self.vocab, tok):
            seq.done, seq.text = True, seq.out.decode("utf-8", errors="ignore")
            return True
        seq.out += self._piece_of(tok)
        seq.tokens += 1
        text = seq.out.decode("utf-8", errors="ignore")
        cut = min((i for i in (text.find(stop) for stop in seq.sampling.stop if stop) if i >= 0), default=-1)
        kept = cut_after(text, seq.sampling.stop_after)
        if 0 <= cut <= len(kept):
            seq.done, seq.text = True, text[:cut]
        elif any(end and end in text for end in seq.sampling.stop_after):
            seq.done, seq.text = True, kept
        elif seq.tokens >= seq.sampling.max_tokens:
            seq.done, seq.text = True, text
        return seq.done

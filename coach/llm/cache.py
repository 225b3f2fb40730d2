"""Record/replay cache for LLM calls, in one SQLite table.

The eval harness replays recorded generations so that a prompt or scorer change is compared on
the same model outputs, and re-records on purpose. The key covers everything that can change an
output: backend, model identity, prompt id and file hash, the rendered text, every sampling
setting including the seed, and a `repeat` index for several draws with one seed.

Modes: "replay" (hit -> stored text, marked cached; miss -> call and store), "record" (always
call and overwrite), "off" (pass through). Failed calls are never stored.

Each row also keeps the rendered prompt (`prompt`, not part of the key), so the calls whose prompt
held a candidate's answer can be found and deleted when the user forgets that answer
(`forget_containing`); rows recorded before that column existed are found by their output only.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from contextlib import closing
from pathlib import Path

from coach.errors import EmptyOutputError, unknown_choice
from coach.llm.base import BackendWrapper, Generation, LLMBackend, RenderedPrompt, Sampling, check_style

MODES: tuple[str, ...] = ("replay", "record", "off")
_KEY_VERSION = 1  # bump when the key's ingredients change, so old rows simply stop matching

_SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_id TEXT NOT NULL,
    prompt_hash TEXT NOT NULL,
    repeat INTEGER NOT NULL,
    sampling TEXT NOT NULL,
    text TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    seconds REAL NOT NULL,
    created_at REAL NOT NULL
)
"""


def cache_key(backend: LLMBackend, prompt: RenderedPrompt, sampling: Sampling, repeat: int = 0) -> str:
    payload = {
        "v": _KEY_VERSION,
        "backend": backend.name,
        "model": backend.model,
        "style": prompt.style,
        "prompt_id": prompt.prompt_id,
        "prompt_hash": prompt.prompt_hash,
        "text": prompt.text,
        "messages": [[m.role, m.content] for m in prompt.messages],
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "max_tokens": sampling.max_tokens,
        "stop": list(sampling.stop),
        "seed": sampling.seed,
        "repeat": repeat,
    }
    if sampling.stop_after:
        payload["stop_after"] = list(sampling.stop_after)
    if sampling.json_schema:
        # Only when set, so keys recorded before structured output existed still match.
        payload["json_schema"] = sampling.json_schema
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class CachedBackend(BackendWrapper):
    """Wraps any backend; looks and behaves like it, plus the cache at `path` (an SQLite file)."""

    def __init__(self, inner: LLMBackend, path: Path, mode: str = "replay"):
        if mode not in MODES:
            raise unknown_choice("LLM cache mode", mode, MODES)
        super().__init__(inner)
        self.mode = mode
        self.path = Path(path)
        self.hits = 0
        self.misses = 0
        if mode != "off":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as db, db:
                db.execute(_SCHEMA)
                _add_prompt_column(db)

    def _connect(self) -> sqlite3.Connection:
        # A short-lived connection per operation: no connection shared across threads, and
        # `with` commits each write on its own.
        return sqlite3.connect(self.path, timeout=30)

    def lookup(self, key: str) -> sqlite3.Row | None:
        with closing(self._connect()) as db:
            db.row_factory = sqlite3.Row
            return db.execute("SELECT * FROM generations WHERE key = ?", (key,)).fetchone()

    def generate(self, prompt: RenderedPrompt, sampling: Sampling, repeat: int = 0) -> Generation:
        if self.mode == "off":
            return self.inner.generate(prompt, sampling, repeat=repeat)
        result = self.generate_many([prompt], [sampling], repeat=repeat)[0]
        if isinstance(result, EmptyOutputError):
            raise result
        return result

    def generate_many(
        self, prompts: Sequence[RenderedPrompt], samplings: Sequence[Sampling], repeat: int = 0
    ) -> list[Generation | EmptyOutputError]:
        if self.mode == "off":
            return self.inner.generate_many(prompts, samplings, repeat=repeat)
        for prompt in prompts:
            check_style(self, prompt)
        started = time.perf_counter()
        keys = [cache_key(self.inner, p, s, repeat) for p, s in zip(prompts, samplings)]
        joint = self.inner.joint_batches and len(prompts) > 1
        if joint:
            # Each output may depend on the whole batch, so the batch is part of every key.
            batch = hashlib.sha256("".join(keys).encode()).hexdigest()
            keys = [hashlib.sha256(f"{k}:{batch}".encode()).hexdigest() for k in keys]
        out: list[Generation | EmptyOutputError | None] = [None] * len(prompts)
        if self.mode == "replay":
            for i, key in enumerate(keys):
                row = self.lookup(key)
                if row is not None:
                    out[i] = self._replayed(row, key, prompts[i], samplings[i], repeat, started)
        missing = [i for i, o in enumerate(out) if o is None]
        if missing and joint:
            missing = list(range(len(prompts)))  # a partial batch would decode differently
        self.hits += len(prompts) - len(missing)
        self.misses += len(missing)
        if missing:
            # Other failures raise from here: nothing is stored.
            fresh = self.inner.generate_many([prompts[i] for i in missing], [samplings[i] for i in missing], repeat=repeat)
            for i, gen in zip(missing, fresh):
                if isinstance(gen, EmptyOutputError):
                    # A blank reply is the model's answer to this prompt and seed, not an outage:
                    # stored, a replayed run gives the same error offline without asking again.
                    self._store(keys[i], prompts[i], samplings[i], repeat, "", 0, 0.0)
                else:
                    self._store(keys[i], prompts[i], samplings[i], repeat, gen.text, gen.tokens, gen.seconds)
                    gen.meta = {**gen.meta, "cache_key": keys[i], "repeat": repeat}
                out[i] = gen
        return out  # type: ignore[return-value]

    def _replayed(self, row: sqlite3.Row, key: str, prompt: RenderedPrompt, sampling: Sampling, repeat: int, started: float):
        if not row["text"]:
            return _replayed_empty(self.inner, prompt, sampling)
        return Generation(
            text=row["text"], backend=row["backend"], model=row["model"], prompt_id=row["prompt_id"],
            prompt_hash=row["prompt_hash"], sampling=sampling, cached=True, seconds=time.perf_counter() - started,
            tokens=row["tokens"], meta={"cache_key": key, "recorded_seconds": row["seconds"], "repeat": repeat},
        )

    def _store(self, key: str, prompt: RenderedPrompt, sampling: Sampling, repeat: int, text: str, tokens: int, seconds: float) -> None:
        with closing(self._connect()) as db, db:
            db.execute(
                f"INSERT OR REPLACE INTO generations ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (key, self.inner.name, self.inner.model, prompt.prompt_id, prompt.prompt_hash, repeat,
                 json.dumps(sampling.to_dict(), sort_keys=True), text, tokens, seconds, time.time(), prompt.cache_text()),
            )

    def __len__(self) -> int:
        if self.mode == "off" or not self.path.exists():
            return 0
        with closing(self._connect()) as db:
            return db.execute("SELECT COUNT(*) FROM generations").fetchone()[0]


_COLUMNS = "key, backend, model, prompt_id, prompt_hash, repeat, sampling, text, tokens, seconds, created_at, prompt"


def _add_prompt_column(db: sqlite3.Connection) -> None:
    # Caches recorded before the column existed get it empty: their keys and replays are unchanged.
    if "prompt" not in {row[1] for row in db.execute("PRAGMA table_info(generations)")}:
        db.execute("ALTER TABLE generations ADD COLUMN prompt TEXT")


def _squeezed(text: str) -> str:
    return " ".join(text.split())


def forget_containing(path: Path, fragments: Iterable[str]) -> list[str]:
    """Delete every recorded call whose prompt or output contains one of `fragments` (compared with
    whitespace runs collapsed, as prompts re-wrap text), then rewrite the file so the deleted text
    is gone from its bytes. Returns the deleted calls' outputs (their vectors may be cached too);
    a missing file is nothing to do."""
    needles = [n for n in {_squeezed(f) for f in fragments} if n]
    if not needles or not Path(path).is_file():
        return []
    with closing(sqlite3.connect(path, timeout=30)) as db:
        with db:
            has_prompt = "prompt" in {row[1] for row in db.execute("PRAGMA table_info(generations)")}
            rows = db.execute(f"SELECT key, text, {'prompt' if has_prompt else 'NULL'} FROM generations").fetchall()
            doomed = [(key, text) for key, text, prompt in rows
                      if any(n in _squeezed(f"{text or ''}\n{prompt or ''}") for n in needles)]
            db.executemany("DELETE FROM generations WHERE key = ?", [(key,) for key, _ in doomed])
        if doomed:
            db.execute("VACUUM")
    return [text for _, text in doomed]


def _replayed_empty(inner: LLMBackend, prompt: RenderedPrompt, sampling: Sampling) -> EmptyOutputError:
    return EmptyOutputError(
        f"The {inner.describe()} returned empty output for prompt {prompt.prompt_id!r} (seed {sampling.seed}, "
        f"max_tokens {sampling.max_tokens}); replayed from the cache.",
        "Retry with another seed, or run with --record to ask the backend again.",
    )

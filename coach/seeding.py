"""Derived seeds: one user-facing seed fans out into independent, reproducible sub-seeds.

Hashing the parts (rather than adding offsets) keeps sub-seeds of neighbouring seeds unrelated,
so seed 7 and seed 8 do not share candidates, and adding a new consumer never shifts old ones.
"""

from __future__ import annotations

import hashlib
import random


def derive(*parts: object) -> int:
    """A 31-bit seed that depends on every part, e.g. derive(seed, "system-design", "candidate", 2)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def rng(*parts: object) -> random.Random:
    return random.Random(derive(*parts))

"""Chunker settings, kept apart from the chunker so checking an index needs no text-splitter import."""

from __future__ import annotations

from dataclasses import dataclass

CHUNKER_VERSION = "2"  # bump whenever chunk boundaries or chunk text change


@dataclass(frozen=True)
class ChunkerSettings:
    chunk_size: int = 900
    chunk_overlap: int = 0

    def fingerprint(self) -> str:
        return f"v{CHUNKER_VERSION}:size={self.chunk_size}:overlap={self.chunk_overlap}"

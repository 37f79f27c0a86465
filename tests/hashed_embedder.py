"""A deterministic in-process embedder for tests: no model files, no network, microseconds.

Each lowercased word (a run of letters and digits) is hashed into one of `dimension`
features; rows are L2-normalised float32. Texts that share words get close vectors, and the
same text always gets the same vector. Tokens are the runs of non-space characters.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

from src.embedding import normalize_rows
from src.models import Matrix

_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r"\S+")


def feature(word: str, dimension: int) -> int:
    """The dimension a (lowercased) word is counted in."""
    digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") % dimension


class HashedEmbedder:
    """Implements src.embedding.Embedder; `calls` records every embed() as (texts, query)."""

    def __init__(
        self,
        dimension: int = 64,
        languages: tuple[str, ...] = ("en",),
        name: str = "hashed-bow",
        max_tokens: int = 256,
    ) -> None:
        self._dimension = dimension
        self._languages = languages
        self._name = name
        self._max_tokens = max_tokens
        self.calls: list[tuple[list[str], bool]] = []

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def name(self) -> str:
        return self._name

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    @property
    def languages(self) -> tuple[str, ...]:
        return self._languages

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return [match.span() for match in _TOKEN.finditer(text)]

    def close(self) -> None:
        """Holds nothing open."""

    def vector(self, text: str) -> Matrix:
        """One text's row, without recording a call."""
        row = np.zeros((1, self._dimension), dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            row[0, feature(word, self._dimension)] += 1.0
        return normalize_rows(row)[0]

    def embed(self, texts: list[str], query: bool = False) -> Matrix:
        self.calls.append((list(texts), query))
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return np.stack([self.vector(text) for text in texts]).astype(np.float32)

    @property
    def embedded_texts(self) -> int:
        """How many texts were embedded in all."""
        return sum(len(texts) for texts, _ in self.calls)

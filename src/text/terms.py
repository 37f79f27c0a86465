"""Turning user text into the terms of a keyword (BM25) query."""

from __future__ import annotations

import re

# Letters and digits only: the same split the index's tokenizer makes, so one word is one
# term (never a phrase) and no query syntax reaches the engine.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# BM25 work grows with every OR-ed term: a query keeps at most this many distinct terms,
# the longest ones (length is the cheap stand-in for rarity), so no query scans for minutes.
MAX_TERMS = 32
# Words nearly every English chunk contains: they bring almost no ranking signal, and each
# one makes the engine walk a posting list as long as the store.
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "down",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "he",
        "her",
        "here",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "may",
        "me",
        "might",
        "more",
        "most",
        "must",
        "my",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)


def query_terms(text: str) -> list[str]:
    """Distinct lower-cased words in order, stopwords dropped unless nothing else is left,
    at most MAX_TERMS of them (the longest)."""
    words = list(dict.fromkeys(word.lower() for word in _WORD.findall(text)))
    kept = [word for word in words if word not in STOPWORDS] or words
    if len(kept) > MAX_TERMS:
        longest = set(sorted(kept, key=len, reverse=True)[:MAX_TERMS])
        kept = [word for word in kept if word in longest][:MAX_TERMS]
    return kept


def titled_text(title: str, text: str) -> str:
    """What is indexed for a chunk: its document's title makes every chunk findable by it."""
    return f"{title}\n{text}"

"""Turning user text into the terms of a keyword (BM25) query."""

from __future__ import annotations

import re
from collections import Counter

# Letters and digits only: the same split the index's tokenizer makes, so one word is one
# term (never a phrase) and no query syntax reaches the engine.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# BM25 work grows with every OR-ed term: a query keeps at most this many distinct terms, so
# no query scans for minutes. Paragraph-long queries need most of theirs: ArguAna's (a median
# of 80 distinct words, at most 390) scored keyword nDCG@10 0.358 kept to 32, 0.438 with all.
MAX_TERMS = 256
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


def query_terms(text: str) -> dict[str, int]:
    """Distinct lower-cased words in order, each with the times the query says it (a word a
    long query repeats is what it is about: weighting by it lifted ArguAna's keyword nDCG@10
    from 0.436 to 0.499), stopwords dropped unless nothing else is left; at most MAX_TERMS
    of them, the most repeated, then the longest (length: the cheap stand-in for rarity)."""
    words = [word.lower() for word in _WORD.findall(text)]
    counts = Counter(word for word in words if word not in STOPWORDS) or Counter(words)
    if len(counts) > MAX_TERMS:
        kept = sorted(counts, key=lambda word: (counts[word], len(word)), reverse=True)
        chosen = set(kept[:MAX_TERMS])
        return {word: n for word, n in counts.items() if word in chosen}
    return dict(counts)


def titled_text(title: str, text: str) -> str:
    """What is indexed for a chunk: its document's title makes every chunk findable by it."""
    return f"{title}\n{text}"

"""Keyword search in Postgres: full-text search over the chunks' `terms`, ranked by ts_rank.

Postgres ranks every chunk that matches, so an OR of the user's words costs time in
proportion to the chunks holding any of them: a word in one chunk of seven (`program`, at
100k chunks) makes a query take 100 ms. The words that decide a ranking are the rare ones
(BM25's idf says the same), so chunks are matched on the query's rare words and ranked on
all of them; a query of common words only is matched on its two rarest. What is rare comes
from Postgres's own statistics of the column (pg_stats' most common elements, which ANALYZE
and autovacuum keep current), read at most once a minute.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from src.store.postgres.database import Connection

# The text search configuration: English stemming; CJK terms pass through it as they are.
TEXT_CONFIG = "english"
# A word in more than this share of the chunks is common: it ranks but does not match.
# Measured (nDCG@10 keyword, XQuAD zh / NFCorpus; p50 at 100k chunks in process):
# everything matches 0.961 / 0.305, 72 ms; 5%: 0.962 / 0.310, 17 ms; 2%: 0.952 / 0.309,
# 6 ms; 1%: 0.948 / 0.303, 5 ms.
COMMON_SHARE = 0.05
# Words a query of common words only is matched on (its rarest).
FALLBACK_WORDS = 2
STATS_SECONDS = 60.0
LEXEME_CACHE = 100_000


class KeywordQuery:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shares: dict[str, float] = {}
        self._read_at = -STATS_SECONDS
        self._lexemes: dict[str, tuple[str, ...]] = {}

    def search(
        self, conn: Connection, words: list[str], k: int, within: str, params: list[Any]
    ) -> list[tuple[int, float]]:
        """Top-k chunks for `words` (letters and digits only), among the chunks `within`
        (a WHERE clause for chunks `c`, with its parameters) allows."""
        matching = self._matching(conn, words)
        if not matching:
            return []
        rows = conn.execute(
            "SELECT c.id, ts_rank(c.terms, ranked, 1) AS score FROM chunks c, "
            "to_tsquery(%s::regconfig, %s) AS matched, to_tsquery(%s::regconfig, %s) AS ranked "
            f"WHERE c.terms @@ matched {within} ORDER BY score DESC, c.id LIMIT %s",
            [TEXT_CONFIG, " | ".join(matching), TEXT_CONFIG, " | ".join(words), *params, k],
        ).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows]

    def _matching(self, conn: Connection, words: list[str]) -> list[str]:
        """The words to match on: the rare ones, else the rarest few."""
        lexemes = self._lexemes_of(conn, words)
        shares = self._column_shares(conn)
        share = {
            word: max(shares.get(lexeme, 0.0) for lexeme in lexemes[word])
            for word in words
            if lexemes[word]  # a stopword of the configuration has none
        }
        rare = [word for word, value in share.items() if value <= COMMON_SHARE]
        return rare or sorted(share, key=share.__getitem__)[:FALLBACK_WORDS]

    def _lexemes_of(self, conn: Connection, words: list[str]) -> dict[str, tuple[str, ...]]:
        with self._lock:
            missing = [word for word in words if word not in self._lexemes]
        if missing:
            rows = conn.execute(
                "SELECT w, array(SELECT lexeme FROM unnest(to_tsvector(%s::regconfig, w))) "
                "FROM unnest(%s::text[]) AS w",
                (TEXT_CONFIG, missing),
            ).fetchall()
            with self._lock:
                if len(self._lexemes) > LEXEME_CACHE:
                    self._lexemes.clear()
                self._lexemes.update((row[0], tuple(row[1])) for row in rows)
        with self._lock:
            return {word: self._lexemes.get(word, ()) for word in words}

    def _column_shares(self, conn: Connection) -> dict[str, float]:
        """The most common lexemes of `chunks.terms` and the share of chunks holding each."""
        if time.monotonic() - self._read_at < STATS_SECONDS:
            return self._shares
        row = conn.execute(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = 'chunks' "
            "AND attname = 'terms'"
        ).fetchone()
        shares = dict(zip(row[0], row[1], strict=False)) if row and row[0] else {}
        self._shares, self._read_at = shares, time.monotonic()
        return shares

"""Facts about a store kept in its `properties` table: which embedding model made its vectors."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class EmbeddingSpace:
    """The model a store's vectors come from; vectors of two spaces never compare."""

    model: str
    dimension: int

    def __str__(self) -> str:
        return f"{self.model} ({self.dimension} dimensions)"


def read_space(conn: sqlite3.Connection) -> EmbeddingSpace | None:
    rows = dict(conn.execute("SELECT name, value FROM properties WHERE name LIKE 'embedding_%'"))
    if "embedding_model" not in rows:
        return None
    return EmbeddingSpace(rows["embedding_model"], int(rows["embedding_dimension"]))


def write_space(conn: sqlite3.Connection, space: EmbeddingSpace) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO properties (name, value) VALUES (?, ?)",
        [("embedding_model", space.model), ("embedding_dimension", str(space.dimension))],
    )

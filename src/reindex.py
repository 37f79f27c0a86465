"""Switch a store to another embedding model: every chunk re-embedded with the configured
model (RAG_EMBEDDING_* or the bundled one), the same way ingestion embeds it.

    python -m src.reindex          # with the service stopped; same settings as the service

New vectors are staged in the store's `reembedded` table, batch by batch: an interrupted run
resumes where it stopped (a run for another model starts over), and until the last batch the
store keeps serving the old model's vectors, whole. The switch itself is one transaction:
every vector replaced and the new model recorded together. The dense index file is then
removed, and the next start rebuilds it from the new vectors.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from src.config import Settings, get_settings
from src.embedding import Embedder
from src.errors import RagError, StoreError
from src.ingest import embedded_text, title_prefix
from src.service import load_embedder
from src.store.migrations import migrate
from src.store.properties import EmbeddingSpace, read_space, write_space
from src.store.sqlite import connect, disk_full_as_error

BATCH = 256
TARGET = "reindex_target"  # the space a staged run is for, in `properties`
log = logging.getLogger("rag.reindex")
Progress = Callable[[int, int], None]


def reindex(settings: Settings, progress: Progress | None = None) -> int:
    """Re-embed every chunk of the store at settings.database_path; returns how many."""
    if settings.postgres:
        raise StoreError(
            "reindex works on the embedded store, and RAG_DATABASE_URL names a database",
            hint="copy the database to a storage folder (python -m src.transfer URL DIR), "
            "reindex there with RAG_STORAGE_DIR=DIR, then copy it into an empty database",
        )
    if not settings.database_path.is_file():
        raise StoreError(f"no store at {settings.database_path}", hint="check RAG_STORAGE_DIR")
    embedder = load_embedder(settings)
    space = EmbeddingSpace(embedder.name, embedder.dimension)
    conn = connect(settings.database_path)
    try:
        migrate(conn)
        _start(conn, space)
        total = _stage_all(conn, embedder, progress)
        _switch(conn, space)
    finally:
        conn.close()
    for name in ("rag.hnsw", "rag.hnsw.json"):
        (settings.database_path.parent / name).unlink(missing_ok=True)
    return total


def _start(conn: sqlite3.Connection, space: EmbeddingSpace) -> None:
    """Keep what an interrupted run for the same model staged; drop anything else."""
    staged_for = conn.execute("SELECT value FROM properties WHERE name = ?", (TARGET,)).fetchone()
    if staged_for and staged_for[0] == str(space):
        return
    with _transaction(conn):
        conn.execute("DELETE FROM reembedded")
        conn.execute("INSERT OR REPLACE INTO properties VALUES (?, ?)", (TARGET, str(space)))


def _stage_all(conn: sqlite3.Connection, embedder: Embedder, progress: Progress | None) -> int:
    total = int(conn.execute("SELECT count(*) FROM chunks").fetchone()[0])
    prefixes: dict[str, str] = {}
    while rows := _unstaged(conn):
        texts = [embedded_text(_prefix(prefixes, embedder, title), text) for _, title, text in rows]
        vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
        with _transaction(conn):
            conn.executemany(
                "INSERT INTO reembedded (chunk_id, embedding) VALUES (?, ?)",
                ((row[0], vector.tobytes()) for row, vector in zip(rows, vectors, strict=True)),
            )
        if progress:
            progress(int(conn.execute("SELECT count(*) FROM reembedded").fetchone()[0]), total)
    return total


def _unstaged(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    return conn.execute(
        "SELECT c.id, d.title, c.text FROM chunks c JOIN documents d ON d.rowid = c.doc_rowid "
        "WHERE c.id NOT IN (SELECT chunk_id FROM reembedded) ORDER BY c.id LIMIT ?",
        (BATCH,),
    ).fetchall()


def _prefix(cache: dict[str, str], embedder: Embedder, title: str) -> str:
    if title not in cache:
        cache[title] = title_prefix(embedder, title)[0]
    return cache[title]


def _switch(conn: sqlite3.Connection, space: EmbeddingSpace) -> None:
    with _transaction(conn):
        missing = conn.execute(
            "SELECT count(*) FROM chunks WHERE id NOT IN (SELECT chunk_id FROM reembedded)"
        ).fetchone()[0]
        if missing:
            raise StoreError(
                f"{missing} chunks were added while reindexing",
                hint="stop the service, then run `python -m src.reindex` again: it resumes",
            )
        conn.execute(
            "UPDATE chunks SET embedding = "
            "(SELECT embedding FROM reembedded r WHERE r.chunk_id = chunks.id)"
        )
        write_space(conn, space)
        conn.execute("DELETE FROM reembedded")
        conn.execute("DELETE FROM properties WHERE name = ?", (TARGET,))


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    with disk_full_as_error():
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = get_settings()
    try:
        before = _recorded(settings.database_path)
        total = reindex(settings, lambda done, total: log.info("re-embedded %d/%d", done, total))
    except RagError as exc:
        print(f"reindex: error: {exc.message}" + (f" ({exc.hint})" if exc.hint else ""))
        return 1
    print(f"reindex: {total} chunks re-embedded; {before} -> the configured model")
    return 0


def _recorded(path: Path) -> str:
    if not path.is_file():
        return "nothing"
    conn = connect(path)
    try:
        migrate(conn)
        return str(read_space(conn) or "no recorded model")
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())

"""Numbered schema migrations. Append only: a released migration is never edited.

The schema version lives in SQLite's `PRAGMA user_version`; each migration runs in
its own transaction together with the version bump, so a crash mid-upgrade leaves
the store at the previous version, never in between.
"""

from __future__ import annotations

import sqlite3

from src.errors import StoreError

MIGRATIONS: tuple[str, ...] = (
    # 1: documents, chunks with their embeddings, and the BM25 index kept in step by triggers.
    """
    CREATE TABLE documents (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        content_hash TEXT NOT NULL UNIQUE,
        media_type TEXT NOT NULL,
        source_name TEXT NOT NULL DEFAULT '',
        metadata TEXT NOT NULL DEFAULT '{}',
        char_count INTEGER NOT NULL,
        chunk_count INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE chunks (
        id INTEGER PRIMARY KEY,
        doc_rowid INTEGER NOT NULL REFERENCES documents(rowid) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        text TEXT NOT NULL,
        start_char INTEGER NOT NULL,
        end_char INTEGER NOT NULL,
        embedding BLOB NOT NULL,
        UNIQUE (doc_rowid, position)
    );
    CREATE VIRTUAL TABLE chunks_fts USING fts5(
        text, content='chunks', content_rowid='id', tokenize='porter unicode61'
    );
    CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
        INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
        INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    """,
    # 2: background ingestion jobs and their progress.
    """
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        total_chunks INTEGER NOT NULL DEFAULT 0,
        embedded_chunks INTEGER NOT NULL DEFAULT 0,
        documents TEXT NOT NULL DEFAULT '[]',
        error TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX jobs_status ON jobs(status);
    """,
    # 3: list documents newest first without a sort over the whole table.
    """
    CREATE INDEX documents_created ON documents(created_at, rowid);
    """,
    # 4: chunk ids are never reused (the dense index file relies on it: an id it holds
    # always names the same chunk), so the store hands them out from a counter.
    """
    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO counters (name, value)
        VALUES ('last_chunk_id', (SELECT coalesce(max(id), 0) FROM chunks));
    """,
    # 5: BM25 moved to a tantivy index beside the store (src/store/sqlite/keyword.py), built from
    # the chunks on first open; FTS5's copy of every text goes.
    """
    DROP TRIGGER chunks_ai;
    DROP TRIGGER chunks_ad;
    DROP TABLE chunks_fts;
    """,
    # 6: the embedding model whose vectors the store holds (a store never mixes two: see
    # src/reindex.py to switch). Every store before this one was made with the bundled model.
    # `reembedded` holds a reindex's new vectors until all are made, so an interrupted one
    # resumes and the store never serves two models' vectors side by side.
    """
    CREATE TABLE properties (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    INSERT INTO properties (name, value)
        SELECT 'embedding_model', 'all-MiniLM-L6-v2' WHERE EXISTS (SELECT 1 FROM chunks);
    INSERT INTO properties (name, value)
        SELECT 'embedding_dimension', '384' WHERE EXISTS (SELECT 1 FROM chunks);
    CREATE TABLE reembedded (
        chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
        embedding BLOB NOT NULL
    );
    """,
)

LATEST_VERSION = len(MIGRATIONS)


def newer_schema(what: str, found: int, latest: int) -> StoreError:
    return StoreError(
        f"the {what} has schema version {found}, newer than this release knows ({latest})",
        hint=f"run a rag-api release at least as new as the one that wrote this {what}",
    )


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = LATEST_VERSION) -> int:
    """Bring the schema up to `target`; return the version it was at."""
    found = schema_version(conn)
    if found > LATEST_VERSION:
        raise newer_schema("store", found, LATEST_VERSION)
    for version in range(found + 1, target + 1):
        script = MIGRATIONS[version - 1]
        try:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;"
            )
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(
                f"upgrading the store to schema version {version} failed: {exc}"
            ) from exc
    return found

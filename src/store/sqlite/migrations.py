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
    # 7: knowledge bases (collections) and the keys that may read or write them. Every
    # document already stored goes to `default`; content-hash dedupe becomes per collection,
    # which SQLite can only do by copying the documents table (rowids kept, so every chunk
    # still points at its document; migrate() turns foreign keys off around it, or dropping
    # the old table would delete every chunk). Chunks and their vectors are not touched.
    """
    CREATE TABLE collections (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    INSERT INTO collections (id, name, created_at)
        VALUES (1, 'default', strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'));
    CREATE TABLE documents_v7 (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        collection_id INTEGER NOT NULL DEFAULT 1 REFERENCES collections(id),
        title TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        media_type TEXT NOT NULL,
        source_name TEXT NOT NULL DEFAULT '',
        metadata TEXT NOT NULL DEFAULT '{}',
        char_count INTEGER NOT NULL,
        chunk_count INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (collection_id, content_hash)
    );
    INSERT INTO documents_v7 (rowid, id, collection_id, title, content_hash, media_type,
            source_name, metadata, char_count, chunk_count, created_at)
        SELECT rowid, id, 1, title, content_hash, media_type, source_name, metadata,
            char_count, chunk_count, created_at FROM documents;
    DROP TABLE documents;
    ALTER TABLE documents_v7 RENAME TO documents;
    CREATE INDEX documents_created ON documents(created_at, rowid);
    CREATE INDEX documents_collection ON documents(collection_id, created_at, rowid);
    ALTER TABLE jobs ADD COLUMN collection TEXT NOT NULL DEFAULT 'default';
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        last_used_at TEXT
    );
    CREATE TABLE key_collections (
        key_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        PRIMARY KEY (key_id, collection_id)
    ) WITHOUT ROWID;
    CREATE INDEX key_collections_collection ON key_collections(collection_id);
    """,
    # 8: where each chunk is in its source file (page, slide, sheet and rows: src/places.py),
    # as JSON (chunks stored before it have no place: {}); and the pages a job reads by OCR.
    """
    ALTER TABLE chunks ADD COLUMN place TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE jobs ADD COLUMN pages_total INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN pages_read INTEGER NOT NULL DEFAULT 0;
    """,
    # 9: sources (the client's stable name for a document) and their versions. A source names
    # at most one document per collection; content-hash dedupe stays for documents without
    # one (a sourced document is its own identity, whatever else holds the same text). SQLite
    # drops a table constraint only by copying the table, rowids kept as in 7.
    """
    CREATE TABLE documents_v9 (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        collection_id INTEGER NOT NULL DEFAULT 1 REFERENCES collections(id),
        title TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        media_type TEXT NOT NULL,
        source_name TEXT NOT NULL DEFAULT '',
        metadata TEXT NOT NULL DEFAULT '{}',
        char_count INTEGER NOT NULL,
        chunk_count INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        version INTEGER NOT NULL DEFAULT 1
    );
    INSERT INTO documents_v9 (rowid, id, collection_id, title, content_hash, media_type,
            source_name, metadata, char_count, chunk_count, created_at)
        SELECT rowid, id, collection_id, title, content_hash, media_type, source_name, metadata,
            char_count, chunk_count, created_at FROM documents;
    DROP TABLE documents;
    ALTER TABLE documents_v9 RENAME TO documents;
    CREATE INDEX documents_created ON documents(created_at, rowid);
    CREATE INDEX documents_collection ON documents(collection_id, created_at, rowid);
    CREATE INDEX documents_hash ON documents(collection_id, content_hash);
    CREATE UNIQUE INDEX documents_unsourced ON documents(collection_id, content_hash)
        WHERE source = '';
    CREATE UNIQUE INDEX documents_source ON documents(collection_id, source) WHERE source <> '';
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
    # A migration may copy a table and drop the old one: with foreign keys on, the drop
    # would first delete every row that points at it (chunks cascade from documents).
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        _apply(conn, found, target)
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    return found


def _apply(conn: sqlite3.Connection, found: int, target: int) -> None:
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

"""Moving an embedded store to another embedding model (`python -m src.reindex` drives it):
new vectors are staged in the `reembedded` table batch by batch, so an interrupted run
resumes where it stopped (a run for another model starts over), and until the last batch
the store keeps serving the old model's vectors, whole. The switch is one transaction:
every vector replaced and the new model recorded together; the dense index file is then
removed, and the next open rebuilds it from the new vectors."""

from __future__ import annotations

from pathlib import Path

from src.errors import StoreError
from src.models import Matrix
from src.store.properties import EmbeddingSpace, space_properties
from src.store.sqlite.connection import SQLiteFile, store_file

TARGET = "reindex_target"  # the space a staged run is for, in `properties`


class Reembedding:
    def __init__(self, folder: Path) -> None:
        path = store_file(folder)
        if not path.is_file():
            raise StoreError(f"no store at {path}", hint="check RAG_STORAGE_DIR")
        self._file = SQLiteFile(path)

    def close(self) -> None:
        self._file.close()

    def start(self, space: EmbeddingSpace) -> None:
        """Keep what an interrupted run for the same model staged; drop anything else."""
        conn = self._file.reader()
        staged_for = conn.execute("SELECT value FROM properties WHERE name = ?", (TARGET,))
        found = staged_for.fetchone()
        if found and found[0] == str(space):
            return
        with self._file.transaction() as writer:
            writer.execute("DELETE FROM reembedded")
            writer.execute("INSERT OR REPLACE INTO properties VALUES (?, ?)", (TARGET, str(space)))

    def counts(self) -> tuple[int, int]:
        """(chunks staged, chunks in the store)."""
        conn = self._file.reader()
        staged = conn.execute("SELECT count(*) FROM reembedded").fetchone()[0]
        return int(staged), int(conn.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def unstaged(self, limit: int) -> list[tuple[int, str, str]]:
        """(chunk id, document title, text) of up to `limit` chunks not staged yet."""
        return (
            self._file.reader()
            .execute(
                "SELECT c.id, d.title, c.text FROM chunks c "
                "JOIN documents d ON d.rowid = c.doc_rowid "
                "WHERE c.id NOT IN (SELECT chunk_id FROM reembedded) ORDER BY c.id LIMIT ?",
                (limit,),
            )
            .fetchall()
        )

    def stage(self, chunk_ids: list[int], vectors: Matrix) -> None:
        with self._file.transaction() as conn:
            conn.executemany(
                "INSERT INTO reembedded (chunk_id, embedding) VALUES (?, ?)",
                ((i, v.tobytes()) for i, v in zip(chunk_ids, vectors, strict=True)),
            )

    def switch(self, space: EmbeddingSpace) -> None:
        with self._file.transaction() as conn:
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
            conn.executemany(
                "INSERT OR REPLACE INTO properties (name, value) VALUES (?, ?)",
                space_properties(space).items(),
            )
            conn.execute("DELETE FROM reembedded")
            conn.execute("DELETE FROM properties WHERE name = ?", (TARGET,))
        dense = self._file.path.with_name(self._file.path.stem + ".hnsw")
        for stale in (dense, dense.with_name(dense.name + ".json")):
            stale.unlink(missing_ok=True)

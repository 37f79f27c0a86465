"""Copy a knowledge base between stores: an embedded SQLite store into Postgres (moving to
several replicas), or Postgres into a SQLite store (a backup you can run anywhere).

    python -m src.transfer ./rag_local_storage postgresql://user:pass@host:5432/rag
    python -m src.transfer postgresql://user:pass@host:5432/rag ./backup_storage

Documents keep their ids, creation times, metadata, chunks and embeddings: nothing is
embedded again, so the target holds the source's embedding model (a target that holds
another model's vectors is refused). Each document is copied in one transaction and a
document the target already holds (same content hash) is skipped, so a run that stopped
half-way is resumed by running it again, and running it twice copies nothing twice. Into
an empty database the HNSW index is built once at the end rather than row by row. The run
ends with a check that every source document is in the target with all its chunks.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass

from src.config import get_settings
from src.errors import RagError, StoreError
from src.store import Location, Store, StoreOptions, open_store, recorded_space, shown
from src.store.properties import EmbeddingSpace
from src.wiring import load_segmenter

PAGE = 500
log = logging.getLogger("rag.transfer")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Copied:
    documents: int  # copied by this run
    skipped: int  # already in the target
    chunks: int  # copied by this run


def open_location(location: Location, space: EmbeddingSpace | None) -> Store:
    """The store at a storage folder or a Postgres URL; `space`: the model its vectors are
    of (None: as recorded; a store that records none is refused as a source)."""
    if space is None:
        space = recorded_space(location)
    if space is None:
        raise StoreError(f"{shown(location)} records no embedding model: nothing to copy")
    options = StoreOptions(space.dimension, space.model, load_segmenter(get_settings()))
    return open_store(location, options).store


def transfer(source: Store, target: Store, progress: Progress | None = None) -> Copied:
    _copy_catalog(source, target)
    if target.counts()[0] == 0:
        with target.bulk_copy():  # a database builds its dense index once, at the end
            done = _copy(source, target, progress)
    else:
        done = _copy(source, target, progress)
    verify(source, target)
    return done


def _copy_catalog(source: Store, target: Store) -> None:
    """Collections, then the keys scoped to them: what is there already is kept."""
    for collection in source.catalog.list_collections():
        target.catalog.copy_collection(collection)
    for key, key_hash in source.catalog.export_keys():
        target.catalog.copy_key(key, key_hash)


def _copy(source: Store, target: Store, progress: Progress | None) -> Copied:
    total = source.counts()[0]
    copied = skipped = chunks = 0
    for record, rows, embeddings in source.export_documents():
        created = target.put_document(record, rows, embeddings).created
        copied, skipped = copied + created, skipped + (not created)
        chunks += len(rows) if created else 0
        if progress:
            progress(copied + skipped, total)
    return Copied(copied, skipped, chunks)


def _chunk_counts(store: Store) -> dict[tuple[str, str], int]:
    """Chunks by (collection, content hash): what one document is in any store."""
    counts: dict[tuple[str, str], int] = {}
    offset = 0
    while page := store.list_documents(PAGE, offset)[0]:
        counts.update(((r.collection, r.content_hash), r.chunk_count) for r in page)
        offset += len(page)
    return counts


def verify(source: Store, target: Store) -> None:
    """Every source document is in the target, with as many chunks."""
    wanted, held = _chunk_counts(source), _chunk_counts(target)
    missing = [h for h, n in wanted.items() if held.get(h) != n]
    if missing:
        raise StoreError(
            f"{len(missing)} of {len(wanted)} documents are missing from the target or differ "
            f"in chunks (first: collection {missing[0][0]}, content hash {missing[0][1]})",
            hint="run the same command again: it copies what is missing",
        )


def _bar(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} documents")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m src.transfer", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("source", help="a storage folder (RAG_STORAGE_DIR) or a postgresql:// URL")
    parser.add_argument("target", help="a storage folder or a postgresql:// URL")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        source = open_location(args.source, None)
        target = open_location(args.target, source.space)
        try:
            done = transfer(source, target, _bar)
        finally:
            source.close()
            target.close()
    except RagError as exc:
        print(
            f"transfer: error: {exc.message}" + (f" ({exc.hint})" if exc.hint else ""),
            file=sys.stderr,
        )
        return 1
    print(
        f"{done.documents} documents ({done.chunks} chunks) copied, {done.skipped} already there; "
        f"{shown(args.target)} holds every document of {shown(args.source)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

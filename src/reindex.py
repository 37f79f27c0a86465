"""Switch a store to another embedding model: every chunk re-embedded with the configured
model (RAG_EMBEDDING_*, or the local model RAG_LOCAL_MODEL names; unset, a new store's
default), the same way ingestion embeds it.

    python -m src.reindex          # with the service stopped; same settings as the service

New vectors are staged in the store's `reembedded` table, batch by batch: an interrupted run
resumes where it stopped (a run for another model starts over), and until the last batch the
store keeps serving the old model's vectors, whole. The switch itself is one transaction:
every vector replaced and the new model recorded together. The dense index file is then
removed, and the next start rebuilds it from the new vectors.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

import numpy as np

from src.config import Settings, get_settings
from src.embedding import Embedder
from src.errors import RagError, StoreError
from src.ingest import embedded_text, title_prefix
from src.store import EmbeddingSpace, recorded_space
from src.store.sqlite.reembedding import Reembedding
from src.wiring import load_embedder

BATCH = 256
log = logging.getLogger("rag.reindex")
Progress = Callable[[int, int], None]


def reindex(settings: Settings, progress: Progress | None = None) -> int:
    """Re-embed every chunk of the store in settings.storage_dir; returns how many."""
    if settings.postgres:
        raise StoreError(
            "reindex works on the embedded store, and RAG_DATABASE_URL names a database",
            hint="copy the database to a storage folder (python -m src.transfer URL DIR), "
            "reindex there with RAG_STORAGE_DIR=DIR, then copy it into an empty database",
        )
    run = Reembedding(settings.storage_dir)
    try:
        embedder = load_embedder(settings)
        space = EmbeddingSpace(embedder.name, embedder.dimension)
        run.start(space)
        _stage_all(run, embedder, progress)
        run.switch(space)
        return run.counts()[1]
    finally:
        run.close()


def _stage_all(run: Reembedding, embedder: Embedder, progress: Progress | None) -> None:
    prefixes: dict[str, str] = {}
    while rows := run.unstaged(BATCH):
        texts = [embedded_text(_prefix(prefixes, embedder, title), text) for _, title, text in rows]
        vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
        run.stage([row[0] for row in rows], vectors)
        if progress:
            progress(*run.counts())


def _prefix(cache: dict[str, str], embedder: Embedder, title: str) -> str:
    if title not in cache:
        cache[title] = title_prefix(embedder, title)[0]
    return cache[title]


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = get_settings()
    try:
        before = _recorded(settings)
        total = reindex(settings, lambda done, total: log.info("re-embedded %d/%d", done, total))
    except RagError as exc:
        print(f"reindex: error: {exc.message}" + (f" ({exc.hint})" if exc.hint else ""))
        return 1
    print(f"reindex: {total} chunks re-embedded; {before} -> the configured model")
    return 0


def _recorded(settings: Settings) -> str:
    try:
        return str(recorded_space(settings.storage_dir) or "no recorded model")
    except StoreError:
        return "nothing"


if __name__ == "__main__":
    sys.exit(main())

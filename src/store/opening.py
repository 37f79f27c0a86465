"""Opening a store by where it is: a storage folder (the embedded SQLite store) or a
postgresql:// URL. The service, `python -m src.transfer` and `python -m src.reindex` all
open stores here."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from src.errors import StoreError
from src.store.base import LocalJobs, SharedJobs, Store
from src.store.catalog import Catalog
from src.store.postgres.database import Database, redacted
from src.store.postgres.jobs import PostgresJobs
from src.store.postgres.migrations import migrate
from src.store.postgres.store import PostgresStore
from src.store.postgres.store import recorded_space as database_space
from src.store.properties import EmbeddingSpace, space_of
from src.store.sqlite.ann import AnnParams
from src.store.sqlite.connection import SQLiteFile, store_file
from src.store.sqlite.jobs import SQLiteJobs
from src.store.sqlite.owner import OwnerLock
from src.store.sqlite.store import SQLiteStore
from src.text.segmentation import Segmenter

Location = str | Path


@dataclass(frozen=True)
class StoreOptions:
    dimension: int
    model: str | None = None  # recorded by the first open and checked by every later one
    segmenter: Segmenter | None = None
    ef_search: int = 256  # how wide the dense index's walk is
    dense_exact: bool = False  # the embedded store scans every vector instead
    save_seconds: float = 60.0  # how often the embedded store saves its dense index
    pool_size: int = 4  # connections to a database
    bulk_load: bool = False  # the embedded store's indexes are brought up to date at next open
    # The service's own open: it takes the embedded store's owner lock, and stands by while
    # another process holds it (src/store/sqlite/owner.py). Tools open stores without it.
    owned: bool = False


@dataclass(frozen=True)
class Backend:
    """An open store, and the job records kept beside it: `local_jobs` when this process
    runs its jobs, `shared_jobs` when a queue in the database serves every replica."""

    store: Store
    where: str
    local_jobs: LocalJobs | None = None
    shared_jobs: SharedJobs | None = None
    owner: OwnerLock | None = None  # the embedded store's, when opened by the service

    def close(self) -> None:
        if self.owner is not None:
            self.owner.stop_waiting()
        self.store.close()
        if self.owner is not None:  # only now: the next owner may save the indexes
            self.owner.release()


def is_database(location: Location) -> bool:
    return str(location).startswith(("postgresql://", "postgres://"))


def shown(location: Location) -> str:
    """The location as it may be printed: a URL without its password."""
    return redacted(str(location)) if is_database(location) else str(location)


def open_store(location: Location, options: StoreOptions) -> Backend:
    if is_database(location):
        return _open_database(str(location), options)
    path = store_file(Path(location))
    ann = AnnParams(
        options.dimension, expansion_search=options.ef_search, exact=options.dense_exact
    )
    owner = OwnerLock(path.parent) if options.owned else None
    try:
        store = SQLiteStore(
            path,
            options.dimension,
            ann,
            options.save_seconds,
            options.bulk_load,
            options.segmenter,
            options.model,
            standby=owner is not None and not owner.acquire(),
        )
    except BaseException:
        if owner is not None:
            owner.release()
        raise
    return Backend(store, str(path), local_jobs=SQLiteJobs(store.file), owner=owner)


def _open_database(url: str, options: StoreOptions) -> Backend:
    database = Database(url, options.pool_size)
    try:
        store = PostgresStore(
            database, options.dimension, options.ef_search, options.segmenter, options.model
        )
    except BaseException:
        database.close()
        raise
    return Backend(store, f"postgres {database.where}", shared_jobs=PostgresJobs(database))


def recorded_space(location: Location) -> EmbeddingSpace | None:
    """The model whose vectors the store at `location` holds, read without opening the
    store (StoreError: there is no store there)."""
    if is_database(location):
        database = Database(str(location), 1)
        try:
            return database_space(database)
        finally:
            database.close()
    path = store_file(Path(location))
    if not path.is_file():
        raise StoreError(f"no store at {path}", hint="name a RAG_STORAGE_DIR folder")
    # Read only: another process may be serving from the store (it is migrated when opened).
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return space_of(dict(conn.execute("SELECT name, value FROM properties")))
    except sqlite3.OperationalError:  # older than the properties: no model recorded
        return None
    finally:
        conn.close()


@contextmanager
def opened_catalog(location: Location) -> Iterator[Catalog]:
    """The collections and keys of the store at `location` (created and migrated if need
    be), without its search indexes: for tools that run beside the service."""
    if is_database(location):
        database = Database(str(location), 1)
        try:
            with database.connection() as conn:
                migrate(conn)
            yield Catalog(database.connection, database.transaction, "%s")
        finally:
            database.close()
        return
    file = SQLiteFile(store_file(Path(location)))
    try:
        yield Catalog(lambda: nullcontext(file.reader()), file.transaction, "?")
    finally:
        file.close()

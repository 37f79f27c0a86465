"""Storage behind one contract (src/store/base.py), its rules written once
(src/store/core.py), in two backends: the embedded SQLite store (src/store/sqlite/) and
Postgres with pgvector (src/store/postgres/). Open one with `open_store`."""

from src.store.base import Documents, LocalJobs, Search, SharedJobs, Store
from src.store.opening import (
    Backend,
    Location,
    StoreOptions,
    is_database,
    open_store,
    opened_catalog,
    recorded_space,
    shown,
)
from src.store.properties import EmbeddingSpace

__all__ = [
    "Backend",
    "Documents",
    "EmbeddingSpace",
    "LocalJobs",
    "Location",
    "Search",
    "SharedJobs",
    "Store",
    "StoreOptions",
    "is_database",
    "open_store",
    "opened_catalog",
    "recorded_space",
    "shown",
]

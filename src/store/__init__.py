"""Storage behind one interface (`Store`); the embedded default is SQLite."""

from src.store.base import Store
from src.store.sqlite import SQLiteStore

__all__ = ["SQLiteStore", "Store"]

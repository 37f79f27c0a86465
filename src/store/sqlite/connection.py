"""The embedded store's SQLite file: one writer at a time (a lock around a dedicated
connection), any number of readers on their own connections (WAL lets readers keep answering
while a document is written). The store, its jobs and `python -m src.reindex` all write
through `SQLiteFile.transaction`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from src.errors import STANDBY_HINT, StandbyRefusedError, StorageFullError, StoreError
from src.store.sqlite.migrations import LATEST_VERSION, migrate, schema_version

STORE_FILE = "rag.sqlite3"
log = logging.getLogger("rag.store")


def store_file(folder: Path) -> Path:
    """Where the store of a storage folder (RAG_STORAGE_DIR) keeps its rows."""
    return folder / STORE_FILE


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")  # durable across process crashes in WAL mode
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


@contextmanager
def disk_full_as_error() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_FULL:
            raise
        raise StorageFullError(
            "the store's disk is full: nothing was stored",
            hint="free space on the volume that holds RAG_STORAGE_DIR, then retry",
        ) from exc


def _check_current(conn: sqlite3.Connection, path: Path) -> None:
    found = schema_version(conn)
    if found != LATEST_VERSION:
        conn.close()
        raise StandbyRefusedError(
            f"the store at {path} is at schema version {found}, this version needs "
            f"{LATEST_VERSION}",
            hint=STANDBY_HINT,
        )


class SQLiteFile:
    def __init__(self, path: Path, standby: bool = False) -> None:
        """Open (creating it if needed) and migrate the file at `path`. `standby`: another
        process serves from the file: it must exist and need no migration."""
        if standby and not path.is_file():
            raise StandbyRefusedError(f"there is no store at {path} yet", hint=STANDBY_HINT)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._writer = connect(path)
            if standby:
                _check_current(self._writer, path)
            else:
                migrate(self._writer)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        self.path = path
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()

    def reader(self) -> sqlite3.Connection:
        """This thread's read connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    @contextmanager
    def transaction(
        self, on_rollback: list[Callable[[], None]] | None = None
    ) -> Iterator[sqlite3.Connection]:
        """A write transaction. `on_rollback`: what the caller appends there is called if
        the transaction rolls back, before the next writer may begin (it undoes what was
        done beside the file, under ids that the next writer may be handed again)."""
        with self._write_lock, disk_full_as_error():
            self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
                self._writer.execute("COMMIT")
            except BaseException:
                # SQLite may already have rolled back (a full disk can do that); a COMMIT
                # that failed leaves the transaction open.
                if self._writer.in_transaction:
                    self._writer.execute("ROLLBACK")
                for undo in reversed(on_rollback or []):
                    try:
                        undo()
                    except Exception:  # the first failure is the one to report
                        log.exception("undoing beside a rolled-back transaction failed")
                raise

    def close(self) -> None:
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        with self._write_lock:
            self._writer.close()

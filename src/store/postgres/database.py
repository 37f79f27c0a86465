"""A Postgres database behind a connection pool, as the Postgres store and its job queue use
it: every statement inside a transaction, and a database that cannot be reached always
surfacing as one error (StoreUnavailableError: 503), never as a driver exception.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import psycopg
from psycopg.abc import Buffer
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.string import StrDumperUnknown
from psycopg_pool import ConnectionPool, PoolTimeout

from src.errors import StorageFullError, StoreUnavailableError
from src.models import Matrix

Connection = psycopg.Connection[tuple[Any, ...]]
# How long a request waits for a pooled connection (or a new one) before answering 503.
CONNECT_TIMEOUT_S = 5
# A pooled connection idle for longer is probed before use.
CHECK_AFTER_IDLE_S = 2.0
log = logging.getLogger("rag.postgres")


def redacted(url: str) -> str:
    """Where the database is, for logs and messages: user, host, port and database, never
    the password (the URL's or a `password=` option's)."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<an unparsable RAG_DATABASE_URL>"
    user = params.get("user", "")
    where = (
        f"{params.get('host', 'localhost')}:{params.get('port', 5432)}/{params.get('dbname', '')}"
    )
    return f"{user}@{where}" if user else where


def vector_literal(vector: Matrix) -> str:
    """pgvector's text form of one embedding."""
    return "[" + ",".join(map(repr, np.asarray(vector, dtype=np.float32).tolist())) + "]"


def parse_vector(text: str) -> Matrix:
    return np.array(text[1:-1].split(","), dtype=np.float32)


class _NulSafeStr(StrDumperUnknown):
    """Strings as parameters, with U+FFFD for NUL: no Postgres text can hold a NUL (SQLite
    stores them, so older stores carry some), and a NUL a client sends in an id or a filter
    must find nothing rather than fail the statement. U+FFFD keeps every offset."""

    def dump(self, obj: str) -> Buffer | None:
        return super().dump(obj.replace("\x00", "\ufffd"))


def _configure(conn: Connection) -> None:
    conn.adapters.register_dumper(str, _NulSafeStr)


class Database:
    def __init__(self, url: str, pool_size: int) -> None:
        self.where = redacted(url)
        params = conninfo_to_dict(url)
        params.setdefault("connect_timeout", str(CONNECT_TIMEOUT_S))
        params.setdefault("application_name", "rag-api")
        self._pool: ConnectionPool[Connection] = ConnectionPool(
            make_conninfo("", **params),
            min_size=1,
            max_size=pool_size,
            timeout=CONNECT_TIMEOUT_S,
            check=self._check,
            configure=_configure,
            kwargs={"autocommit": True},
            open=False,
            name="rag-api",
        )
        self._used: weakref.WeakKeyDictionary[Connection, float] = weakref.WeakKeyDictionary()
        self._pool.open(wait=False)

    def close(self) -> None:
        self._pool.close()

    def _check(self, conn: Connection) -> None:
        """Probe a pooled connection before it is handed out (one that an outage broke is
        replaced), unless it answered moments ago: a probe is a round trip per request. A
        database restart within those moments costs one request a 503, and then every
        connection is probed (see _errors_mapped)."""
        if time.monotonic() - self._used.get(conn, 0.0) > CHECK_AFTER_IDLE_S:
            ConnectionPool.check_connection(conn)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A pooled connection in autocommit mode: each statement its own transaction (one
        round trip), for reads and for work that runs its own transactions."""
        with self._errors_mapped(), self._pool.connection() as conn:
            yield conn
            self._used[conn] = time.monotonic()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A pooled connection inside one transaction: committed when the block ends,
        rolled back when it raises."""
        with self.connection() as conn, conn.transaction():
            yield conn

    @contextmanager
    def _errors_mapped(self) -> Iterator[None]:
        try:
            yield
        except psycopg.errors.DiskFull as exc:  # an OperationalError too: caught first
            raise StorageFullError(
                "the database's disk is full: nothing was stored",
                hint="free space on the database server, then retry",
            ) from exc
        except (psycopg.OperationalError, PoolTimeout) as exc:
            # Whatever broke this connection (a restart, a failover) may have broken the
            # others in the pool too: each is probed before its next use.
            self._used.clear()
            raise StoreUnavailableError(
                f"the database at {self.where} cannot be reached: {_first_line(exc)}",
                hint="retry when GET /ready answers 200; nothing was stored",
            ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]

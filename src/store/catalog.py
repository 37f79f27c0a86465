"""Collections (knowledge bases) and API keys, kept in the store's own database so every
replica sharing it sees the same ones. The SQL is written once for both backends: each hands
over its connections and its placeholder. Keys are stored as hashes only (src/keys.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from src.errors import ConflictError, LimitExceededError
from src.models import CollectionRecord, KeyRecord
from src.store.rows import iso, no_collection, now

Connect = Callable[[], AbstractContextManager[Any]]
DEFAULT_COLLECTION = "default"
# How many collections and keys one store holds at most: every list of them stays bounded.
MAX_COLLECTIONS = 10_000
MAX_KEYS = 10_000

_COLLECTION_STATS = (
    "SELECT k.name, k.description, k.created_at, count(d.id), coalesce(sum(d.chunk_count), 0) "
    "FROM collections k LEFT JOIN documents d ON d.collection_id = k.id"
)
_KEY_SELECT = "SELECT id, name, role, created_at, last_used_at FROM api_keys"


def _check_room(conn: Any, table: str, limit: int, hint: str) -> None:
    held = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    if held >= limit:
        what = table.replace("api_", "")
        raise LimitExceededError(
            f"the store holds {held:,} {what}; the limit is {limit:,}", hint=hint
        )


def _collection(row: Sequence[Any]) -> CollectionRecord:
    return CollectionRecord(row[0], row[1], iso(row[2]), int(row[3]), int(row[4]))


class Catalog:
    def __init__(self, reading: Connect, writing: Connect, param: str) -> None:
        self._reading = reading
        self._writing = writing
        self._p = param

    # -- collections -----------------------------------------------------------------------

    def create_collection(self, name: str, description: str) -> CollectionRecord:
        p = self._p
        with self._writing() as conn:
            _check_room(conn, "collections", MAX_COLLECTIONS, "delete collections no longer used")
            cursor = conn.execute(
                "INSERT INTO collections (name, description, created_at) "
                f"VALUES ({p}, {p}, {p}) ON CONFLICT (name) DO NOTHING",
                (name, description, now()),
            )
            if cursor.rowcount == 0:
                raise ConflictError(
                    f"a collection named {name!r} exists already", hint="choose another name"
                )
        return self.get_collection(name)

    def list_collections(self, names: tuple[str, ...] | None = None) -> list[CollectionRecord]:
        """Every collection (or those of `names` that exist), by name, with their sizes."""
        where, params = "", names or ()
        if names is not None:
            if not names:
                return []
            where = f" WHERE k.name IN ({', '.join([self._p] * len(names))})"
        sql = f"{_COLLECTION_STATS}{where} GROUP BY k.id, k.name, k.description, k.created_at"
        with self._reading() as conn:
            rows = conn.execute(sql + " ORDER BY k.name", params).fetchall()
        return [_collection(row) for row in rows]

    def get_collection(self, name: str) -> CollectionRecord:
        found = self.list_collections((name,))
        if not found:
            raise no_collection(name)
        return found[0]

    def collection_names(self) -> set[str]:
        with self._reading() as conn:
            return {row[0] for row in conn.execute("SELECT name FROM collections").fetchall()}

    def describe_collection(self, name: str, description: str) -> CollectionRecord:
        with self._writing() as conn:
            cursor = conn.execute(
                f"UPDATE collections SET description = {self._p} WHERE name = {self._p}",
                (description, name),
            )
            if cursor.rowcount == 0:
                raise no_collection(name)
        return self.get_collection(name)

    def delete_collection(self, name: str) -> None:
        """Delete an empty collection, its jobs' records and every key's scope on it."""
        p = self._p
        with self._writing() as conn:
            found = conn.execute(f"SELECT id FROM collections WHERE name = {p}", (name,)).fetchone()
            if found is None:
                raise no_collection(name)
            held = conn.execute(
                f"SELECT count(*) FROM documents WHERE collection_id = {p}", (found[0],)
            ).fetchone()[0]
            if held:
                raise ConflictError(
                    f"the collection {name!r} holds {held} documents",
                    hint="delete them first, or delete with ?force=true",
                )
            conn.execute(f"DELETE FROM jobs WHERE collection = {p}", (name,))
            conn.execute(f"DELETE FROM key_collections WHERE collection_id = {p}", (found[0],))
            conn.execute(f"DELETE FROM collections WHERE id = {p}", (found[0],))

    def copy_collection(self, record: CollectionRecord) -> None:
        """Create a collection copied from another store, unless it exists (a transfer)."""
        with self._writing() as conn:
            conn.execute(
                "INSERT INTO collections (name, description, created_at) "
                f"VALUES ({self._p}, {self._p}, {self._p}) ON CONFLICT (name) DO NOTHING",
                (record.name, record.description, record.created_at),
            )

    # -- keys ------------------------------------------------------------------------------

    def create_key(self, record: KeyRecord, key_hash: str) -> KeyRecord:
        p = self._p
        with self._writing() as conn:
            _check_room(conn, "api_keys", MAX_KEYS, "revoke keys no longer used")
            ids = self._collection_ids(conn, record.collections)
            conn.execute(
                "INSERT INTO api_keys (id, name, role, key_hash, created_at) "
                f"VALUES ({p}, {p}, {p}, {p}, {p})",
                (record.id, record.name, record.role, key_hash, record.created_at),
            )
            for collection_id in ids:
                conn.execute(
                    f"INSERT INTO key_collections (key_id, collection_id) VALUES ({p}, {p})",
                    (record.id, collection_id),
                )
        return record

    def _collection_ids(self, conn: Any, names: tuple[str, ...]) -> list[int]:
        ids = []
        for name in names:
            row = conn.execute(
                f"SELECT id FROM collections WHERE name = {self._p}", (name,)
            ).fetchone()
            if row is None:
                raise no_collection(name)
            ids.append(int(row[0]))
        return ids

    def export_keys(self) -> list[tuple[KeyRecord, str]]:
        """Every key with its hash (a transfer carries keys to the other store)."""
        with self._reading() as conn:
            hashes = dict(conn.execute("SELECT id, key_hash FROM api_keys").fetchall())
        return [(record, hashes[record.id]) for record in self.list_keys() if record.id in hashes]

    def copy_key(self, record: KeyRecord, key_hash: str) -> None:
        """Store a key copied from another store, unless it is there (collections first)."""
        p = self._p
        with self._writing() as conn:
            ids = self._collection_ids(conn, record.collections)
            created = conn.execute(
                "INSERT INTO api_keys (id, name, role, key_hash, created_at, last_used_at) "
                f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}) ON CONFLICT (id) DO NOTHING",
                (
                    record.id,
                    record.name,
                    record.role,
                    key_hash,
                    record.created_at,
                    record.last_used_at,
                ),
            )
            for collection_id in ids if created.rowcount else ():
                conn.execute(
                    f"INSERT INTO key_collections (key_id, collection_id) VALUES ({p}, {p})",
                    (record.id, collection_id),
                )

    def list_keys(self) -> list[KeyRecord]:
        with self._reading() as conn:
            rows = conn.execute(f"{_KEY_SELECT} ORDER BY created_at, id").fetchall()
            return [self._key(conn, row) for row in rows]

    def key_by_hash(self, key_hash: str) -> KeyRecord | None:
        with self._reading() as conn:
            row = conn.execute(f"{_KEY_SELECT} WHERE key_hash = {self._p}", (key_hash,)).fetchone()
            return self._key(conn, row) if row else None

    def _key(self, conn: Any, row: Sequence[Any]) -> KeyRecord:
        scope = conn.execute(
            "SELECT k.name FROM key_collections s JOIN collections k ON k.id = s.collection_id "
            f"WHERE s.key_id = {self._p} ORDER BY k.name",
            (row[0],),
        ).fetchall()
        used = iso(row[4]) if row[4] is not None else None
        return KeyRecord(row[0], row[1], row[2], tuple(r[0] for r in scope), iso(row[3]), used)

    def delete_key(self, key_id: str) -> bool:
        """Revoke a key; False: there was none with that id."""
        with self._writing() as conn:
            cursor = conn.execute(f"DELETE FROM api_keys WHERE id = {self._p}", (key_id,))
            return bool(cursor.rowcount)

    def touch_key(self, key_id: str) -> None:
        with self._writing() as conn:
            conn.execute(
                f"UPDATE api_keys SET last_used_at = {self._p} WHERE id = {self._p}",
                (now(), key_id),
            )

    def key_count(self) -> int:
        with self._reading() as conn:
            return int(conn.execute("SELECT count(*) FROM api_keys").fetchone()[0])

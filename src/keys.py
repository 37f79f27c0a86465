"""API keys managed by the service: made here, shown once, stored as a SHA-256 hash only
(a key is 256 random bits, so a fast hash is as good as a slow one and costs nothing per
request), verified on every request and revoked at once.

Every replica keeps what it verified for CACHE_SECONDS, so a key revoked through another
replica is refused everywhere within that; the replica that revokes it forgets it at once.
Keys in RAG_API_KEYS stay admin keys. With no key anywhere the service is open.

`python -m src.keys create --role admin` makes the first key of a store (see main() below).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import hmac
import json
import logging
import secrets
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from src.access import CONFIGURED, Access, Role
from src.audit import audit
from src.errors import InvalidInputError, NotFoundError, RagError
from src.models import KeyRecord
from src.store.catalog import Catalog
from src.store.rows import now

KEY_PREFIX = "rag_"
CACHE_SECONDS = 1.0
# last_used_at is written at most this often per key and replica: not one write per request.
TOUCH_SECONDS = 60.0
MAX_CACHED = 10_000
MAX_SCOPE = 100  # collections one key may be scoped to


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches_configured(presented: str, configured: tuple[str, ...]) -> bool:
    # Compared with every key, always, so timing says nothing about which one nearly matched.
    matched = False
    for key in configured:
        matched |= hmac.compare_digest(presented.encode(), key.encode())
    return matched


def access_of(record: KeyRecord) -> Access:
    role = Role(record.role)
    scope = None if role is Role.ADMIN else frozenset(record.collections)
    return Access(record.id, record.name, role, scope)


def no_key(key_id: str) -> NotFoundError:
    return NotFoundError(f"no key with id {key_id!r}", hint="GET /v1/keys lists the keys")


class KeyRing:
    def __init__(
        self,
        catalog: Catalog,
        configured: tuple[str, ...],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._catalog = catalog
        self._configured = configured
        self._clock = clock
        self._lock = threading.Lock()
        self._verified: dict[str, tuple[Access, float]] = {}  # hash: (access, until)
        self._touched: dict[str, float] = {}
        self._open: tuple[bool, float] = (False, 0.0)

    # -- checking a request ----------------------------------------------------------------

    def open_known(self) -> bool | None:
        """is_open() when it is known without reading the store, else None."""
        if self._configured:
            return False
        found, until = self._open
        return found if self._clock() < until else None

    def is_open(self) -> bool:
        """No key configured and none stored: every request is let in (checked again at
        most every CACHE_SECONDS, so a key made on another replica closes this one too)."""
        known = self.open_known()
        if known is not None:
            return known
        found = self._catalog.key_count() == 0
        self._open = (found, self._clock() + CACHE_SECONDS)
        return found

    def cached(self, presented: str) -> Access | None:
        """The key's rights if they are known without reading the store."""
        if matches_configured(presented, self._configured):
            return CONFIGURED
        entry = self._verified.get(key_hash(presented))
        if entry is not None and self._clock() < entry[1]:
            return entry[0]
        return None

    def verify(self, presented: str) -> Access | None:
        """The key's rights, or None for a key that is not (or no longer) valid."""
        known = self.cached(presented)
        if known is not None:
            return known
        digest = key_hash(presented)
        record = self._catalog.key_by_hash(digest)
        if record is None:
            return None
        access = access_of(record)
        with self._lock:
            if len(self._verified) >= MAX_CACHED:
                self._verified.clear()
            self._verified[digest] = (access, self._clock() + CACHE_SECONDS)
        self._touch(record.id)
        return access

    def _touch(self, key_id: str) -> None:
        moment = self._clock()
        if moment - self._touched.get(key_id, -TOUCH_SECONDS) >= TOUCH_SECONDS:
            self._touched[key_id] = moment
            self._catalog.touch_key(key_id)

    def forget(self) -> None:
        """Drop every verified key: the next request of each reads the store again."""
        with self._lock:
            self._verified.clear()
        self._open = (False, 0.0)

    # -- managing keys ---------------------------------------------------------------------

    def create(
        self, access: Access, name: str, role: Role, collections: tuple[str, ...]
    ) -> tuple[KeyRecord, str]:
        """A new key: its record and the key itself, which is never shown again."""
        access.require_admin("making a key")
        scope = _scope(role, collections)
        secret = new_secret()
        record = KeyRecord("key_" + secrets.token_hex(8), name, role.value, scope, now())
        self._catalog.create_key(record, key_hash(secret))
        self._open = (False, 0.0)
        audit(access, "key.create", ",".join(scope), target_key=record.id, role=role.value)
        return record, secret

    def records(self, access: Access) -> list[KeyRecord]:
        access.require_admin("listing keys")
        return self._catalog.list_keys()

    def revoke(self, access: Access, key_id: str) -> None:
        access.require_admin("revoking a key")
        if not self._catalog.delete_key(key_id):
            raise no_key(key_id)
        self.forget()
        audit(access, "key.delete", target_key=key_id)


def _scope(role: Role, collections: tuple[str, ...]) -> tuple[str, ...]:
    unique = tuple(sorted(set(collections)))
    if role is Role.ADMIN:
        if unique:
            raise InvalidInputError(
                "an admin key reaches every collection: send no 'collections' for it",
                hint="scope a reader or writer key to collections instead",
            )
        return ()
    if not unique:
        raise InvalidInputError(
            f"a {role.value} key needs at least one collection in 'collections'"
        )
    if len(unique) > MAX_SCOPE:
        raise InvalidInputError(
            f"a key may be scoped to at most {MAX_SCOPE} collections; got {len(unique)}"
        )
    return unique


# -- the command line: python -m src.keys ---------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m src.keys",
        description="Make, list and revoke API keys of the configured store "
        "(RAG_STORAGE_DIR, or RAG_DATABASE_URL when set).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="make a key and print it (shown only once)")
    create.add_argument("--name", default="admin", help="who or what the key is for")
    create.add_argument("--role", choices=[r.value for r in Role], default=Role.ADMIN.value)
    create.add_argument(
        "--collection", action="append", default=[], help="a collection it reaches (repeat)"
    )
    commands.add_parser("list", help="list the keys (never the keys themselves)")
    revoke = commands.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    return parser


def run(ring: KeyRing, command: str, options: dict[str, Any]) -> Any:
    """What one command returns, for main() to print."""
    operator = Access("cli", "python -m src.keys", Role.ADMIN)
    if command == "create":
        role = Role(options["role"])
        record, secret = ring.create(operator, options["name"], role, tuple(options["collection"]))
        return {**dataclasses.asdict(record), "key": secret}
    if command == "list":
        return [dataclasses.asdict(record) for record in ring.records(operator)]
    ring.revoke(operator, options["key_id"])
    return {"revoked": options["key_id"]}


def main(argv: list[str] | None = None) -> int:
    from src.config import get_settings
    from src.store import opened_catalog
    from src.wiring import store_location

    args = vars(_parser().parse_args(argv))
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        with opened_catalog(store_location(get_settings())) as catalog:
            result = run(KeyRing(catalog, ()), args.pop("command"), args)
    except RagError as exc:
        print(f"error: {exc.message}" + (f" ({exc.hint})" if exc.hint else ""), file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Who is asking and what they may touch: the role and collections of the key a request
presented. The service checks every read and write against it; nothing outside a key's
collections is ever read for it, and an id it may not read is answered exactly as an id
that does not exist."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from src.errors import ForbiddenError, InvalidInputError

# A collection's name: a short slug, usable in a model id ("rag-api/hr") and a URL.
COLLECTION_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class Role(StrEnum):
    READER = "reader"  # retrieve, ask, list and read documents of its collections
    WRITER = "writer"  # and upload and delete there
    ADMIN = "admin"  # everything: every collection, collections and keys included


@dataclass(frozen=True)
class Access:
    """A request's rights. `collections` None: every collection (admin keys only)."""

    key_id: str
    key_name: str
    role: Role
    collections: frozenset[str] | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def reads(self, collection: str) -> bool:
        return self.collections is None or collection in self.collections

    def writes(self, collection: str) -> bool:
        return self.role is not Role.READER and self.reads(collection)

    def readable(self) -> tuple[str, ...] | None:
        """The collections it may read, sorted (None: every one)."""
        return None if self.collections is None else tuple(sorted(self.collections))

    def require_admin(self, what: str) -> None:
        if not self.is_admin:
            raise ForbiddenError(
                f"{what} needs an admin key; this key is a {self.role.value}",
                hint="ask an admin of this service",
            )

    def require_write(self, collection: str) -> None:
        """403 unless it may write to `collection` (which exists)."""
        if not self.writes(collection):
            raise ForbiddenError(
                f"this key ({self.role.value}) may not write to the collection {collection!r}",
                hint="use a writer or admin key scoped to that collection",
            )

    def require_read(self, collection: str) -> None:
        """403 unless it may read `collection` (which exists)."""
        if not self.reads(collection):
            raise ForbiddenError(
                f"this key may not read the collection {collection!r}",
                hint="GET /v1/collections lists the collections this key may read",
            )


# Who a request is when the service has no key configured anywhere: it is open.
OPEN = Access("", "anonymous (no key configured)", Role.ADMIN)
# A key from RAG_API_KEYS: an admin key, as every key was before roles.
CONFIGURED = Access("env", "RAG_API_KEYS", Role.ADMIN)


def check_collection_name(name: str) -> str:
    if not COLLECTION_NAME.fullmatch(name):
        raise InvalidInputError(
            f"{name[:80]!r} is not a collection name",
            hint="use 1 to 63 lowercase letters, digits, '-' or '_', starting with a letter "
            "or digit",
        )
    return name

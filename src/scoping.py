"""Collections (knowledge bases) as a request sees them: which ones it may read or write,
the ones a search covers, and managing them (admin keys only). Every rule here answers a
collection a key may not read exactly as one that does not exist, except where a request
names it to search or write: then 403, never a silent drop."""

from __future__ import annotations

import contextlib
import dataclasses

from src.access import Access, check_collection_name
from src.audit import audit
from src.errors import InvalidInputError, NotFoundError
from src.keys import KeyRing
from src.models import CollectionRecord, Filters, Hit
from src.store import Store
from src.store.rows import no_collection

MAX_DESCRIPTION_CHARS = 2_000
# OpenAI-compatible model ids: MODEL answers from every collection the key may read,
# MODEL/<name> from that collection only.
MODEL = "rag-api"
MAX_SEARCHED = 100  # collections one request may name


class Collections:
    def __init__(self, store: Store, keys: KeyRing) -> None:
        self._store = store
        self._catalog = store.catalog
        self._keys = keys

    # -- reading ---------------------------------------------------------------------------

    def readable(self, access: Access) -> list[CollectionRecord]:
        return self._catalog.list_collections(access.readable())

    def get(self, access: Access, name: str) -> CollectionRecord:
        if not access.reads(name):
            raise no_collection(name)
        return self._catalog.get_collection(name)

    def model_ids(self, access: Access) -> list[str]:
        return [MODEL, *(f"{MODEL}/{c.name}" for c in self.readable(access))]

    @staticmethod
    def of_model(model: str) -> tuple[str, ...] | None:
        """The collections a chat model id names (None: every one the key may read; any
        other id is taken as MODEL, so clients that send their own keep working)."""
        prefix = f"{MODEL}/"
        return (model[len(prefix) :],) if model.startswith(prefix) else None

    def searched(self, access: Access, names: list[str] | None) -> tuple[str, ...] | None:
        """The collections a search covers: those named (404 for one that does not exist,
        403 for one the key may not read), else every one it may read (None: all)."""
        if names is None:
            return access.readable()
        if len(names) > MAX_SEARCHED:
            raise InvalidInputError(
                f"'collections' names {len(names)} collections; the limit is {MAX_SEARCHED}"
            )
        existing = self._catalog.collection_names()
        for name in names:
            if name not in existing:
                raise no_collection(name)
            access.require_read(name)
        return tuple(dict.fromkeys(names))

    def scope(self, access: Access, filters: Filters | None) -> Filters:
        """The filters with their collections checked (or set to every one the key reads)."""
        filters = filters or Filters()
        named = None if filters.collections is None else list(filters.collections)
        return dataclasses.replace(filters, collections=self.searched(access, named))

    @staticmethod
    def visible(access: Access, hits: list[Hit]) -> list[Hit]:
        """Hits the key may read: the store searched only those, this says so twice."""
        return [hit for hit in hits if access.reads(hit.collection)]

    def writable(self, access: Access, name: str) -> str:
        """`name` if the key may write there (404: no such collection; 403: not allowed)."""
        if name not in self._catalog.collection_names():
            raise no_collection(name)
        access.require_write(name)
        return name

    # -- managing (admin) ------------------------------------------------------------------

    def create(self, access: Access, name: str, description: str) -> CollectionRecord:
        access.require_admin("making a collection")
        record = self._catalog.create_collection(
            check_collection_name(name), _description(description)
        )
        audit(access, "collection.create", name)
        return record

    def describe(self, access: Access, name: str, description: str) -> CollectionRecord:
        access.require_admin("changing a collection")
        return self._catalog.describe_collection(name, _description(description))

    def delete(self, access: Access, name: str, force: bool) -> int:
        """Delete a collection (refused while it holds documents, unless `force`: then they
        go first, from every index); how many documents went with it."""
        access.require_admin("deleting a collection")
        if name == "default":
            raise InvalidInputError(
                "the collection 'default' cannot be deleted: uploads without a collection go there",
                hint="delete its documents instead",
            )
        deleted = 0  # an unknown name has no documents; delete_collection answers its 404
        while force and (ids := self._store.document_ids(name)):
            for document_id in ids:
                with contextlib.suppress(NotFoundError):  # deleted meanwhile
                    self._store.delete_document(document_id)
                    audit(access, "document.delete", name, document=document_id)
            deleted += len(ids)
        self._catalog.delete_collection(name)
        self._keys.forget()
        audit(access, "collection.delete", name, documents=deleted)
        return deleted


def _description(text: str) -> str:
    if len(text) > MAX_DESCRIPTION_CHARS:
        raise InvalidInputError(
            f"the description is {len(text):,} characters; the limit is {MAX_DESCRIPTION_CHARS:,}"
        )
    return text

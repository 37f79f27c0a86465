"""The audit trail: one structured log line per create or delete of a document, a collection
or a key, saying who (the key's name and id, never the key), what and where."""

from __future__ import annotations

import json
import logging

from src.access import Access

log = logging.getLogger("rag.audit")


def audit(access: Access, action: str, collection: str = "", **what: str | int) -> None:
    entry = {
        "audit": action,
        "key_id": access.key_id,
        "key_name": access.key_name,
        "collection": collection,
        **what,
    }
    log.info("%s", json.dumps(entry, ensure_ascii=False, sort_keys=True))

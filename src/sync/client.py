"""The few calls a sync makes to the service's HTTP API."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

PAGE = 500
JOB_POLL_S = 0.5
JOB_WAIT_S = 3600.0


@dataclass(frozen=True)
class Remote:
    """A synced document as the service holds it."""

    id: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    kind: str  # added, replaced, unchanged or refused
    reason: str = ""


class SyncError(Exception):
    """The service could not be used at all (unreachable, a wrong key): the sync stops."""


class ApiClient:
    def __init__(self, base_url: str, key: str = "", timeout_s: float = 600.0) -> None:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def synced(self, prefix: str, collection: str) -> dict[str, Remote]:
        """Every document of the collection whose source begins with `prefix`."""
        found: dict[str, Remote] = {}
        offset = 0
        while True:
            params: dict[str, Any] = {"source_prefix": prefix, "collection": collection}
            page = self._json(
                "GET", "/v1/documents", params={**params, "limit": PAGE, "offset": offset}
            )
            for item in page["items"]:
                found[item["source"]] = Remote(item["id"], item["metadata"])
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return found

    def upload(
        self, name: str, data: bytes, source: str, collection: str, metadata: dict[str, Any]
    ) -> Outcome:
        import json

        form = {"source": source, "collection": collection, "metadata": json.dumps(metadata)}
        response = self._send("POST", "/v1/documents", files=[("files", (name, data))], data=form)
        if response.status_code == 202:
            return self._finished(response.json()["status_url"])
        if response.status_code in (200, 201):
            return _outcome(response.json()["documents"][0])
        return Outcome("refused", _reason(response))

    def delete(self, source: str, collection: str) -> Outcome:
        response = self._send(
            "DELETE", "/v1/documents", params={"source": source, "collection": collection}
        )
        if response.status_code in (204, 404):  # 404: deleted meanwhile
            return Outcome("removed")
        return Outcome("refused", _reason(response))

    def _finished(self, status_url: str) -> Outcome:
        deadline = time.monotonic() + JOB_WAIT_S
        while time.monotonic() < deadline:
            job = self._json("GET", status_url)
            if job["status"] == "succeeded":
                return _outcome(job["documents"][0])
            if job["status"] == "failed":
                return Outcome("refused", job["error"])
            time.sleep(JOB_POLL_S)
        return Outcome("refused", f"its job did not finish within {JOB_WAIT_S:g} s")

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        if response.status_code != 200:
            raise SyncError(f"{method} {path}: {_reason(response)}")
        return response.json()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise SyncError(f"cannot reach the service: {exc}") from exc
        if response.status_code in (401, 403) and method == "GET":
            raise SyncError(f"the service refused the key: {_reason(response)}")
        return response


def _outcome(document: dict[str, Any]) -> Outcome:
    if document.get("duplicate"):
        return Outcome("unchanged")
    return Outcome("replaced" if document.get("replaced") else "added")


def _reason(response: httpx.Response) -> str:
    try:
        error = response.json()["error"]
        return f"HTTP {response.status_code}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}: {response.text[:200]}"

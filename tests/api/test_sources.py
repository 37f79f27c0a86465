"""Sources through the HTTP API: an upload named by a source replaces that source's live
version; list and delete by source; the limits on a source."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from documents import mail

from src.sources import MAX_SOURCE_CHARS


def _upload(
    http: httpx.Client, source: str, text: str, name: str = "handbook.txt"
) -> httpx.Response:
    files = [("files", (name, text.encode(), "text/plain"))]
    return http.post("/v1/documents", files=files, data={"source": source})


def _document(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    document: dict[str, Any] = response.json()["documents"][0]
    return document


def _hits(http: httpx.Client, query: str) -> list[dict[str, Any]]:
    response = http.post("/v1/retrieve", json={"query": query, "top_k": 10})
    hits: list[dict[str, Any]] = response.json()["results"]
    return hits


def test_upload_with_source_replaces_its_previous_version(client: httpx.Client) -> None:
    source, marker = f"drive/{uuid.uuid4().hex}/handbook.txt", uuid.uuid4().hex
    first = _document(_upload(client, source, f"Leave policy {marker}: twenty days a year."))
    replaced = _upload(client, source, f"Leave policy {marker}: twenty-five days a year.")
    assert replaced.status_code == 201
    second = _document(replaced)
    assert (first["version"], second["version"]) == (1, 2)
    assert second["replaced"] == first["id"] and second["source"] == source
    assert client.get(f"/v1/documents/{first['id']}").status_code == 404
    listed = client.get("/v1/documents", params={"source": source}).json()
    assert [d["id"] for d in listed["items"]] == [second["id"]] and listed["total"] == 1
    texts = [h["text"] for h in _hits(client, f"leave policy {marker}") if marker in h["text"]]
    assert texts and all("twenty-five" in t for t in texts)


def test_upload_same_source_same_content_is_a_duplicate(client: httpx.Client) -> None:
    source, text = f"wiki/{uuid.uuid4().hex}", f"Parking rules {uuid.uuid4().hex}."
    first = _document(_upload(client, source, text))
    again = _upload(client, source, text)
    assert again.status_code == 200
    document = _document(again)
    assert document["duplicate"] is True and document["id"] == first["id"]
    assert document["version"] == 1 and document["replaced"] is None


def test_json_text_with_source_replaces_and_delete_by_source(client: httpx.Client) -> None:
    source = f"ticket-{uuid.uuid4().hex}"
    body = {"text": f"Ticket {source}: printer jams.", "source": source}
    first = _document(client.post("/v1/documents", json=body))
    body["text"] += " Fixed by replacing the roller."
    second = _document(client.post("/v1/documents", json=body))
    assert second["replaced"] == first["id"] and second["version"] == 2
    deleted = client.delete("/v1/documents", params={"source": source})
    assert deleted.status_code == 204
    assert client.get(f"/v1/documents/{second['id']}").status_code == 404
    again = client.delete("/v1/documents", params={"source": source})
    assert again.status_code == 404 and source in again.json()["error"]["message"]


def test_upload_source_over_its_limits_is_422_naming_them(client: httpx.Client) -> None:
    long = _upload(client, "x" * (MAX_SOURCE_CHARS + 1), "text")
    assert long.status_code == 422 and str(MAX_SOURCE_CHARS) in long.text
    control = client.post("/v1/documents", json={"text": "t", "source": "a\u202eb"})
    assert control.status_code == 422 and "control characters" in control.text
    files = [("files", (f"{n}.txt", b"two files", "text/plain")) for n in range(2)]
    two = client.post("/v1/documents", files=files, data={"source": "one-name"})
    assert two.status_code == 422 and "one document" in two.text
    listed = client.get("/v1/documents", params={"source": "x" * (MAX_SOURCE_CHARS + 1)})
    assert listed.status_code == 422


def test_mail_with_source_replaces_its_attachments_too(client: httpx.Client) -> None:
    source, marker = f"mail/{uuid.uuid4().hex}.eml", uuid.uuid4().hex
    attachment = ("notes.txt", f"Attached notes {marker}, first draft.".encode())
    first = client.post(
        "/v1/documents",
        files=[
            (
                "files",
                ("m.eml", mail(f"Status {marker}", "Body one.", [attachment]), "message/rfc822"),
            )
        ],
        data={"source": source},
    ).json()["documents"]
    changed = ("notes.txt", f"Attached notes {marker}, final.".encode())
    second = client.post(
        "/v1/documents",
        files=[
            ("files", ("m.eml", mail(f"Status {marker}", "Body two.", [changed]), "message/rfc822"))
        ],
        data={"source": source},
    ).json()["documents"]
    assert [d["source"] for d in second] == [source, f"{source}#attachment=notes.txt"]
    assert [d["replaced"] for d in second] == [d["id"] for d in first]
    texts = [h["text"] for h in _hits(client, f"attached notes {marker}") if marker in h["text"]]
    assert texts and not any("first draft" in t for t in texts)
    third = client.post(
        "/v1/documents",
        files=[("files", ("m.eml", mail(f"Status {marker}", "No notes now."), "message/rfc822"))],
        data={"source": source},
    ).json()["documents"]
    assert len(third) == 1 and third[0]["replaced"] == second[0]["id"]
    assert client.get(f"/v1/documents/{second[1]['id']}").status_code == 404
    listed = client.get("/v1/documents", params={"source": f"{source}#attachment=notes.txt"})
    assert listed.json()["total"] == 0


def test_delete_by_source_deletes_its_attachments_too(client: httpx.Client) -> None:
    source, marker = f"mail/{uuid.uuid4().hex}.eml", uuid.uuid4().hex
    attachment = ("plan.txt", f"Plan {marker}.".encode())
    stored = client.post(
        "/v1/documents",
        files=[
            (
                "files",
                ("m.eml", mail(f"Plan {marker}", "See plan.", [attachment]), "message/rfc822"),
            )
        ],
        data={"source": source},
    ).json()["documents"]
    assert len(stored) == 2
    assert client.delete("/v1/documents", params={"source": source}).status_code == 204
    for document in stored:
        assert client.get(f"/v1/documents/{document['id']}").status_code == 404

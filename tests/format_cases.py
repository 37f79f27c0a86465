"""A file of each supported format, with a sentence to look for and where it must be found:
shared by the HTTP tests from source (tests/api/test_formats.py) and on the image
(tests/ragctl/test_compose.py)."""

from __future__ import annotations

import datetime
import textwrap
import uuid
from collections.abc import Callable
from typing import Any

import documents
import httpx
import outlook
from helpers import upload_files

Case = tuple[bytes, str, Callable[[dict[str, Any]], bool]]


def _pdf(marker: str) -> Case:
    pages = [documents.filler(1), "Walruses haul out on sea ice to rest. " + documents.filler(2)]
    pages += [documents.filler(3) + marker]
    return (
        documents.pdf_pages(pages),
        "walruses haul out on sea ice",
        lambda p: covers(p, "page", 2),
    )


def _pptx(marker: str) -> Case:
    slides = [
        (f"Agenda {marker}", documents.filler(4), ""),
        ("Budget", "Travel spending fell by a third", "Thank the finance team"),
        ("Outlook", documents.filler(5), ""),
    ]
    return (
        documents.deck(slides),
        "travel spending fell by a third",
        lambda p: covers(p, "slide", 2),
    )


def _xlsx(marker: str) -> Case:
    rows: list[list[object]] = [["Species", "Habitat", "Counted"]]
    rows += [[f"Bird {n} {marker}", documents.filler(n, 40), n] for n in range(2, 40)]
    rows[30] = ["Narwhal", "arctic fjords", datetime.date(2026, 7, 9)]
    query = "Species: Narwhal Habitat: arctic fjords"
    return documents.workbook({"Survey": rows}), query, lambda p: _has_row(p, "Survey", 31)


def _csv(marker: str) -> Case:
    rows = [["city", "landmark"]]
    rows += [[f"Town {n} {marker}", documents.filler(n, 40)] for n in range(2, 40)]
    rows[20] = ["Rome", "colosseum arena"]
    query = "city: Rome landmark: colosseum arena"
    return documents.csv_text(rows), query, lambda p: _has_row(p, None, 21)


def covers(place: dict[str, Any], key: str, number: int) -> bool:
    """The passage's place runs over `number` (page 2, or pages 1-2)."""
    return bool(place[key] <= number <= (place.get(f"{key}_end") or place[key]))


def _has_row(place: dict[str, Any], sheet: str | None, row: int) -> bool:
    first, last = place["rows"]
    return place.get("sheet") == sheet and first <= row <= last


def _epub(marker: str) -> Case:
    chapters = [
        ("One", documents.filler(6) + marker),
        ("Two", "The lighthouse keeper lit the lamp. " + documents.filler(7)),
        ("Three", documents.filler(8)),
    ]
    query = "lighthouse keeper lit the lamp"
    return documents.ebook(chapters, "Tales"), query, lambda p: covers(p, "chapter", 2)


def _no_place(place: dict[str, Any]) -> bool:
    return not place


def _json(marker: str) -> Case:
    data = f'{{"server": {{"region": "eu-north", "owner": "platform {marker}"}}}}'.encode()
    return data, "server.region eu-north", _no_place


def _docx(marker: str) -> Case:
    data = documents.docx_paragraphs([f"Glaciers calve icebergs {marker}."])
    return data, "glaciers calve icebergs", _no_place


def _odt(marker: str) -> Case:
    return (
        documents.odt([f"Beavers build dams {marker}."], "Rivers"),
        "beavers build dams",
        _no_place,
    )


def _lines(text: str, width: int = 70) -> list[str]:
    return textwrap.wrap(text, width)


def _scan(marker: str) -> Case:
    lines = ["Moss grows on the north side of the old chapel.", f"Reference {marker}."]
    return (
        documents.scan(lines, fmt="JPEG"),
        "moss grows on the north side of the chapel",
        _no_place,
    )


def _scanned_pdf(marker: str) -> Case:
    pages = [
        _lines(documents.filler(13) + " " + marker),
        _lines("The bell tower was rebuilt after the storm. " + documents.filler(14)),
        _lines(documents.filler(15)),
    ]
    query = "bell tower was rebuilt after the storm"
    return documents.scanned_pdf(pages), query, lambda p: covers(p, "page", 2)


def _msg(marker: str) -> Case:
    sent = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)
    body = f"The harbour crane is out of service until Friday. {marker}"
    data = outlook.message("Crane", body, "Port Office <port@example.com>", sent)
    return data, "harbour crane out of service", _no_place


FORMATS: dict[str, Callable[[str], Case]] = {
    "report.pdf": _pdf,
    "deck.pptx": _pptx,
    "survey.xlsx": _xlsx,
    "cities.csv": _csv,
    "tales.epub": _epub,
    "config.json": _json,
    "notes.docx": _docx,
    "rivers.odt": _odt,
    "note.jpg": _scan,
    "scanned.pdf": _scanned_pdf,
    "crane.msg": _msg,
}


def assert_found_at_place(http: httpx.Client, name: str, collection: str) -> None:
    """Upload the case's file into `collection`; its sentence must come back first, from that
    document, at the case's place (with a label when there is one)."""
    data, query, at_place = FORMATS[name](uuid.uuid4().hex[:10])
    files = {"files": (name, data)}
    document = upload_files(http, files, data={"collection": collection})[0]
    body = {"query": query, "top_k": 1, "collections": [collection]}
    hit = http.post("/v1/retrieve", json=body).json()["results"][0]
    assert hit["document_id"] == document["id"], (name, hit)
    place = {key: value for key, value in (hit["place"] or {}).items() if value is not None}
    assert at_place(place), (name, place)
    assert bool(place) == bool(place.get("label"))

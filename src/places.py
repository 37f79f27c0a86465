"""Where a passage is in its source file: the page, slide, sheet and rows, chapter or mail part.

A parser reports the place of each section it reads as a *mark*: from this character offset
of the document's text on, the text is at this place. A chunk's place is then worked out from
the marks it overlaps: the place it starts at, and how far it runs (pages 87-88, rows 12-30).
Places are small JSON objects, stored with each chunk and returned with each hit.
"""

from __future__ import annotations

import bisect
from typing import Any

Place = dict[str, Any]
Mark = tuple[int, Place]  # (character offset, the place of the text from there on)

# Numbered places whose run a chunk reports as `<key>_end` when it crosses into another.
_NUMBERED = ("page", "slide", "chapter")


def place_of(marks: list[Mark], start: int, end: int) -> Place:
    """The place of the text [start, end): where it starts, and where it runs to."""
    if not marks:
        return {}
    offsets = [offset for offset, _ in marks]
    first = max(bisect.bisect_right(offsets, start) - 1, 0)
    last = max(bisect.bisect_left(offsets, end) - 1, first)
    return _spanning(marks[first][1], marks[last][1])


def _spanning(first: Place, last: Place) -> Place:
    place = {key: value for key, value in first.items() if key != "row"}
    for key in _NUMBERED:
        if key in first and last.get(key, first[key]) != first[key]:
            place[f"{key}_end"] = last[key]
    if "row" in first:
        same_sheet = last.get("sheet") == first.get("sheet") and "row" in last
        place["rows"] = [first["row"], last["row"] if same_sheet else first["row"]]
    return place


def describe(place: Place) -> str:
    """The place as a reader would write it: "p. 87", "slides 3-4", "Sales, rows 2-9"."""
    parts = [
        _run(place, "page", "p.", "pp."),
        _run(place, "slide", "slide", "slides"),
        _run(place, "chapter", "chapter", "chapters"),
        _rows(place),
        str(place.get("part", "")),
    ]
    return ", ".join(part for part in parts if part)


def _run(place: Place, key: str, one: str, many: str) -> str:
    if key not in place:
        return ""
    if f"{key}_end" in place:
        return f"{many} {place[key]}\u2013{place[f'{key}_end']}"
    return f"{one} {place[key]}"


def _rows(place: Place) -> str:
    sheet = str(place.get("sheet", ""))
    rows = place.get("rows")
    if not rows:
        return sheet
    shown = f"row {rows[0]}" if rows[0] == rows[1] else f"rows {rows[0]}\u2013{rows[1]}"
    return f"{sheet}, {shown}" if sheet else shown

from __future__ import annotations

from src.places import Mark, describe, place_of

PAGES: list[Mark] = [(0, {"page": 1}), (100, {"page": 2}), (250, {"page": 3})]
ROWS: list[Mark] = [
    (0, {"sheet": "Q3", "row": 2}),
    (40, {"sheet": "Q3", "row": 3}),
    (80, {"sheet": "Q4", "row": 2}),
]


def test_place_of_chunk_within_one_page_is_that_page() -> None:
    assert place_of(PAGES, 120, 240) == {"page": 2}


def test_place_of_chunk_across_pages_runs_to_the_last() -> None:
    assert place_of(PAGES, 50, 260) == {"page": 1, "page_end": 3}


def test_place_of_chunk_ending_where_a_page_begins_stays_on_its_page() -> None:
    assert place_of(PAGES, 0, 100) == {"page": 1}


def test_place_of_rows_gives_the_row_range_within_a_sheet() -> None:
    assert place_of(ROWS, 0, 79) == {"sheet": "Q3", "rows": [2, 3]}


def test_place_of_rows_across_sheets_keeps_the_first_sheet() -> None:
    assert place_of(ROWS, 41, 90) == {"sheet": "Q3", "rows": [3, 3]}


def test_place_of_text_without_marks_is_empty() -> None:
    assert place_of([], 0, 10) == {}


def test_describe_writes_places_as_readers_do() -> None:
    assert describe({"page": 87}) == "p. 87"
    assert describe({"page": 87, "page_end": 88}) == "pp. 87\u201388"
    assert describe({"slide": 3}) == "slide 3"
    assert describe({"sheet": "Sales", "rows": [2, 9]}) == "Sales, rows 2\u20139"
    assert describe({"rows": [4, 4]}) == "row 4"
    assert describe({"part": "body"}) == "body"
    assert describe({}) == ""

"""Excel workbooks: each row as `column: value` lines at its sheet and row."""

from __future__ import annotations

import datetime

import documents
import pytest

from src.errors import LimitExceededError
from src.parsing import ParseLimits, extract_text

SALES = [
    ["Region", "Revenue", "Closed"],
    ["North", 1200, datetime.date(2026, 3, 31)],
    ["South", 950.5, datetime.date(2026, 4, 2)],
]
STAFF = [["Name", "Team"], ["Ada", "Research"], [None, None], ["Grace", "Compilers"]]


def _book() -> bytes:
    return documents.workbook({"Sales": SALES, "Staff": STAFF}, title="Ledger")


def test_extract_xlsx_writes_each_row_under_its_column_names() -> None:
    parsed = extract_text(_book(), ".xlsx")
    assert parsed.title == "Ledger"
    assert "Sales, row 2\nRegion: North\nRevenue: 1200\nClosed: 2026-03-31" in parsed.text
    assert "Revenue: 950.5" in parsed.text
    assert "Staff, row 4\nName: Grace\nTeam: Compilers" in parsed.text


def test_extract_xlsx_marks_sheet_and_row_and_skips_empty_rows() -> None:
    parsed = extract_text(_book(), ".xlsx")
    rows = [(place["sheet"], place["row"]) for _, place in parsed.marks]
    assert rows == [
        ("Sales", 1),
        ("Sales", 2),
        ("Sales", 3),
        ("Staff", 1),
        ("Staff", 2),
        ("Staff", 4),
    ]


def test_extract_xlsx_over_row_limit_is_refused() -> None:
    with pytest.raises(LimitExceededError, match="more than 4 rows"):
        extract_text(_book(), ".xlsx", ParseLimits(table_max_rows=4))


def test_extract_xlsx_over_column_limit_is_refused() -> None:
    wide = documents.workbook({"Wide": [list(range(50))]})
    with pytest.raises(LimitExceededError, match="more than 20 columns"):
        extract_text(wide, ".xlsx", ParseLimits(table_max_columns=20))

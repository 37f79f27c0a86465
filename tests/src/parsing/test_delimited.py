"""CSV files: each row as `column: value` lines at its row, within the table limits."""

from __future__ import annotations

import documents
import pytest

from src.errors import LimitExceededError
from src.parsing import ParseLimits, extract_text

ROWS = [["city", "population"], ["Oslo", "709000"], ["Bergen", "291000"]]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_extract_csv_writes_rows_under_column_names(delimiter: str) -> None:
    parsed = extract_text(documents.csv_text(ROWS, delimiter), ".csv")
    assert "Row 3\ncity: Bergen\npopulation: 291000" in parsed.text
    assert [place for _, place in parsed.marks] == [{"row": 1}, {"row": 2}, {"row": 3}]


def test_extract_csv_with_too_many_columns_is_refused() -> None:
    wide = documents.csv_text([[f"c{i}" for i in range(100_000)]])
    with pytest.raises(LimitExceededError, match=r"more than 1,000 columns"):
        extract_text(wide, ".csv")


def test_extract_csv_with_an_oversized_cell_is_refused() -> None:
    data = documents.csv_text([["a"], ["x" * 2_000]])
    with pytest.raises(LimitExceededError, match="holds more than 1,000 characters"):
        extract_text(data, ".csv", ParseLimits(table_max_cell_chars=1_000))

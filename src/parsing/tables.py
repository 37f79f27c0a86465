"""Rows of a table (a spreadsheet's sheet, a CSV file) as sections a search can find.

A sheet's first non-empty row names its columns; every later row becomes one section of
`column: value` lines under the sheet's name, so a row is retrievable by its column names
("Region: North", "Revenue: 1200") and its place says which sheet and row it is. Rows,
columns and cells are bounded.
"""

from __future__ import annotations

from collections.abc import Iterable

from src.errors import LimitExceededError
from src.parsing.limits import ParseLimits
from src.parsing.sections import Sections


def column_letters(index: int) -> str:
    """The spreadsheet name of a 0-based column: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


class Table:
    """One sheet's rows, added in order, written into the document's sections."""

    def __init__(self, sections: Sections, counted: RowCount, sheet: str = "") -> None:
        self._sections = sections
        self._counted = counted
        self._limits = counted.limits
        self._sheet = sheet
        self._header: list[str] = []

    def add_row(self, number: int, cells: Iterable[tuple[int, str]]) -> None:
        """Row `number` (1-based) as (0-based column, text) pairs; empty rows are skipped."""
        values = {column: text.strip() for column, text in cells if text.strip()}
        if not values:
            return
        self._counted.add()
        self._check(values)
        if not self._header:  # the column names, as a row of their own
            self._header = self._names(values)
            names = " | ".join(values.values())
            self._sections.add(f"{self._heading(number)}\n{names}", self._at(number))
            return
        lines = [f"{self._column(column)}: {text}" for column, text in values.items()]
        self._sections.add("\n".join([self._heading(number), *lines]), self._at(number))

    def _check(self, values: dict[int, str]) -> None:
        widest = max(values) + 1
        self._limits.check_count(
            widest, self._limits.table_max_columns, "columns", "RAG_TABLE_MAX_COLUMNS"
        )
        longest = max(len(text) for text in values.values())
        if longest > self._limits.table_max_cell_chars:
            raise LimitExceededError(
                f"a cell holds {longest:,} characters; the limit is "
                f"{self._limits.table_max_cell_chars:,}",
                hint="split the cell, or raise RAG_TABLE_MAX_CELL_CHARS",
            )

    @staticmethod
    def _names(values: dict[int, str]) -> list[str]:
        names = [""] * (max(values) + 1)
        for column, text in values.items():
            names[column] = " ".join(text.split())
        return names

    def _column(self, column: int) -> str:
        named = self._header[column] if column < len(self._header) else ""
        return named or column_letters(column)

    def _heading(self, number: int) -> str:
        return f"{self._sheet}, row {number}" if self._sheet else f"Row {number}"

    def _at(self, number: int) -> dict[str, object]:
        return {"sheet": self._sheet, "row": number} if self._sheet else {"row": number}


class RowCount:
    """Rows across a whole file, against RAG_TABLE_MAX_ROWS."""

    def __init__(self, limits: ParseLimits) -> None:
        self.limits = limits
        self.rows = 0

    def add(self) -> None:
        self.rows += 1
        self.limits.check_count(self.rows, self.limits.table_max_rows, "rows", "RAG_TABLE_MAX_ROWS")

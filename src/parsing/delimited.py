"""CSV and other delimited text: each row a section of `column: value` lines (src/parsing/
tables.py). The delimiter is sniffed from the first lines (comma, semicolon, tab or bar)."""

from __future__ import annotations

import csv
import io

from src.errors import InvalidInputError, LimitExceededError
from src.parsing.limits import ParseLimits
from src.parsing.sections import Parsed, Sections
from src.parsing.tables import RowCount, Table
from src.parsing.text import decode_text

_SNIFF_CHARS = 16_384


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel  # one column, or too little to tell: commas


def parse_csv(data: bytes, limits: ParseLimits) -> Parsed:
    text = decode_text(data)
    sections = Sections(limits)
    table = Table(sections, RowCount(limits))
    # A field longer than a cell may be is refused while it is read, not after.
    csv.field_size_limit(limits.table_max_cell_chars + 1)
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text[:_SNIFF_CHARS]))
    try:
        for number, row in enumerate(reader, start=1):
            limits.check_count(
                len(row), limits.table_max_columns, "columns", "RAG_TABLE_MAX_COLUMNS"
            )
            table.add_row(number, enumerate(row))
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise LimitExceededError(
                f"a cell at line {reader.line_num} holds more than "
                f"{limits.table_max_cell_chars:,} characters",
                hint="split the cell, or raise RAG_TABLE_MAX_CELL_CHARS",
            ) from exc
        raise InvalidInputError(
            f"the CSV file is malformed at line {reader.line_num}: {exc}",
            hint="check its quoting, or save it again as CSV (UTF-8)",
        ) from exc
    return sections.parsed()

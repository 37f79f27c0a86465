"""What every figure block shares: a record as a cell, a table."""

from __future__ import annotations

from bench.readme import Results
from bench.report import Record, human

MODES = ("hybrid", "dense", "keyword")
Key = tuple[str, str, str]  # scenario, variant, metric


def cell(record: Record | None) -> str:
    if record is None:
        return "not measured"
    text = human(record.value, record.unit)
    return f"{text} x{record.runs}" if record.runs > 1 else text


def _cells(results: Results, keys: list[Key]) -> str:
    return " / ".join(cell(results.get(*key)) for key in keys)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"

"""JSON and JSON Lines: every value on a line of its own after its key path
(`order.items[0].sku: A-12`), so a value is found by the names around it. A JSON document is
one section per top-level entry; a JSON Lines file is one section per record, at its row."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from src.errors import InvalidInputError, LimitExceededError
from src.parsing.limits import ParseLimits
from src.parsing.sections import Parsed, Sections
from src.parsing.text import decode_text

# Python's own recursion limit would stop a deeper document anyway, with a less clear error.
MAX_DEPTH = 200


def _lines(value: Any, path: str, depth: int = 0) -> Iterator[str]:
    if depth > MAX_DEPTH:
        raise LimitExceededError(
            f"the JSON nests deeper than {MAX_DEPTH} levels", hint="flatten the document"
        )
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _lines(item, f"{path}.{key}" if path else str(key), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _lines(item, f"{path}[{index}]", depth + 1)
    else:
        shown = value if isinstance(value, str) else json.dumps(value)
        yield f"{path}: {shown}" if path else str(shown)


def _entries(document: Any) -> Iterator[tuple[str, Any]]:
    """(key path, value) of each top-level entry: one section each."""
    if isinstance(document, dict):
        yield from ((str(key), value) for key, value in document.items())
    elif isinstance(document, list):
        yield from ((f"[{index}]", value) for index, value in enumerate(document))
    else:
        yield "", document


def _load(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise LimitExceededError(
            f"the JSON nests too deep to read{where}", hint="flatten the document"
        ) from exc
    except ValueError as exc:
        raise InvalidInputError(
            f"the file is not valid JSON{where}: {exc}", hint="check it with a JSON validator"
        ) from exc


def _add(sections: Sections, value: Any, path: str, place: dict[str, Any] | None) -> None:
    # Counted line by line: key paths repeat, so the text can outgrow the file many times.
    lines: list[str] = []
    size = 0
    for line in _lines(value, path):
        size += len(line) + 1
        sections.check_more(size)
        lines.append(line)
    sections.add("\n".join(lines), place)


def parse_json(data: bytes, limits: ParseLimits) -> Parsed:
    sections = Sections(limits)
    for path, value in _entries(_load(decode_text(data), "")):
        _add(sections, value, path, None)
    return sections.parsed()


def parse_jsonl(data: bytes, limits: ParseLimits) -> Parsed:
    sections = Sections(limits)
    for number, line in enumerate(decode_text(data).splitlines(), start=1):
        if line.strip():
            limits.check_count(number, limits.table_max_rows, "rows", "RAG_TABLE_MAX_ROWS")
            _add(sections, _load(line, f" at line {number}"), "", {"row": number})
    return sections.parsed()

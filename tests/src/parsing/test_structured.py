"""JSON and JSON Lines: values on lines after their key paths."""

from __future__ import annotations

import json

import pytest

from src.errors import InvalidInputError, LimitExceededError
from src.parsing import ParseLimits, extract_text


def test_extract_json_keeps_key_paths_with_values() -> None:
    document = {"order": {"id": 7, "items": [{"sku": "A-12", "qty": 2}]}, "paid": True}
    parsed = extract_text(json.dumps(document).encode(), ".json")
    assert (
        parsed.text == "order.id: 7\norder.items[0].sku: A-12\norder.items[0].qty: 2\n\npaid: true"
    )


def test_extract_jsonl_marks_each_record_at_its_row() -> None:
    data = b'{"name": "Ada"}\n\n{"name": "Grace"}\n'
    parsed = extract_text(data, ".jsonl")
    assert parsed.text == "name: Ada\n\nname: Grace"
    assert parsed.marks == [(0, {"row": 1}), (11, {"row": 3})]


def test_extract_json_too_deep_is_refused() -> None:
    with pytest.raises(LimitExceededError, match="nests"):
        extract_text(b"[" * 5_000 + b"]" * 5_000, ".json")


def test_extract_json_whose_paths_outgrow_the_char_limit_is_refused() -> None:
    deep = {"k" * 50: {"v" * 50: list(range(5_000))}}
    with pytest.raises(LimitExceededError, match="limit of 100,000 characters"):
        extract_text(json.dumps(deep).encode(), ".json", ParseLimits(max_chars=100_000))


def test_extract_jsonl_with_a_broken_line_names_it() -> None:
    with pytest.raises(InvalidInputError, match="at line 2"):
        extract_text(b'{"a": 1}\n{"a": \n', ".jsonl")

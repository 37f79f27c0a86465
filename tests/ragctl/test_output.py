"""The one printer `__main__` chooses: a command's Report as text, or as JSON with --json."""

from __future__ import annotations

import json

import pytest

from ragctl.errors import RagctlError
from ragctl.output import JsonPrinter, Report, TextPrinter, printer


def test_printer_picks_json_only_when_asked() -> None:
    assert isinstance(printer(True), JsonPrinter)
    assert type(printer(False)) is TextPrinter


def test_result_prints_text_or_json(capsys: pytest.CaptureFixture[str]) -> None:
    report = Report({"ok": True, "n": 2}, "all good")
    TextPrinter().result(report)
    assert capsys.readouterr().out == "all good\n"
    JsonPrinter().result(report)
    assert json.loads(capsys.readouterr().out) == {"ok": True, "n": 2}


def test_error_prints_json_on_stdout_and_text_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    JsonPrinter().error(RagctlError("broken", hint="fix it", details="why"))
    out, err = capsys.readouterr()
    assert json.loads(out) == {"error": "broken", "hint": "fix it", "details": "why"}
    assert err == "ragctl: error: broken\nragctl: hint: fix it\nwhy\n"

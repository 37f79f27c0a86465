"""Excel .xlsx workbooks: every sheet in workbook order, each row a section of
`column: value` lines at its sheet and row (src/parsing/tables.py). Cells are read from the
sheets' XML in a stream (src/parsing/package.py); shared strings, numbers, booleans, and
dates (by their cell's number format) are shown as Excel shows them, without formatting."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

from lxml import etree

from src.parsing.limits import ParseLimits
from src.parsing.package import CORE, DC_TITLE, Package, forget, read_package
from src.parsing.sections import Parsed, Sections
from src.parsing.tables import RowCount, Table

_S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_WORKBOOK = "xl/workbook.xml"
# Excel's built-in number formats that show a date or a time.
_DATE_FORMATS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_QUOTED_OR_BRACKETED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_CELL_REF = re.compile(r"^([A-Z]{1,3})")


class _Workbook:
    """What reading the sheets needs from the workbook: strings, date styles, epoch."""

    def __init__(self, package: Package) -> None:
        relations = package.relationships(_WORKBOOK)
        by_kind = {
            relation.kind.rsplit("/", 1)[-1]: relation.target for relation in relations.values()
        }
        self.sheets: list[tuple[str, str]] = []  # (name, part)
        self.epoch = datetime(1899, 12, 30)
        for event, element in package.events(_WORKBOOK):
            if event != "end":
                continue
            if element.tag == f"{_S}workbookPr" and element.get("date1904") in ("1", "true"):
                self.epoch = datetime(1904, 1, 1)
            elif element.tag == f"{_S}sheet" and (found := relations.get(element.get(_R_ID, ""))):
                self.sheets.append((element.get("name", ""), found.target))
        self.strings = _shared_strings(package, by_kind.get("sharedStrings", ""))
        self.date_styles = _date_styles(package, by_kind.get("styles", ""))


def _shared_strings(package: Package, part: str) -> list[str]:
    strings: list[str] = []
    if not part or not package.has(part):
        return strings
    pieces: list[str] = []
    phonetic = chars = 0
    for event, element in package.events(part):
        if element.tag == f"{_S}rPh":  # a reading guide above East Asian text, not the text
            phonetic += 1 if event == "start" else -1
        elif event == "end" and element.tag == f"{_S}t" and not phonetic:
            pieces.append(element.text or "")
        elif event == "end" and element.tag == f"{_S}si":
            strings.append("".join(pieces))
            chars += len(strings[-1])
            package.limits.check_chars(chars)
            pieces = []
            forget(element)
    return strings


def _is_date_code(code: str) -> bool:
    shown = _QUOTED_OR_BRACKETED.sub("", code).lower()
    return any(letter in shown for letter in "dmyhs") and "general" not in shown


def _date_styles(package: Package, part: str) -> frozenset[int]:
    """The cell style indexes (a cell's `s`) whose number format shows a date or time."""
    if not part or not package.has(part):
        return frozenset()
    custom: set[int] = set()
    styles: list[int] = []
    in_cell_formats = False
    for event, element in package.events(part):
        if element.tag == f"{_S}cellXfs":
            in_cell_formats = event == "start"
        elif event == "end" and element.tag == f"{_S}numFmt":
            if _is_date_code(element.get("formatCode", "")):
                custom.add(int(element.get("numFmtId", "0")))
        elif event == "end" and element.tag == f"{_S}xf" and in_cell_formats:
            styles.append(int(element.get("numFmtId", "0")))
    dated = _DATE_FORMATS | custom
    return frozenset(index for index, number_format in enumerate(styles) if number_format in dated)


def _number(raw: str) -> str:
    value = float(raw)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15g}"


def _date(raw: str, epoch: datetime) -> str:
    serial = float(raw)
    moment = epoch + timedelta(days=serial)
    if serial < 1:
        return moment.time().isoformat(timespec="seconds")
    if serial.is_integer():
        return moment.date().isoformat()
    return moment.isoformat(sep=" ", timespec="minutes")


class _Cells:
    """A cell's shown text, from its element once its end has been read."""

    def __init__(self, workbook: _Workbook) -> None:
        self._workbook = workbook

    def text(self, cell: etree._Element) -> str:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            return "".join(t.text or "" for t in cell.iter(f"{_S}t"))
        value = cell.findtext(f"{_S}v") or ""
        if not value:
            return ""
        if kind == "s":
            index = int(value)
            return self._workbook.strings[index] if 0 <= index < len(self._workbook.strings) else ""
        if kind == "b":
            return "TRUE" if value == "1" else "FALSE"
        if kind != "n":  # str (a formula's text), e (an error such as #DIV/0!)
            return value
        if int(cell.get("s", "0")) in self._workbook.date_styles:
            return _date(value, self._workbook.epoch)
        return _number(value)


def _column(cell: etree._Element, position: int) -> int:
    found = _CELL_REF.match(cell.get("r", ""))
    if not found:
        return position
    index = 0
    for letter in found.group(1):
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _rows(
    package: Package, part: str, cells: _Cells
) -> Iterator[tuple[int, list[tuple[int, str]]]]:
    """Each row of a sheet, in order."""
    row: list[tuple[int, str]] = []
    number = 0
    for event, element in package.events(part):
        if event == "start" and element.tag == f"{_S}row":
            number = int(element.get("r", number + 1))
            row = []
        elif event == "end" and element.tag == f"{_S}c":
            row.append((_column(element, len(row)), cells.text(element)))
            forget(element)
        elif event == "end" and element.tag == f"{_S}row":
            yield number, row
            forget(element)


def _read(package: Package) -> Parsed:
    workbook = _Workbook(package)
    cells = _Cells(workbook)
    sections = Sections(package.limits)
    counted = RowCount(package.limits)
    for name, part in workbook.sheets:
        if not package.has(part):
            continue  # a chart sheet or a dangling relationship: nothing to read
        table = Table(sections, counted, name)
        for number, row in _rows(package, part, cells):
            table.add_row(number, row)
    return sections.parsed(package.first_text(CORE, DC_TITLE))


def parse_xlsx(data: bytes, limits: ParseLimits) -> Parsed:
    return read_package(data, ".xlsx", limits, _read)

"""Zip packages of XML parts (Word, PowerPoint, Excel, EPUB, OpenDocument), read safely.

Part count, sizes and compression ratios are checked before anything is inflated, inflated
bytes are counted while reading, the XML may hold no DTD, entities are never expanded, and
libxml2's own limits stay on (nesting depth 256, text nodes 10 MB: no XML_PARSE_HUGE). Parts
are streamed as pull events and finished elements dropped, so memory stays flat however long
the file.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NamedTuple, TypeVar

from lxml import etree

from src.errors import InvalidInputError, LimitExceededError
from src.parsing.limits import MB, ParseLimits

READ_BYTES = 64 * 1024
MAX_PARTS = 10_000
_RATIO_FROM_BYTES = MB  # small parts may compress well without being bombs
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
CORE = "docProps/core.xml"  # an Office file's document properties, its title among them
Event = tuple[str, etree._Element]
T = TypeVar("T")


class Relation(NamedTuple):
    kind: str  # the relationship's type URI: ends in "/slide", "/notesSlide", ...
    target: str  # the part it points at, as a name in the package


# The part that says what a package is, and the suffix of each kind.
_MAIN_PARTS = {
    "word/document.xml": ".docx",
    "ppt/presentation.xml": ".pptx",
    "xl/workbook.xml": ".xlsx",
}
_MIMETYPES = {
    b"application/epub+zip": ".epub",
    b"application/vnd.oasis.opendocument.text": ".odt",
}


class Package:
    """An opened package of one named kind (".pptx"), its parts checked against the limits."""

    def __init__(self, archive: zipfile.ZipFile, kind: str, limits: ParseLimits) -> None:
        self.archive = archive
        self.kind = kind
        self.limits = limits
        self.names = frozenset(archive.namelist())

    def has(self, name: str) -> bool:
        return name in self.names

    def events(self, name: str) -> Iterator[Event]:
        """The part's XML as start and end events; a missing part is a corrupt file."""
        if name not in self.names:
            raise self.corrupt(f"its part {name} is missing")
        parser = etree.XMLPullParser(
            events=("start", "end"),
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            huge_tree=False,
        )
        for chunk in self.read_chunks(name):
            parser.feed(chunk)
            yield from parser.read_events()
        parser.close()
        yield from parser.read_events()

    def read_chunks(self, name: str, allow_dtd: bool = False) -> Iterator[bytes]:
        inflated = 0
        with self.archive.open(name) as part:
            while chunk := part.read(READ_BYTES):
                if not allow_dtd and (b"<!DOCTYPE" in chunk or b"<!ENTITY" in chunk):
                    raise InvalidInputError(
                        f"the {self.kind} part {name} declares a DTD, which no editor writes",
                        hint=f"re-save the file as {self.kind}",
                    )
                inflated += len(chunk)
                self.limits.check_inflated(inflated, f"the {self.kind} part {name}")
                yield chunk

    def read(self, name: str, allow_dtd: bool = False) -> bytes:
        """A whole part (HTML chapters, small XML), inflated bytes counted as it is read."""
        return b"".join(self.read_chunks(name, allow_dtd))

    def relationships(self, name: str) -> dict[str, Relation]:
        """A part's relationships to other parts by id, from its _rels file; {} if none."""
        folder, base = posixpath.split(name)
        rels = posixpath.join(folder, "_rels", f"{base}.rels")
        if rels not in self.names:
            return {}
        found = {}
        for event, element in self.events(rels):
            if event == "end" and element.tag == _REL and element.get("TargetMode") != "External":
                # An absolute target ("/xl/worksheets/sheet1.xml") is from the package root.
                target = posixpath.normpath(posixpath.join(folder, element.get("Target", "")))
                found[element.get("Id", "")] = Relation(element.get("Type", ""), target.lstrip("/"))
        return found

    def first_text(self, name: str, tag: str) -> str:
        """The text of the first `tag` element in a part ("" without the part or the tag)."""
        if name not in self.names:
            return ""
        for event, element in self.events(name):
            if event == "end" and element.tag == tag:
                return (element.text or "").strip()
        return ""

    def corrupt(self, why: str) -> InvalidInputError:
        return InvalidInputError(
            f"the {self.kind} file is corrupt or unreadable: {why}",
            hint=f"open and re-save it as {self.kind}",
        )


def forget(element: etree._Element) -> None:
    """Drop a finished element and its finished siblings: memory stays flat, since
    nothing is revisited once its end event has been read."""
    element.clear()
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def _check_archive(archive: zipfile.ZipFile, kind: str, limits: ParseLimits) -> None:
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        raise LimitExceededError(
            f"the {kind} holds {len(parts):,} parts; the limit is {MAX_PARTS:,}"
        )
    limits.check_inflated(sum(part.file_size for part in parts), f"the {kind}")
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > _RATIO_FROM_BYTES and ratio > limits.max_compression_ratio:
            raise LimitExceededError(
                f"the {kind} part {part.filename} inflates {ratio:,.0f}:1; "
                f"the limit is {limits.max_compression_ratio}:1",
                hint="this looks like a zip bomb; or raise RAG_PARSE_MAX_COMPRESSION_RATIO",
            )


def package_kind(archive: zipfile.ZipFile) -> str:
    """What a zip package really is (".docx", ".epub", ...), from its parts; "" if none."""
    names = set(archive.namelist())
    for part, kind in _MAIN_PARTS.items():
        if part in names:
            return kind
    if "mimetype" in names and archive.getinfo("mimetype").file_size < 100:
        return _MIMETYPES.get(archive.read("mimetype").strip(), "")
    return ""


def _check_kind(archive: zipfile.ZipFile, kind: str) -> None:
    found = package_kind(archive)
    if found != kind:
        really = f"a {found} file" if found else "a zip archive of no supported kind"
        raise InvalidInputError(
            f"the file is named {kind} but is {really}",
            hint=f"upload it under its own extension ({found})" if found else "",
        )


def _xml_error(exc: etree.XMLSyntaxError, kind: str) -> InvalidInputError:
    message = str(exc)
    if any(word in message for word in ("depth", "limit", "too long", "amplification")):
        return LimitExceededError(
            f"the {kind} XML is over a parser limit (nesting depth 256, text node 10 MB): "
            f"{message}",
            hint=f"re-save the file as {kind}",
        )
    return InvalidInputError(
        f"the {kind} file is corrupt or unreadable: {message}",
        hint=f"open and re-save it as {kind}",
    )


_UNREADABLE = (
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    EOFError,
    NotImplementedError,
    RuntimeError,
    OSError,
    zlib.error,
)


@contextmanager
def _errors_named(kind: str) -> Iterator[None]:
    try:
        yield
    except InvalidInputError:
        raise
    except etree.XMLSyntaxError as exc:
        raise _xml_error(exc, kind) from exc
    except _UNREADABLE as exc:
        raise InvalidInputError(
            f"the {kind} file is corrupt or unreadable: {exc}",
            hint=f"open and re-save it as {kind}",
        ) from exc


def read_package(data: bytes, kind: str, limits: ParseLimits, reader: Callable[[Package], T]) -> T:
    """`reader`'s result on the package, once it is checked to be a `kind` within the limits;
    any failure to read it is a clear error naming the kind."""
    with _errors_named(kind), zipfile.ZipFile(io.BytesIO(data)) as archive:
        _check_archive(archive, kind, limits)
        _check_kind(archive, kind)
        return reader(Package(archive, kind, limits))

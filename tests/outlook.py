"""Outlook .msg files, written the way Outlook stores them: a Compound File Binary (MS-CFB,
version 3, 512-byte sectors, small streams in the mini stream) holding the MS-OXMSG property
streams of a message and its attachments. No library on PyPI writes .msg, so the tests carry
this writer, kept to what a reader needs."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime

SECTOR = 512
MINI = 64
CUTOFF = 4096
END, FREE, FATSECT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list[_Entry] = field(default_factory=list)
    sid: int = 0
    start: int = END


def _unicode(value: str) -> bytes:
    return value.encode("utf-16-le") + b"\x00\x00"


def _filetime(moment: datetime) -> int:
    return int((moment - _FILETIME_EPOCH).total_seconds() * 10_000_000)


def _properties(header: bytes, strings: dict[int, bytes], times: dict[int, datetime]) -> bytes:
    entries = b""
    for tag, data in strings.items():
        entries += struct.pack("<IIII", tag, 6, len(data), 0)
    for tag, moment in times.items():
        entries += struct.pack("<IIQ", tag, 6, _filetime(moment))
    return header + entries


def _string_streams(props: dict[int, str]) -> tuple[list[_Entry], dict[int, bytes]]:
    streams, sizes = [], {}
    for prop, value in props.items():
        data = _unicode(value)
        tag = (prop << 16) | 0x001F
        streams.append(_Entry(f"__substg1.0_{tag:08X}", 2, data))
        sizes[tag] = data
    return streams, sizes


def _attachment(number: int, name: str, data: bytes) -> _Entry:
    streams, strings = _string_streams({0x3707: name, 0x3704: name[:8]})
    binary_tag = (0x3701 << 16) | 0x0102
    streams.append(_Entry(f"__substg1.0_{binary_tag:08X}", 2, data))
    strings[binary_tag] = data
    props = _properties(b"\x00" * 8, strings, {})
    storage = _Entry(f"__attach_version1.0_#{number:08X}", 1)
    storage.children = [_Entry("__properties_version1.0", 2, props), *streams]
    return storage


def message(
    subject: str,
    body: str,
    sender: str,
    sent: datetime,
    attachments: list[tuple[str, bytes]] | None = None,
) -> bytes:
    """A .msg of a sent mail with a plain-text body and the given attachments."""
    files = attachments or []
    name, _, address = sender.partition(" <")
    streams, strings = _string_streams(
        {
            0x001A: "IPM.Note",
            0x0037: subject,
            0x1000: body,
            0x0C1A: name,
            0x5D01: address.rstrip(">"),
            0x0E04: "team@example.com",
        }
    )
    header = struct.pack("<8sIIII8s", b"", 0, len(files), 0, len(files), b"")
    props = _properties(header, strings, {0x00390040: sent})
    root = _Entry("Root Entry", 5)
    root.children = [
        _Entry("__properties_version1.0", 2, props),
        _Entry("__nameid_version1.0", 1),
        *streams,
        *(_attachment(n, file, data) for n, (file, data) in enumerate(files)),
    ]
    return _Compound(root).write()


class _Compound:
    """Lays out a tree of storages and streams as a compound file."""

    def __init__(self, root: _Entry) -> None:
        self.entries: list[_Entry] = []
        self._number(root)
        self.root = root

    def _number(self, entry: _Entry) -> None:
        entry.sid = len(self.entries)
        self.entries.append(entry)
        for child in entry.children:
            self._number(child)

    def write(self) -> bytes:
        mini, mini_fat = self._mini_stream()
        self.root.data = mini
        sectors: list[bytes] = []
        fat: list[int] = []
        big = [e for e in self.entries if e.kind == 2 and len(e.data) >= CUTOFF]
        for entry in [self.root, *big]:
            entry.start = self._append(sectors, fat, entry.data) if entry.data else END
        mini_start = self._append(sectors, fat, _words(mini_fat)) if mini_fat else END
        directory = b"".join(self._directory_entry(e) for e in self.entries)
        directory_start = self._append(sectors, fat, directory)
        fat_sectors = self._fat_sectors(sectors, fat)
        header = self._header(fat_sectors, directory_start, mini_start, len(mini_fat))
        return header + b"".join(sectors)

    def _mini_stream(self) -> tuple[bytes, list[int]]:
        data = b""
        fat: list[int] = []
        for entry in self.entries:
            if entry.kind == 2 and len(entry.data) < CUTOFF and entry.data:
                entry.start = len(fat)
                count = -(-len(entry.data) // MINI)
                fat.extend(range(entry.start + 1, entry.start + count))
                fat.append(END)
                data += entry.data.ljust(count * MINI, b"\x00")
        return data, fat

    @staticmethod
    def _append(sectors: list[bytes], fat: list[int], data: bytes) -> int:
        start = len(sectors)
        count = max(1, -(-len(data) // SECTOR))
        for i in range(count):
            sectors.append(data[i * SECTOR : (i + 1) * SECTOR].ljust(SECTOR, b"\x00"))
            fat.append(start + i + 1 if i < count - 1 else END)
        return start

    @staticmethod
    def _fat_sectors(sectors: list[bytes], fat: list[int]) -> list[int]:
        per = SECTOR // 4
        count = 1
        while len(fat) + count > count * per:
            count += 1
        first = len(sectors)
        fat.extend([FATSECT] * count)
        table = _words(fat).ljust(count * SECTOR, b"\xff")
        sectors.extend(table[i * SECTOR : (i + 1) * SECTOR] for i in range(count))
        return list(range(first, first + count))

    def _directory_entry(self, entry: _Entry) -> bytes:
        name = entry.name.encode("utf-16-le") + b"\x00\x00"
        left, right = self._siblings(entry)
        child = self._subtree(entry.children) if entry.children else NOSTREAM
        size = len(entry.data) if entry.kind != 1 else 0
        return (
            name.ljust(64, b"\x00")
            + struct.pack("<HBB", len(name), entry.kind, 1)
            + struct.pack("<III", left, right, child)
            + b"\x00" * 16
            + struct.pack("<IQQ", 0, 0, 0)
            + struct.pack("<IQ", entry.start if entry.kind != 1 else 0, size)
        )

    def _subtree(self, children: list[_Entry]) -> int:
        """The middle child of the sorted siblings: the root of their binary search tree."""
        ordered = sorted(children, key=_order)
        return ordered[len(ordered) // 2].sid

    def _siblings(self, entry: _Entry) -> tuple[int, int]:
        for parent in self.entries:
            ordered = sorted(parent.children, key=_order)
            if entry in ordered:
                return _halves(ordered, entry)
        return NOSTREAM, NOSTREAM

    def _header(self, fat: list[int], directory: int, mini_fat: int, mini_count: int) -> bytes:
        difat = (fat + [FREE] * 109)[:109]
        return (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b"\x00" * 16
            + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
            + b"\x00" * 6
            + struct.pack("<III", 0, len(fat), directory)
            + struct.pack("<IIII", 0, CUTOFF, mini_fat, -(-mini_count * 4 // SECTOR))
            + struct.pack("<II", END, 0)
            + _words(difat)
        )


def _order(entry: _Entry) -> tuple[int, str]:
    return len(entry.name), entry.name.upper()


def _halves(ordered: list[_Entry], entry: _Entry) -> tuple[int, int]:
    """In the tree built by picking middles, an entry's left and right children."""
    low, high = 0, len(ordered)
    while low < high:
        middle = (low + high) // 2
        if ordered[middle] is entry:
            left = (low + middle) // 2 if low < middle else None
            right = (middle + 1 + high) // 2 if middle + 1 < high else None
            return (
                ordered[left].sid if left is not None else NOSTREAM,
                ordered[right].sid if right is not None else NOSTREAM,
            )
        if _order(entry) < _order(ordered[middle]):
            high = middle
        else:
            low = middle + 1
    return NOSTREAM, NOSTREAM


def _words(values: list[int]) -> bytes:
    return struct.pack(f"<{len(values)}I", *values)

"""Outlook messages (.msg: MS-OXMSG properties in a compound file, read with olefile): the
subject, sender, recipients and date, then the body (plain text, else HTML read as text),
and the attachments as a mail's (src/parsing/mail.py). Streams are bounded by size and the
attachments by count before they are read."""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime, timedelta
from typing import Any

import olefile

from src.errors import InvalidInputError
from src.parsing.limits import ParseLimits
from src.parsing.mail import readable
from src.parsing.sections import Attachment, Parsed, Sections
from src.parsing.text import parse_html

_PROPERTIES = "__properties_version1.0"
_ATTACHMENT = "__attach_version1.0_#"
_SUBMITTED, _DELIVERED = 0x0039, 0x0E06  # PidTagClientSubmitTime, PidTagMessageDeliveryTime
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_HEADERS = (("Subject", 0x0037), ("From", 0x0C1A), ("To", 0x0E04), ("Cc", 0x0E03))
MAX_STREAMS = 10_000


class _Message:
    """One storage of the compound file (the message, or an attachment) and its properties."""

    def __init__(self, ole: Any, limits: ParseLimits, path: tuple[str, ...] = ()) -> None:
        self._ole = ole
        self._limits = limits
        self._path = list(path)

    def stream(self, name: str) -> bytes | None:
        path = [*self._path, name]
        if not self._ole.exists(path):
            return None
        self._limits.check_inflated(self._ole.get_size(path), f"the .msg stream {name}")
        return bytes(self._ole.openstream(path).read())

    def text(self, prop: int) -> str:
        if (wide := self.stream(f"__substg1.0_{prop:04X}001F")) is not None:
            return wide.decode("utf-16-le", errors="replace").rstrip("\x00")
        if (narrow := self.stream(f"__substg1.0_{prop:04X}001E")) is not None:
            return narrow.decode("cp1252", errors="replace").rstrip("\x00")
        return ""

    def time(self, prop: int) -> str:
        table = self.stream(_PROPERTIES) or b""
        skip = 32 if not self._path else 8  # the message's header is longer
        for offset in range(skip, len(table) - 15, 16):
            tag, _, value = struct.unpack_from("<IIQ", table, offset)
            if tag == (prop << 16) | 0x0040 and value:
                moment = _FILETIME_EPOCH + timedelta(microseconds=value // 10)
                return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")
        return ""


def _open(data: bytes, limits: ParseLimits) -> Any:
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except (OSError, ValueError, struct.error, IndexError) as exc:
        raise InvalidInputError(
            f"the .msg file is corrupt or unreadable: {exc}", hint="save the message again"
        ) from exc
    streams = ole.listdir(streams=True, storages=False)
    limits.check_count(len(streams), MAX_STREAMS, "streams")
    if not ole.exists("__substg1.0_001A001F") and not ole.exists("__substg1.0_001A001E"):
        raise InvalidInputError(
            "the file is not an Outlook message: it has no message class",
            hint="save the message from Outlook as .msg",
        )
    return ole


def _body(message: _Message) -> str:
    if body := message.text(0x1000):
        return body
    html = message.stream("__substg1.0_10130102") or message.text(0x1013).encode()
    return parse_html(html)[0] if html else ""


def _attachments(ole: Any, limits: ParseLimits) -> list[tuple[str, bytes | None]]:
    storages = sorted({entry[0] for entry in ole.listdir() if entry[0].startswith(_ATTACHMENT)})
    limits.check_count(len(storages) + 1, limits.mail_max_parts, "MIME parts", "RAG_MAIL_MAX_PARTS")
    found = []
    for storage in storages:
        part = _Message(ole, limits, (storage,))
        name = part.text(0x3707) or part.text(0x3704) or "attachment"
        found.append((name, part.stream("__substg1.0_37010102")))  # None: an embedded mail
    return found


def parse_msg(data: bytes, limits: ParseLimits) -> Parsed:
    ole = _open(data, limits)
    try:
        message = _Message(ole, limits)
        sections = Sections(limits)
        headers = [(name, message.text(prop)) for name, prop in _HEADERS]
        headers.append(("Date", message.time(_SUBMITTED) or message.time(_DELIVERED)))
        sections.add("\n".join(f"{name}: {value}" for name, value in headers if value))
        sections.add(_body(message))
        files = _attachments(ole, limits)
        if files:
            sections.add("Attachments: " + ", ".join(name for name, _ in files))
        kept: list[Attachment] = readable(files, limits)
        return sections.parsed(message.text(0x0037), kept)
    finally:
        ole.close()

"""E-mail messages (.eml, RFC 5322 with MIME): the subject, sender, recipients and date, then
the body (its plain text, else its HTML read as text). Attachments are listed by name; those
of a supported type are handed back (within the limits) for the service to ingest as
documents of their own."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from src.errors import InvalidInputError
from src.formats import FORMATS, named_suffix
from src.parsing.limits import ParseLimits
from src.parsing.sections import Attachment, Parsed, Sections
from src.parsing.text import decode_text, parse_html

_HEADERS = ("Subject", "From", "To", "Cc", "Date")


def _message(data: bytes, limits: ParseLimits) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not any(message.get(h) for h in _HEADERS):
        raise InvalidInputError(
            "the file is not an e-mail message: it has none of the usual headers",
            hint="save the message from the mail program as .eml",
        )
    parts = sum(1 for _ in message.walk())
    limits.check_count(parts, limits.mail_max_parts, "MIME parts", "RAG_MAIL_MAX_PARTS")
    return message


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if isinstance(content, bytes):
        content = decode_text(content)
    return parse_html(content.encode())[0] if part.get_content_subtype() == "html" else content


def readable(files: list[tuple[str, bytes | None]], limits: ParseLimits) -> list[Attachment]:
    """The attachments of a supported type, to be read as documents of their own; the
    others are only listed by the mail."""
    kept: list[Attachment] = []
    inflated = 0
    for name, data in files:
        if data is None or named_suffix(name) not in FORMATS:
            continue
        inflated += len(data)
        limits.check_inflated(inflated, "the mail's attachments")
        kept.append(Attachment(name, data))
    return kept


def _attachments(message: EmailMessage) -> list[tuple[str, bytes | None]]:
    """Each attachment's name and bytes (None for an attached message)."""
    found: list[tuple[str, bytes | None]] = []
    for part in message.iter_attachments():
        data = part.get_payload(decode=True)
        found.append(
            (part.get_filename() or "attachment", data if isinstance(data, bytes) else None)
        )
    return found


def parse_eml(data: bytes, limits: ParseLimits) -> Parsed:
    """The message's headers and body, its subject as title, and its attachments."""
    message = _message(data, limits)
    sections = Sections(limits)
    headers = [f"{name}: {message[name]}" for name in _HEADERS if message.get(name)]
    sections.add("\n".join(headers))
    sections.add(_body(message))
    files = _attachments(message)
    if files:
        sections.add("Attachments: " + ", ".join(name for name, _ in files))
    return sections.parsed(str(message.get("Subject", "")), readable(files, limits))

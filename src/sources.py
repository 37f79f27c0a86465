"""Sources: a client's own stable name for a document (a path, a URL, an object key, a
ticket id), which within a collection names at most one live document. What a source may
hold, and how the parts of a document (a mail's attachments) are named under it. Light on
purpose: `python -m src.sync` imports it without the parsers."""

from __future__ import annotations

import re

from src.errors import InvalidInputError

MAX_SOURCE_CHARS = 2048
# Between a document's source and the name of a part of it: "mail.eml#attachment=a.pdf"
# (not "#" alone, which a URL source may hold as a name of its own).
PART_MARK = "#attachment="
# C0/C1 controls, and the bidi controls that can make a name display as something else
# ("invoice\u202efdp.exe" shows as "invoiceexe.pdf").
UNSAFE_LABEL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def check_source(source: str) -> str:
    """A source as given, or an InvalidInputError naming what is wrong with it."""
    if len(source) > MAX_SOURCE_CHARS:
        raise InvalidInputError(
            f"the source is {len(source)} characters long; the limit is {MAX_SOURCE_CHARS}",
            hint="name the document by a shorter path, URL or id",
        )
    if UNSAFE_LABEL.search(source) or source != source.strip():
        raise InvalidInputError(
            "the source holds control characters or leading or trailing spaces",
            hint="a source is a name such as a path, a URL or an id",
        )
    return source

"""The web page: an HTML shell at `/` and its assets at `/ui/{name}`, read from the files
shipped in the image. The shell is public and holds no data: everything it shows comes
from `/v1` with the browser's key, so the page can do nothing that `curl` cannot."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request, Response

from src.errors import NotFoundError

UI_DIR = Path(__file__).resolve().parent.parent / "ui"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Only the page's own files run or load, and nothing may frame it: text from documents is
# only ever set as text, and this is the second line of defence if that ever slips.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Revalidated on every load (a new image's page is seen at once); unchanged: 304.
    "Cache-Control": "no-cache",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str

    @classmethod
    def read(cls, path: Path) -> Asset:
        body = path.read_bytes()
        return cls(body, MEDIA_TYPES[path.suffix], f'"{hashlib.sha256(body).hexdigest()[:32]}"')

    def response(self, request: Request) -> Response:
        headers = {**SECURITY_HEADERS, "ETag": self.etag}
        if request.headers.get("if-none-match") == self.etag:
            return Response(status_code=304, headers=headers)
        return Response(self.body, media_type=self.media_type, headers=headers)


def _assets() -> dict[str, Asset]:
    # A fixed set read once at import: a name from the URL is only ever a key, never a path.
    files = (p for p in UI_DIR.iterdir() if p.is_file() and p.suffix in MEDIA_TYPES)
    return {path.name: Asset.read(path) for path in files}


ASSETS = _assets()
router = APIRouter(include_in_schema=False)


@router.api_route("/", methods=["GET", "HEAD"])
def page(request: Request) -> Response:
    return ASSETS["index.html"].response(request)


@router.api_route("/ui/{name}", methods=["GET", "HEAD"])
def asset(name: str, request: Request) -> Response:
    found = ASSETS.get(name)
    if found is None or name == "index.html":
        raise NotFoundError(f"no page asset named {name!r}", hint="the page lives at /")
    return found.response(request)

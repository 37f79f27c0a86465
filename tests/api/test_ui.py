"""The page's files as the server sends them: public, fixed, cacheable, locked down.
What the page does in a browser is tests/api/test_ui_browser.py."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from conftest import Service

from api.routes.ui import UI_DIR


@pytest.fixture(scope="module")
def keyed(services: Callable[..., Service]) -> Service:
    return services(RAG_API_KEYS="page-test-key")


def test_page_is_served_without_a_key_and_holds_no_data(keyed: Service) -> None:
    with keyed.client() as http:
        http.post(
            "/v1/documents",
            json={"text": "Secret launch codes are kept in the blue binder."},
            headers={"X-API-Key": "page-test-key"},
        ).raise_for_status()
        page = http.get("/")
        assert http.get("/v1/documents").status_code == 401
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.content == (UI_DIR / "index.html").read_bytes()
    assert "blue binder" not in page.text


def test_assets_are_served_with_a_locked_down_policy(client: httpx.Client) -> None:
    for name in ("app.js", "api.js", "app.css", "icon.svg"):
        response = client.get(f"/ui/{name}")
        assert response.status_code == 200, name
        assert response.content == (UI_DIR / name).read_bytes()
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["x-content-type-options"] == "nosniff"
    assert client.get("/ui/app.js").headers["content-type"].startswith("text/javascript")


def test_unchanged_asset_revalidates_as_304(client: httpx.Client) -> None:
    first = client.get("/ui/app.js")
    again = client.get("/ui/app.js", headers={"If-None-Match": first.headers["etag"]})
    assert first.headers["cache-control"] == "no-cache"
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize("name", ["nope.js", "..%2Fmain.py", "index.html", "%2Fetc%2Fpasswd"])
def test_unknown_asset_returns_404(client: httpx.Client, name: str) -> None:
    response = client.get(f"/ui/{name}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"

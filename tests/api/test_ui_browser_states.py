"""The page in a real browser, in the states around the happy path: the API key prompt,
uploads the server refuses, a service that is not ready, and a phone-sized window."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from conftest import Service, free_port
from helpers import ingest_text
from playwright.sync_api import Page, expect

KEY = "right-key-for-the-page"
WAIT_MS = 60_000
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def keyed(services: Callable[..., Service]) -> Service:
    service = services(RAG_API_KEYS=f"other-key,{KEY}")
    with service.client(authorization=f"Bearer {KEY}") as http:
        ingest_text(http, "Tidal range at Saint-Malo reaches thirteen metres.", "Tides")
    return service


def _give_key(page: Page, key: str) -> None:
    dialog = page.locator("#key-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("API key").fill(key)
    dialog.get_by_role("button", name="Use this key").click()


def test_key_prompt_refuses_a_wrong_key_and_keeps_a_right_one(
    context: Callable[..., Page], keyed: Service
) -> None:
    page = context(keyed)
    page.goto("/")
    _give_key(page, "wrong-key")
    expect(page.locator("#key-error")).to_contain_text("That key was not accepted")
    _give_key(page, KEY)
    expect(page.get_by_role("link", name="Tides")).to_be_visible()
    assert KEY not in page.url
    assert page.evaluate("localStorage.length") == 0
    assert page.evaluate("document.cookie") == ""
    page.reload()  # the same browser session: no second prompt
    expect(page.get_by_role("link", name="Tides")).to_be_visible()
    expect(page.locator("#key-dialog")).to_be_hidden()
    page.get_by_role("button", name="Forget key").click()
    expect(page.locator("#key-dialog")).to_be_visible()


def test_new_browser_session_asks_again_and_says_why_on_cancel(
    context: Callable[..., Page], keyed: Service
) -> None:
    first = context(keyed)
    first.goto("/")
    _give_key(first, KEY)
    expect(first.get_by_role("link", name="Tides")).to_be_visible()
    second = context(keyed)
    second.goto("/")
    expect(second.locator("#key-dialog")).to_be_visible()
    second.keyboard.press("Escape")
    expect(second.locator("main .error")).to_contain_text("missing or invalid API key")
    expect(second.locator("main .error")).to_contain_text("401 unauthorized")
    assert second.get_by_text("Tidal range").count() == 0


def _refusal(service: Service, name: str, content: bytes) -> dict[str, str]:
    with service.client() as http:
        response = http.post("/v1/documents", files={"files": (name, content)})
    assert response.status_code in (413, 415), response.text
    error: dict[str, str] = response.json()["error"]
    return error


def test_refused_uploads_show_the_servers_message_and_hint(
    context: Callable[..., Page], services: Callable[..., Service]
) -> None:
    service = services(RAG_MAX_UPLOAD_MB="0.05")
    big, tool = b"long lines of text\n" * 6_000, b"MZ\x90\x00 not a document"
    page = context(service)
    page.goto("/")
    expect(page.locator(".empty")).to_be_visible()
    page.locator("#file-input").set_input_files(
        [
            {"name": "big.txt", "mimeType": "text/plain", "buffer": big},
            {"name": "tool.exe", "mimeType": "application/octet-stream", "buffer": tool},
        ]
    )
    rows = page.locator(".outcome")
    expect(rows.nth(1)).to_have_attribute("data-outcome", "rejected", timeout=WAIT_MS)
    for row, (name, content) in zip(
        rows.all(), [("big.txt", big), ("tool.exe", tool)], strict=True
    ):
        error = _refusal(service, name, content)
        expect(row).to_have_attribute("data-outcome", "rejected")
        expect(row.locator(".error strong")).to_have_text(error["message"])
        expect(row.locator(".error .hint")).to_have_text(error["hint"])
    expect(page.locator(".empty")).to_be_visible()  # nothing was stored


def test_page_waits_for_a_service_that_is_not_ready(
    context: Callable[..., Page], services: Callable[..., Service]
) -> None:
    nowhere = f"postgresql://rag:rag@127.0.0.1:{free_port()}/rag"
    service = services(wait_ready=False, RAG_DATABASE_URL=nowhere)
    page = context(service)
    page.goto("/")
    banner = page.locator("#banner")
    expect(banner).to_contain_text("The service is not ready yet", timeout=WAIT_MS)
    reason = httpx.get(f"{service.url}/ready").json()["reason"]
    expect(banner).to_contain_text(reason.split(":")[0])
    expect(page.locator("#service-state")).to_have_text("not ready")
    assert page.locator("body[data-ready]").count() == 0


@pytest.mark.parametrize("view", ["/", "/#/ask"])
def test_page_fits_a_phone_sized_window(
    context: Callable[..., Page], keyed: Service, view: str
) -> None:
    page = context(keyed, viewport=PHONE)
    page.goto(view)
    _give_key(page, KEY)
    if view == "/#/ask":
        page.get_by_label("Question").fill("How high are the tides at Saint-Malo?")
        page.get_by_role("button", name="Ask", exact=True).click()
        page.get_by_role("button", name="[1] Tides").click()
        expect(page.locator("#passage mark")).to_be_visible()
    else:
        expect(page.get_by_role("link", name="Tides")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow} px wider than a {PHONE['width']} px window"

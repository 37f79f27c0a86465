"""Collections and keys in a real browser against the real service: an admin makes a
collection and a scoped key (shown once), picks the collection to upload into, browse and
ask, and revokes the key."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from conftest import Service
from helpers import ingest_text
from playwright.sync_api import Page, expect

ADMIN = "admin-key-for-the-page"
WAIT_MS = 60_000
OUTSIDE = "Quarterly budget: the marketing team spends on billboards."
INSIDE = "Parental leave policy: sixteen weeks, paid in full."


@pytest.fixture(scope="module")
def service(services: Callable[..., Service]) -> Service:
    started = services(RAG_API_KEYS=ADMIN)
    with started.client(authorization=f"Bearer {ADMIN}") as http:
        ingest_text(http, OUTSIDE, "Budget")
    return started


@pytest.fixture()
def page(context: Callable[..., Page], service: Service) -> Page:
    opened = context(service, viewport={"width": 1280, "height": 900})
    opened.goto("/#/collections")
    dialog = opened.locator("#key-dialog")
    expect(dialog).to_be_visible(timeout=WAIT_MS)
    dialog.get_by_label("API key").fill(ADMIN)
    dialog.get_by_role("button", name="Use this key").click()
    return opened


def _with(service: Service, key: str) -> httpx.Client:
    return service.client(authorization=f"Bearer {key}")


def test_admin_makes_a_collection_and_a_scoped_key_shown_once(page: Page, service: Service) -> None:
    form = page.locator("#new-collection")
    form.get_by_label("Name").fill("hr")
    form.get_by_label("Description").fill("HR policies")
    form.get_by_role("button", name="Create").click()
    expect(page.locator('tr[data-name="hr"]')).to_contain_text("HR policies")
    page.get_by_role("link", name="Keys").click()
    key_form = page.locator("#new-key-form")
    key_form.get_by_label("Name").fill("hr-bot")
    key_form.get_by_label("Role").select_option("reader")
    key_form.get_by_label("hr").check()
    key_form.get_by_role("button", name="Create key").click()
    shown = page.locator("#new-key")
    expect(shown).to_be_visible()
    key = shown.input_value()
    assert key.startswith("rag_")
    expect(page.locator("#key-shown")).to_contain_text("never shown again")
    expect(page.locator("#keys")).to_contain_text("hr-bot")
    expect(page.locator("#keys")).not_to_contain_text(key)
    with _with(service, key) as http:
        names = [c["name"] for c in http.get("/v1/collections").json()["items"]]
    assert names == ["hr"]
    page.reload()
    expect(page.locator("#keys")).to_contain_text("hr-bot")
    expect(page.locator("#new-key")).to_have_count(0)  # never shown again
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke hr-bot").click()
    expect(page.locator("#keys")).not_to_contain_text("hr-bot")
    with _with(service, key) as http:
        assert http.get("/v1/collections").status_code == 401


def test_picked_collection_scopes_upload_list_and_answers(page: Page, service: Service) -> None:
    with _with(service, ADMIN) as http:
        http.post("/v1/collections", json={"name": "policies"})
    page.goto("/#/documents")
    page.locator("#collection-picker").select_option("policies")
    expect(page.locator("#upload-target")).to_have_text("policies")
    expect(page.get_by_text("No documents yet")).to_be_visible()
    upload = {"name": "leave.txt", "mimeType": "text/plain", "buffer": INSIDE.encode()}
    page.locator("#file-input").set_input_files(upload)  # type: ignore[arg-type]
    expect(page.locator(".outcome").first).to_have_attribute(
        "data-outcome", "stored", timeout=WAIT_MS
    )
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("policies")
    with _with(service, ADMIN) as http:
        stored = http.get("/v1/documents", params={"collection": "policies"}).json()["items"]
    assert [d["title"] for d in stored] == ["leave.txt"]
    page.get_by_role("link", name="Ask").click()
    expect(page.locator("#collection-picker")).to_have_value("policies")
    page.get_by_label("Question").fill("What does the marketing budget pay for?")
    page.get_by_role("button", name="Retrieve only").click()
    results = page.locator(".ranked li")
    expect(results.first).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(".ranked")).not_to_contain_text("Budget")
    page.locator("#collection-picker").select_option("")
    page.get_by_role("button", name="Retrieve only").click()
    expect(page.locator(".ranked")).to_contain_text("Budget", timeout=WAIT_MS)

"""The page in a real browser (headless Chromium) against the real service: uploads and their
outcomes, background jobs, the document list and pages, streamed answers with clickable
citations, delete. Auth, rejections, readiness and small screens: test_ui_browser_states.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import documents
import httpx
import pytest
from conftest import FakeLLM, Service
from helpers import ingest_text
from playwright.sync_api import Page, expect

from src.parsing import SUPPORTED_SUFFIXES

WAIT_MS = 60_000
LAKES = "Moraine Lake sits in the Valley of the Ten Peaks in Banff National Park, Canada."
REEFS = "Coral reefs are built by colonies of tiny animals called polyps."
FACT = "The lighthouse on the skerry was built from granite blocks shipped from Aberdeen."


@pytest.fixture(scope="module")
def service(services: Callable[..., Service], fake_llm: FakeLLM) -> Service:
    return services(
        LLM_BASE_URL=f"{fake_llm.url}/v1",
        LLM_MODEL="fake-model",
        LLM_TIMEOUT_S="10",
        RAG_BACKGROUND_INGEST_CHARS="20000",
    )


@pytest.fixture()
def http(service: Service) -> Iterator[httpx.Client]:
    with service.client() as client:
        yield client


@pytest.fixture()
def page(context: Callable[..., Page], service: Service) -> Page:
    return context(service, viewport={"width": 1280, "height": 900})


def _atlas() -> str:
    places = ["harbour", "glacier", "delta", "plateau", "fjord", "atoll", "canyon", "steppe"]
    lines = [
        f"Entry {n}: the {places[n % len(places)]} of region {n} is mapped at scale 1:{n + 1}000."
        for n in range(900)
    ]
    return "\n".join(lines)


def _file(name: str, text: str) -> dict[str, object]:
    return {"name": name, "mimeType": "text/plain", "buffer": text.encode()}


def _stored(http: httpx.Client, title: str) -> dict[str, object]:
    items = http.get("/v1/documents", params={"limit": 500}).json()["items"]
    return next(d for d in items if d["title"] == title)


def test_upload_shows_each_outcome_and_a_background_job(page: Page, http: httpx.Client) -> None:
    page.goto("/")  # the module's first test: its service is new and empty
    expect(page.get_by_text("No documents yet: upload some above.")).to_be_visible()
    files = [
        _file("lakes.md", LAKES),
        _file("reefs.txt", REEFS),
        _file("lakes-again.md", LAKES),
        _file("atlas.txt", _atlas()),
    ]
    page.locator("#file-input").set_input_files(files)  # type: ignore[arg-type]
    rows = page.locator(".outcome")
    expect(page.locator('.outcome[data-outcome="job"] progress')).to_be_visible(timeout=WAIT_MS)
    expect(rows.nth(3)).to_have_attribute("data-outcome", "stored", timeout=WAIT_MS)
    outcomes = [rows.nth(n).get_attribute("data-outcome") for n in range(4)]
    assert outcomes == ["stored", "stored", "duplicate", "stored"]
    expect(rows.nth(2)).to_contain_text("duplicate of lakes.md")
    atlas = _stored(http, "atlas.txt")
    expect(rows.nth(3)).to_contain_text(f"stored as atlas.txt ({atlas['chunk_count']} chunks)")
    for title in ("lakes.md", "reefs.txt", "atlas.txt"):
        document = _stored(http, title)
        row = page.locator(f'tr[data-id="{document["id"]}"]')
        expect(row).to_contain_text(title)
        expect(row.locator("td").nth(3)).to_have_text(str(document["chunk_count"]))
    assert page.locator("tbody tr").count() == 3


def test_document_page_shows_its_chunks_a_page_at_a_time(page: Page, http: httpx.Client) -> None:
    body = {"text": _atlas(), "title": "atlas.txt"}  # stored already if the upload test ran
    atlas = http.post("/v1/documents?background=false", json=body).json()["documents"][0]
    total = int(str(atlas["chunk_count"]))
    assert total > 50, "the atlas is meant to need two pages of chunks"
    page.goto("/")
    page.get_by_role("link", name="atlas.txt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("atlas.txt")
    expect(page.locator(".chunk")).to_have_count(50)
    expect(page.locator(".pager")).to_contain_text(f"1–50 of {total}")
    page.get_by_role("link", name="Next →").click()
    expect(page.locator(".chunk")).to_have_count(total - 50)
    last = http.get(f"/v1/documents/{atlas['id']}/chunks", params={"offset": total - 1}).json()
    expect(page.locator(".chunk").last.locator(".passage-text")).to_have_text(
        last["items"][0]["text"]
    )


def test_ask_streams_the_answer_and_opens_the_cited_passage(
    page: Page, http: httpx.Client, fake_llm: FakeLLM
) -> None:
    paragraphs = [
        " ".join([f"Paragraph {n} describes the weather of coastal town number {n}."] * 14)
        for n in range(6)
    ]
    paragraphs[3] = " ".join([FACT] * 3) + " " + paragraphs[3]
    text = "\n\n".join(paragraphs)
    document = ingest_text(http, text, title="Skerry survey")
    chunks = http.get(f"/v1/documents/{document['id']}/chunks").json()["items"]
    assert all(text[c["start"] : c["end"]] == c["text"] for c in chunks)
    question = "What was the lighthouse on the skerry built from?"
    cited = http.post("/v1/retrieve", json={"query": question, "top_k": 5}).json()["results"][0]
    assert cited["document_id"] == document["id"] and 0 < cited["position"] < len(chunks) - 1
    fake_llm.set("ok", word_delay=0.15)
    try:
        page.goto("/#/ask")
        page.get_by_label("Question").fill(question)
        page.get_by_label("Question").press("Enter")  # the keyboard alone asks
        # Part of the answer is on screen while the stream is still open.
        page.wait_for_function(
            "() => document.querySelector('#answer-text')?.textContent.length > 0"
            " && !document.querySelector('[data-done]')",
            timeout=WAIT_MS,
        )
        expect(page.locator("[data-done]")).to_be_attached(timeout=WAIT_MS)
    finally:
        fake_llm.set("ok")
    expect(page.locator("#answer-text")).to_have_text(
        f"According to the passages, the answer to '{question}' is in [1]."
    )
    expect(page.locator("#answer-mode")).to_contain_text("LLM (fake-model)")
    page.locator("a.cite").first.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#passage")
    expect(panel.locator("#passage-title")).to_have_text("Skerry survey")
    expect(panel.locator("mark")).to_have_text(cited["text"])
    before, after = chunks[cited["position"] - 1], chunks[cited["position"] + 1]
    expect(panel.locator(".passage-text")).to_have_text(text[before["start"] : after["end"]])
    panel.get_by_role("link", name="Open the document at this passage").click()
    expect(page.locator(".chunk.cited .passage-text")).to_have_text(cited["text"])


def test_retrieve_only_lists_ranked_passages_with_scores(page: Page, http: httpx.Client) -> None:
    question = "Which national park is Moraine Lake in?"
    ranked = http.post(
        "/v1/retrieve", json={"query": question, "top_k": 3, "mode": "keyword"}
    ).json()["results"]
    page.goto("/#/ask")
    page.get_by_label("Question").fill(question)
    page.get_by_label("Retrieval").select_option("keyword")
    page.get_by_label("Passages (top_k)").fill("3")
    page.get_by_role("button", name="Retrieve only").click()
    items = page.locator(".ranked > li")
    expect(items).to_have_count(len(ranked))
    for item, hit in zip(items.all(), ranked, strict=True):
        expect(item).to_contain_text(f"score {hit['score']:.4f}")
        expect(item.get_by_role("button")).to_have_text(hit["title"])
    items.first.get_by_role("button").click()
    expect(page.locator("#passage mark")).to_have_text(ranked[0]["text"])


def test_ask_names_the_page_of_each_pdf_passage(page: Page, http: httpx.Client) -> None:
    pages = [documents.filler(21), documents.filler(22)]
    pages.append("The ferry to the skerry leaves from pier nine at dawn. " + documents.filler(23))
    title = f"Timetable {uuid.uuid4().hex[:8]}"
    response = http.post(
        "/v1/documents",
        files={"files": ("timetable.pdf", documents.pdf_pages(pages))},
        data={"title": title},
    )
    assert response.status_code == 201, response.text
    question = "Where does the ferry to the skerry leave from?"
    hits = http.post("/v1/retrieve", json={"query": question, "top_k": 5}).json()["results"]
    label = next(hit["place"]["label"] for hit in hits if hit["title"] == title)
    assert label in ("p. 3", "pp. 2\u20133")
    assert f"{title}, {label}" in " ".join(_sources(page, question))
    page.locator(".sources li button", has_text=f"{title}, {label}").first.click()
    expect(page.locator("#passage")).to_contain_text(f"{label} · passage ")


def test_file_picker_offers_every_type_the_service_reads(page: Page) -> None:
    page.goto("/")
    offered = page.locator("#file-input").get_attribute("accept") or ""
    assert sorted(offered.split(",")) == sorted(SUPPORTED_SUFFIXES)


def _sources(page: Page, question: str) -> list[str]:
    page.goto("/#/ask")
    page.get_by_label("Question").fill(question)
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.locator("[data-done]")).to_be_attached(timeout=WAIT_MS)
    return page.locator(".sources li button").all_inner_texts()


def test_deleted_document_is_gone_from_list_and_answers(page: Page, http: httpx.Client) -> None:
    title = f"Keeper log {uuid.uuid4().hex[:6]}"
    document = ingest_text(
        http, "The keeper of the Skerryvore light was called Zebulon Marsh.", title
    )
    question = "Who was the keeper of the Skerryvore light?"
    assert any(title in source for source in _sources(page, question))
    page.goto("/")
    row = page.locator(f'tr[data-id="{document["id"]}"]')
    row.get_by_role("button", name=f"Delete {title}").click()
    expect(page.locator("#confirm-text")).to_contain_text(title)
    page.get_by_role("button", name="Cancel").click()
    expect(row).to_be_visible()
    row.get_by_role("button", name=f"Delete {title}").click()
    page.locator("#confirm-button").click()
    expect(row).to_have_count(0)
    expect(page.get_by_text(f'Deleted "{title}".')).to_be_visible()
    assert http.get(f"/v1/documents/{document['id']}").status_code == 404
    assert not any(title in source for source in _sources(page, question))


def test_document_text_is_shown_as_text_never_run(page: Page, http: httpx.Client) -> None:
    title = '<img src=x onerror="window.pwned=1">'
    text = '<script>window.pwned=2</script><b onmouseover="window.pwned=3">bold</b> tide tables'
    document = ingest_text(http, text, title)
    page.goto("/")
    expect(page.get_by_role("link", name=title)).to_be_visible()
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator(".chunk .passage-text")).to_have_text(text)
    page.goto("/#/ask")
    page.get_by_label("Question").fill("tide tables")
    page.get_by_role("button", name="Retrieve only").click()
    expect(page.locator(".ranked").get_by_role("button", name=title).first).to_be_visible()
    assert page.evaluate("window.pwned") is None
    assert page.locator("main img, main script, main b").count() == 0
    http.delete(f"/v1/documents/{document['id']}")


def test_llm_failure_shows_the_servers_message_and_hint(
    page: Page, http: httpx.Client, fake_llm: FakeLLM
) -> None:
    ingest_text(http, "Harbour seals haul out on sandbanks at low tide.", "Seals")
    body = {"question": "Where do harbour seals rest?"}
    fake_llm.set("error")
    try:
        refused = http.post("/v1/query", json=body)
        page.goto("/#/ask")
        page.get_by_label("Question").fill(body["question"])
        page.get_by_role("button", name="Ask", exact=True).click()
        error = page.locator("main .error")
        expect(error).to_be_visible(timeout=WAIT_MS)
    finally:
        fake_llm.set("ok")
    assert refused.status_code == 502
    expect(error.locator("strong")).to_have_text(refused.json()["error"]["message"])
    expect(error.locator(".hint")).to_have_text(refused.json()["error"]["hint"])
    expect(error).to_contain_text("502")

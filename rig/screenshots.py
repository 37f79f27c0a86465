"""The README's screenshots of the page, taken from the real service in headless Chromium:

    uv run python -m rig.screenshots [--out docs/screenshots]

It starts the service from source (real model, a new SQLite store, a key) and rig/fake_llm.py
as its LLM, with a scripted answer: the passages, citations, highlights and job progress are
the service's own; only the answer's wording is written here (no LLM is reachable)."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import FilePayload, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("RAG_TEST_CHROMIUM", "/usr/bin/chromium"))
KEY = "screenshot-key"
DESKTOP = {"width": 1200, "height": 820}
PHONE = {"width": 390, "height": 844}
START_TIMEOUT_S = 90
WAIT_MS = 60_000
SHOTS = ("key", "documents", "ask", "document", "keys", "phone")

BACKUPS = """# Backup policy

## Scope

This policy covers every production database, the object store that holds uploaded files,
and the configuration repository. Staging and developer databases are not backed up: they
can be rebuilt from the migrations and the seed data at any time, and nobody should keep
anything in them that they would miss. Logs are shipped to the log store and follow its own
retention rules, described in the observability handbook rather than here.

## Retention

Every database is backed up each night at 02:00 UTC. Nightly backups are kept for 35 days,
and the backup taken on the first day of each month is kept for one year. Object store
versions are kept for 90 days after they are overwritten or deleted.

## Encryption and copies

Backups are encrypted with the team's KMS key before they leave the database host, and a
copy is sent to a second region within an hour. Nobody outside the platform team can read
the backup buckets, and every read is logged. Keys are rotated each year; old keys stay
available for decryption until the last backup made with them has expired.

## Restores

A restore is rehearsed every quarter on a copy of the main database, and the time it takes is
written in the operations log: the last rehearsal took 41 minutes from the request to a
verified copy. A real restore is requested in the #platform channel; the on-call engineer
confirms which backup to use with the person who asked before anything is overwritten.
"""
ONCALL = """On-call handbook

The on-call engineer answers a page within 15 minutes, day or night. Severity 1 incidents
(the service is down for everyone) get a status page update every 30 minutes.

Hand-over happens on Mondays at 10:00: the outgoing engineer writes up open incidents and
anything they would want to know themselves.
"""
RELEASES = """Release notes 2.4

Uploads over 50,000 characters now run as background jobs with progress reports.
Answers stream as they are written, and every [n] marker links to its passage.
""" + "\n".join(
    f"Change {n}: maintenance item {n} of the 2.4 cycle, tracked and closed." for n in range(400)
)
QUESTION = "How long are backups kept?"
ANSWER = (
    "Nightly backups are kept for 35 days [1]. The backup taken on the first day of each "
    "month is kept longer, for one year [1]. Every backup is also copied to a second region "
    "within an hour [1]."
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer 200 (exit code {process.poll()})")


@contextmanager
def _running(args: list[str], env: dict[str, str], ready_url: str) -> Iterator[None]:
    process = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    try:
        _wait(ready_url, process)
        yield
    finally:
        process.terminate()
        process.wait(15)


@contextmanager
def service() -> Iterator[str]:
    """The service with a key and the stand-in LLM; yields its URL."""
    llm_port, port = _free_port(), _free_port()
    llm = f"http://127.0.0.1:{llm_port}"
    with (
        tempfile.TemporaryDirectory() as storage,
        _running([sys.executable, "rig/fake_llm.py", str(llm_port)], {**os.environ}, f"{llm}/last"),
    ):
        httpx.post(f"{llm}/control", json={"answer": ANSWER, "word_delay": 0.01})
        env = {
            **os.environ,
            "RAG_HOST": "127.0.0.1",
            "RAG_PORT": str(port),
            "RAG_STORAGE_DIR": storage,
            "RAG_API_KEYS": KEY,
            "LLM_BASE_URL": f"{llm}/v1",
            "LLM_MODEL": "your-llm",
            "RAG_BACKGROUND_INGEST_CHARS": "20000",  # the release notes become a job
        }
        url = f"http://127.0.0.1:{port}"
        with _running([sys.executable, "main.py"], env, f"{url}/ready"):
            yield url


def _upload(page: Page, out: Path) -> None:
    page.goto("/")
    expect(page.locator("#key-dialog")).to_be_visible()
    page.screenshot(path=out / "key.png")
    page.get_by_label("API key", exact=True).fill(KEY)
    page.get_by_role("button", name="Use this key").click()
    files = [
        ("backup-policy.md", BACKUPS),
        ("oncall.txt", ONCALL),
        ("release-notes-2.4.txt", RELEASES),
        ("backup-policy copy.md", BACKUPS),
        ("diagram.png", "\x89PNG not a document"),
    ]
    payloads = [FilePayload(name=n, mimeType="text/plain", buffer=t.encode()) for n, t in files]
    page.locator("#file-input").set_input_files(payloads)
    expect(page.locator(".outcome").nth(4)).to_have_attribute(
        "data-outcome", "rejected", timeout=WAIT_MS
    )
    page.screenshot(path=out / "documents.png", full_page=True)


def _ask(page: Page, out: Path) -> None:
    page.goto("/#/ask")
    page.get_by_label("Question").fill(QUESTION)
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.locator("[data-done]")).to_be_attached(timeout=WAIT_MS)
    page.locator("a.cite").first.click()
    expect(page.locator("#passage mark")).to_be_visible()
    page.screenshot(path=out / "ask.png")
    page.get_by_role("link", name="Open the document at this passage").click()
    expect(page.locator(".chunk.cited")).to_be_visible()
    page.screenshot(path=out / "document.png")


def _keys(page: Page, out: Path) -> None:
    """A collection, and a reader key for it just made: the key as it is shown, once."""
    page.goto("/#/collections")
    form = page.locator("#new-collection")
    form.get_by_label("Name").fill("operations")
    form.get_by_label("Description").fill("Runbooks, on-call and backups")
    form.get_by_role("button", name="Create").click()
    expect(page.locator('tr[data-name="operations"]')).to_be_visible()
    page.goto("/#/keys")
    key_form = page.locator("#new-key-form")
    key_form.get_by_label("Name").fill("ops-chatbot")
    key_form.get_by_label("operations").check()
    key_form.get_by_role("button", name="Create key").click()
    expect(page.locator("#key-shown")).to_be_visible()
    page.screenshot(path=out / "keys.png", full_page=True)


def capture(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    with service() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        desktop = browser.new_context(base_url=url, viewport=DESKTOP)  # type: ignore[arg-type]
        page = desktop.new_page()
        _upload(page, out)
        _ask(page, out)
        _keys(page, out)
        phone = browser.new_context(base_url=url, viewport=PHONE)  # type: ignore[arg-type]
        small = phone.new_page()
        small.goto("/#/ask")
        small.get_by_label("API key", exact=True).fill(KEY)
        small.get_by_role("button", name="Use this key").click()
        small.get_by_label("Question").fill(QUESTION)
        small.get_by_role("button", name="Ask", exact=True).click()
        expect(small.locator("[data-done]")).to_be_attached(timeout=WAIT_MS)
        small.screenshot(path=out / "phone.png")
        browser.close()
    return [out / f"{name}.png" for name in SHOTS]


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="scripts/screenshots.sh",
        description="Take the README's screenshots of the web page from the real service.",
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "screenshots", help="folder for the PNGs"
    )
    for path in capture(parser.parse_args().out):
        print(path)


if __name__ == "__main__":
    main()

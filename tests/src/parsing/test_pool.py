"""Parser workers: real processes under real limits, replaced when they die or hit one."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import documents
import hostile
import pytest
from helpers import parser_worker_pids, require, wait_until

from src.errors import InvalidInputError, LimitExceededError
from src.parsing import ParseLimits
from src.parsing.ocr import ocr_unavailable
from src.parsing.pool import ParserPool


def _is_zombie(pid: int) -> bool:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] == "Z"


@pytest.fixture()
def pool() -> Iterator[ParserPool]:
    parser = ParserPool(ParseLimits(memory_mb=300, cpu_seconds=2), size=1)
    yield parser
    parser.close()


def test_extract_in_worker_returns_text_and_title(pool: ParserPool) -> None:
    parsed = pool.extract(b"<title>T</title><p>Hello otters</p>", ".html")
    text, title = parsed.text, parsed.title
    assert (text, title) == ("Hello otters", "T")


def test_extract_bad_file_raises_and_keeps_working(pool: ParserPool) -> None:
    with pytest.raises(InvalidInputError, match="not valid UTF-8"):
        pool.extract(b"\xff\xfe\xfd", ".md")
    assert pool.extract(b"still here", ".txt").text == "still here"


def test_extract_over_memory_cap_names_the_limit_and_replaces_worker(pool: ParserPool) -> None:
    before = parser_worker_pids(os.getpid())
    with pytest.raises(LimitExceededError, match="300 MB memory limit"):
        pool.extract(hostile.pdf_flate_bomb(200), ".pdf")
    assert parser_worker_pids(os.getpid()).isdisjoint(before)
    assert pool.extract(hostile.pdf_text("after the bomb"), ".pdf").text == "after the bomb"


def test_extract_over_cpu_cap_names_the_limit(pool: ParserPool) -> None:
    with pytest.raises(LimitExceededError, match="2 s CPU time limit"):
        pool.extract(hostile.html_nested(), ".html")
    assert pool.extract(b"after the spin", ".txt").text == "after the spin"


def test_extract_after_worker_was_killed_while_idle_succeeds(pool: ParserPool) -> None:
    for pid in parser_worker_pids(os.getpid()):
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda pid=pid: _is_zombie(pid), 10, f"worker {pid} to die")
    assert pool.extract(b"a fresh worker answers", ".txt").text == "a fresh worker answers"


def test_extract_when_worker_dies_mid_parse_is_422_naming_limits(pool: ParserPool) -> None:
    # A worker killed from outside (the kernel's OOM killer, say) while it parses.
    pids = parser_worker_pids(os.getpid())
    killer = threading.Timer(0.5, lambda: [os.kill(pid, signal.SIGKILL) for pid in pids])
    killer.start()
    with pytest.raises(LimitExceededError, match=r"parser stopped \(SIGKILL\)"):
        pool.extract(hostile.html_nested(), ".html")
    killer.join()
    assert pool.extract(b"replaced", ".txt").text == "replaced"


def test_extract_with_ocr_deferred_counts_the_pages_to_read(pool: ParserPool) -> None:
    parsed = pool.extract(documents.scanned_pdf([["One."], ["Two."]]), ".pdf", defer_ocr=True)
    assert (parsed.text, parsed.unread_pages) == ("", 2)


def test_extract_tells_each_page_ocr_reads(pool: ParserPool) -> None:
    require(not ocr_unavailable(ParseLimits()), "tesseract-ocr is not installed")
    pages: list[tuple[int, int]] = []
    parsed = pool.extract(
        documents.scanned_pdf([["Otters."], ["Beavers."]]),
        ".pdf",
        on_page=lambda read, of: pages.append((read, of)),
    )
    assert parsed.text == "Otters.\n\nBeavers."
    assert pages == [(1, 2), (2, 2)]

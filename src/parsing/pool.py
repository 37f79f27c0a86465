"""Parser workers owned by the service: a fixed number of processes, each used by one
parse at a time, replaced when one hits a limit, dies, overruns its time or grows."""

from __future__ import annotations

import base64
import json
import os
import queue
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from src.errors import BusyError, InvalidInputError, LimitExceededError, UnsupportedTypeError
from src.formats import FORMATS, OCR_FAMILIES
from src.parsing.limits import MB, ParseLimits
from src.parsing.ocr import PageProgress
from src.parsing.sections import Attachment, Parsed
from src.parsing.worker import ANSWER_HEAD, DEFER_OCR, REPORT_PAGES, REQUEST_HEAD, WEB_PAGE

_ROOT = Path(__file__).resolve().parents[2]
RECYCLE_RSS_BYTES = 256 * MB  # a worker that grew past this gives its memory back by exiting


class WorkerLostError(Exception):
    """The worker died or overran its time: no answer will come."""

    def __init__(self, returncode: int | None, timed_out: bool) -> None:
        super().__init__(f"parser worker lost (exit {returncode}, timed out: {timed_out})")
        self.returncode = returncode
        self.timed_out = timed_out


class ParserWorker:
    def __init__(self, limits: ParseLimits) -> None:
        path = os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))
        self._process = subprocess.Popen(
            [sys.executable, "-m", "src.parsing.worker", limits.to_json()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=_ROOT,
            env={**os.environ, "PYTHONPATH": path},
        )

    def parse(
        self, suffix: str, data: bytes, timeout: float, flags: int, on_page: PageProgress | None
    ) -> dict[str, Any]:
        assert self._process.stdin is not None
        deadline = time.monotonic() + timeout
        name = suffix.encode()
        try:
            self._process.stdin.write(REQUEST_HEAD.pack(len(name), len(data), flags) + name)
            self._process.stdin.write(data)
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise self._lost(timed_out=False) from None
        while True:  # progress frames ({"pages": [read, of]}) until the answer
            (size,) = ANSWER_HEAD.unpack(self._read(ANSWER_HEAD.size, deadline))
            reply: dict[str, Any] = json.loads(self._read(size, deadline))
            if "pages" not in reply:
                return reply
            if on_page is not None:
                on_page(*reply["pages"])

    def _read(self, size: int, deadline: float) -> bytes:
        assert self._process.stdout is not None
        fd = self._process.stdout.fileno()
        parts: list[bytes] = []
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while size > 0:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    raise self._lost(timed_out=True)
                part = os.read(fd, min(size, 1 << 20))
                if not part:
                    raise self._lost(timed_out=False)
                parts.append(part)
                size -= len(part)
        return b"".join(parts)

    def _lost(self, timed_out: bool) -> WorkerLostError:
        self.stop()
        return WorkerLostError(self._process.returncode, timed_out)

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for pipe in (self._process.stdin, self._process.stdout):
            if pipe is not None:
                pipe.close()


class ParserPool:
    def __init__(self, limits: ParseLimits, size: int) -> None:
        self.limits = limits
        self.timeout_s = limits.wall_seconds(with_ocr=False)
        self._longest_s = limits.wall_seconds(with_ocr=True)
        self._idle: queue.Queue[ParserWorker] = queue.Queue()
        for _ in range(size):
            self._idle.put(ParserWorker(limits))

    def extract(
        self,
        data: bytes,
        suffix: str,
        *,
        defer_ocr: bool = False,
        on_page: PageProgress | None = None,
        web_page: bool = False,
    ) -> Parsed:
        """The file as parsed by a worker; a bad or over-limit file raises. `defer_ocr`:
        count OCR's pages instead of reading them; `on_page`: told of each page OCR reads;
        `web_page`: HTML is a web page, read for its main text."""
        worker = self._next_worker()
        if not worker.alive:  # died while idle (killed from outside): not this file's fault
            worker.stop()
            worker = ParserWorker(self.limits)
        keep = False
        try:
            flags = (
                (DEFER_OCR if defer_ocr else 0)
                | (REPORT_PAGES if on_page else 0)
                | (WEB_PAGE if web_page else 0)
            )
            reply = worker.parse(suffix, data, self._timeout(suffix), flags, on_page)
            keep = not reply.get("recycle") and reply.get("rss", 0) <= RECYCLE_RSS_BYTES
        except WorkerLostError as exc:
            raise self._lost_error(exc, self._timeout(suffix)) from exc
        finally:
            if not keep:
                worker.stop()
                worker = ParserWorker(self.limits)
            self._idle.put(worker)
        return _result(reply)

    def _next_worker(self) -> ParserWorker:
        # Waiting is bounded too: longer than one parse may take means something is stuck.
        try:
            return self._idle.get(timeout=self._longest_s)
        except queue.Empty:
            raise BusyError(
                f"every parser worker stayed busy for {self._longest_s} s",
                hint="retry later, or raise RAG_PARSE_WORKERS",
            ) from None

    def _timeout(self, suffix: str) -> int:
        return self._longest_s if FORMATS[suffix].family in OCR_FAMILIES else self.timeout_s

    def _lost_error(self, exc: WorkerLostError, timeout_s: int) -> LimitExceededError:
        if exc.timed_out:
            return LimitExceededError(
                f"parsing took longer than the {timeout_s} s time limit",
                hint="split the document, or raise RAG_PARSE_CPU_SECONDS",
            )
        died = _signal_name(exc.returncode)
        return LimitExceededError(
            f"the parser stopped ({died}) at its limits: {self.limits.memory_mb} MB of memory, "
            f"{self.limits.cpu_seconds} s of CPU time",
            hint="split the document, or raise RAG_PARSE_MEMORY_MB / RAG_PARSE_CPU_SECONDS",
        )

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().stop()
            except queue.Empty:
                return


def _signal_name(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            pass
    return f"exit code {returncode}"


def _result(reply: dict[str, Any]) -> Parsed:
    kind = reply.get("error")
    if kind == "limit":
        raise LimitExceededError(reply["message"], hint=reply.get("hint", ""))
    if kind == "unsupported":
        raise UnsupportedTypeError(reply["message"], hint=reply.get("hint", ""))
    if kind:
        raise InvalidInputError(reply["message"], hint=reply.get("hint", ""))
    marks = [(int(offset), dict(place)) for offset, place in reply["marks"]]
    attached = [
        Attachment(str(a["filename"]), base64.b64decode(a["data"])) for a in reply["attachments"]
    ]
    return Parsed(
        str(reply["text"]), str(reply["title"]), marks, attached, int(reply["unread_pages"])
    )

"""A parser worker: one process that parses one file at a time for a `ParserPool`.

Started as `python -m src.parsing.worker LIMITS_JSON`. Requests arrive on stdin, answers
leave on stdout (length-prefixed frames); anything a library prints goes to stderr, the
service's log. The worker caps itself once its imports are done: its address space
(RLIMIT_AS) for good, and its CPU time per file (RLIMIT_CPU, whose SIGXCPU ends the parse).
Its parent adds a wall-clock limit and replaces it when it dies or grows.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import signal
import struct
import sys
from types import FrameType
from typing import Any, BinaryIO

from src.errors import InvalidInputError, LimitExceededError, UnsupportedTypeError
from src.parsing import extract_text
from src.parsing.limits import MB, ParseLimits
from src.parsing.ocr import PAGE_PROGRESS

REQUEST_HEAD = struct.Struct(">HQB")  # suffix length, data length, flags
# The flags: leave OCR's pages unread; send progress frames; HTML is a web page.
DEFER_OCR, REPORT_PAGES, WEB_PAGE = 1, 2, 4
ANSWER_HEAD = struct.Struct(">Q")


class CpuLimitError(Exception):
    pass


def _on_sigxcpu(signum: int, frame: FrameType | None) -> None:
    raise CpuLimitError


def _arm_cpu(seconds: int) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(usage.ru_utime + usage.ru_stime)
    resource.setrlimit(resource.RLIMIT_CPU, (spent + seconds + 1, resource.RLIM_INFINITY))


def _disarm_cpu() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:  # noqa: PTH123 - a tiny proc file, read once
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    data = stream.read(size)
    return data if len(data) == size else None


def read_request(stream: BinaryIO) -> tuple[str, bytes, int] | None:
    head = _read_exactly(stream, REQUEST_HEAD.size)
    if head is None:
        return None  # the service closed the pipe: time to go
    suffix_len, data_len, flags = REQUEST_HEAD.unpack(head)
    suffix = _read_exactly(stream, suffix_len)
    data = _read_exactly(stream, data_len)
    if suffix is None or data is None:
        return None
    return suffix.decode(), data, flags


def _refusal(kind: str, message: str, hint: str = "") -> dict[str, Any]:
    return {"error": kind, "message": message, "hint": hint, "recycle": kind == "limit"}


def answer(suffix: str, data: bytes, flags: int, limits: ParseLimits) -> dict[str, Any]:
    _arm_cpu(limits.cpu_seconds)
    try:
        parsed = extract_text(
            data,
            suffix,
            limits,
            defer_ocr=bool(flags & DEFER_OCR),
            web_page=bool(flags & WEB_PAGE),
        )
        return {
            "text": parsed.text,
            "title": parsed.title,
            "marks": parsed.marks,
            "attachments": [
                {"filename": a.filename, "data": base64.b64encode(a.data).decode()}
                for a in parsed.attachments
            ],
            "unread_pages": parsed.unread_pages,
            "rss": rss_bytes(),
        }
    except LimitExceededError as exc:
        return _refusal("limit", exc.message, exc.hint)
    except InvalidInputError as exc:
        return _refusal("invalid", exc.message, exc.hint)
    except UnsupportedTypeError as exc:
        return _refusal("unsupported", exc.message, exc.hint)
    except MemoryError:
        return _refusal(
            "limit",
            f"parsing needs more than the {limits.memory_mb} MB memory limit",
            "split the document, or raise RAG_PARSE_MEMORY_MB",
        )
    except CpuLimitError:
        return _refusal(
            "limit",
            f"parsing takes more than the {limits.cpu_seconds} s CPU time limit",
            "split the document, or raise RAG_PARSE_CPU_SECONDS",
        )
    except Exception as exc:  # a parser's own bug is still a file it cannot read
        print(f"parser worker: {type(exc).__name__}: {exc}", file=sys.stderr)
        refusal = _refusal("invalid", f"the file could not be parsed ({type(exc).__name__})")
        return {**refusal, "recycle": True}
    finally:
        _disarm_cpu()


def write_answer(stream: BinaryIO, reply: dict[str, Any]) -> None:
    body = json.dumps(reply, ensure_ascii=False).encode("utf-8", "replace")
    stream.write(ANSWER_HEAD.pack(len(body)) + body)
    stream.flush()


def _preload() -> None:
    """Import every parser's libraries before the memory cap, so the cap is for files."""
    import lxml.etree  # noqa: F401
    import PIL.Image
    import PIL.PngImagePlugin  # noqa: F401
    import pypdf  # noqa: F401


def main() -> None:
    limits = ParseLimits.from_json(sys.argv[1])
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must never corrupt the answer frames
    _preload()
    cap = limits.memory_mb * MB
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    signal.signal(signal.SIGXCPU, _on_sigxcpu)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the service stops us by closing stdin
    while (request := read_request(requests)) is not None:
        suffix, data, flags = request
        if flags & REPORT_PAGES:
            PAGE_PROGRESS.set(lambda read, pages: write_answer(answers, {"pages": [read, pages]}))
        else:
            PAGE_PROGRESS.set(None)
        write_answer(answers, answer(suffix, data, flags, limits))


if __name__ == "__main__":
    main()

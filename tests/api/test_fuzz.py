"""Fuzzing: schemathesis drives every route from the OpenAPI schema against the real
service (positive and negative cases, boundary values, stateful sequences), then the
hostile files go in. The service must answer every one of them below 500, stay up, end
with its memory bounded, and keep a store that passes its integrity checks.

RAG_FUZZ_EXAMPLES (per operation, default 100) and RAG_FUZZ_SEED (default 1) size and
vary the run; the counts are printed (run with -s to see them).
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import hostile
import pytest
from conftest import Service
from helpers import parser_worker_pids, store_problems

from bench.serving import rss_bytes

KEY = "fuzz-key-5b1e"
MB = 1024 * 1024


@pytest.fixture(scope="module")
def fuzzed(services: Callable[..., Service]) -> Service:
    return services(RAG_API_KEYS=KEY)


def _schemathesis(service: Service, report: Path) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("schemathesis")
    command = [
        str(executable),
        "run",
        f"{service.url}/openapi.json",
        "--header",
        f"X-API-Key: {KEY}",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        os.environ.get("RAG_FUZZ_EXAMPLES", "100"),
        "--seed",
        os.environ.get("RAG_FUZZ_SEED", "1"),
        "--request-timeout",
        "60",
        # One worker: hypothesis parses lambdas' source with ast, which CPython 3.11 can get
        # wrong from two threads at once ("AST constructor recursion depth mismatch").
        "--workers",
        "1",
        "--report",
        "har",
        "--report-har-path",
        str(report),
    ]
    # Run beside the report: schemathesis keeps a .schemathesis/ cache in its working dir.
    return subprocess.run(command, capture_output=True, text=True, timeout=1200, cwd=report.parent)


def test_fuzz_every_route_and_hostile_files_never_5xx(fuzzed: Service, tmp_path: Path) -> None:
    rss_before = rss_bytes(fuzzed.process.pid)
    report = tmp_path / "fuzz.har"
    run = _schemathesis(fuzzed, report)
    entries = json.loads(report.read_text())["log"]["entries"]
    statuses = collections.Counter(entry["response"]["status"] for entry in entries)
    with fuzzed.client(**{"X-API-Key": KEY}) as http:
        for name, make, _ in hostile.CATALOGUE:
            status = http.post("/v1/documents", files={"files": (name, make())}).status_code
            statuses[status] += 1
        assert http.get("/ready").status_code == 200
    rss_after = rss_bytes(fuzzed.process.pid)
    summary = {
        "cases": sum(statuses.values()),
        "2xx": sum(n for s, n in statuses.items() if s < 300),
        "4xx": sum(n for s, n in statuses.items() if 400 <= s < 500),
        "5xx": sum(n for s, n in statuses.items() if s >= 500),
        "by_status": dict(sorted(statuses.items())),
        "rss_before_mb": round(rss_before / MB),
        "rss_after_mb": round(rss_after / MB),
    }
    print(f"\nfuzz summary: {json.dumps(summary)}")
    assert run.returncode == 0, run.stdout[-4000:]
    assert summary["5xx"] == 0, summary
    assert summary["cases"] > 500
    assert rss_after < rss_before + 150 * MB, summary
    assert all(rss_bytes(pid) < 256 * MB for pid in parser_worker_pids(fuzzed.process.pid))
    database = fuzzed.storage_dir / "rag.sqlite3"
    assert store_problems(database) == []

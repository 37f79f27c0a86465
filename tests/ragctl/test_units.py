"""ragctl's pure parts: BuildKit output parsing, retention choice, banned layer paths."""

from __future__ import annotations

import pytest

from ragctl.buildkit import BuildLog
from ragctl.disk import (
    NEEDED,
    OTHER,
    PRUNE,
    RECLAIMABLE,
    CacheRecord,
    Part,
    cache_parts,
    kept_images_bytes,
)
from ragctl.docker import Docker, parse_size
from ragctl.retention import ImageTag, to_remove
from ragctl.verification import _banned

PLAIN = """#1 [internal] load build definition from Dockerfile
#1 DONE 0.0s
#3 [auth] sharing credentials for 123456789012.dkr.ecr.us-east-1.amazonaws.com
#3 DONE 0.0s
#5 [base 1/1] FROM docker.io/library/python:3.11-slim-bookworm
#5 DONE 0.0s
#7 [deps 2/3] RUN --mount=type=cache,target=/root/.cache/uv uv venv
#7 CACHED
#9 [runtime 7/9] COPY --chown=root:root main.py ./
#9 DONE 0.3s
#11 [model 3/3] RUN /opt/export/bin/python -m model_export --out /opt/model
#11 12.30 exporting
#11 DONE 31.2s
#13 [deps 4/4] RUN --mount=type=cache,target=/root/.cache/rag-uv-runtime uv sync
#13 0.512 Resolved 70 packages in 3ms
#13 4.870 Prepared 2 packages in 4.30s
#13 5.210 Installed 61 packages in 310ms
#13 DONE 5.9s
#12 [runtime 9/9] COPY --chown=root:root src/ ./src/
#12 ERROR: failed to compute cache key
"""


def test_build_log_reads_status_and_duration() -> None:
    log = BuildLog()
    for line in PLAIN.splitlines():
        log.feed(line)
    steps = {s.id: s for s in log.steps()}
    assert set(steps) == {7, 9, 11, 12, 13}  # [internal] steps left out
    assert steps[7].status == "cached" and steps[7].stage == "deps"
    assert steps[9].status == "done" and steps[9].seconds == 0.3
    assert steps[11].seconds == 31.2 and steps[12].status == "error"
    # uv's count of packages it had to fetch (the other 59 came from its cache)
    assert steps[13].prepared == 2 and steps[11].prepared == 0


def _tag(tag: str, image_id: str, created: str) -> ImageTag:
    return ImageTag(f"img:{tag}", tag, image_id, created, 1)


def test_to_remove_keeps_newest_latest_and_protected() -> None:
    tags = [
        _tag("v5", "e", "5"),
        _tag("v4", "d", "4"),
        _tag("latest", "a", "3"),
        _tag("v3", "c", "3"),
        _tag("v2", "b", "2"),
        _tag("v1", "a", "1"),
    ]
    assert [t.tag for t in to_remove(tags, 2, protected={"b"})] == ["v3"]
    assert to_remove(tags, 10, set()) == []


def test_to_remove_counts_architecture_tags_with_their_version() -> None:
    tags = [
        _tag("v3-arm64", "c-arm", "3"),
        _tag("v3-amd64", "c", "3"),
        _tag("v3", "c", "3"),
        _tag("v2-arm64", "b-arm", "2"),
        _tag("v2", "b", "2"),
        _tag("v1-arm64", "a-arm", "1"),
        _tag("v1", "a", "1"),
    ]
    assert [t.tag for t in to_remove(tags, 2, protected=set())] == ["v1-arm64", "v1"]


@pytest.mark.parametrize(
    ("path", "banned"),
    [
        ("app/.env", True),
        ("./app/.env", True),
        ("root/.aws/credentials", True),
        ("root/.cache/uv/archive-v0/x", True),
        ("app/tests/test_x.py", True),
        ("app/.venv/lib/python3.11/site-packages/torch/__init__.py", True),
        ("app/.env.example", False),
        ("app/src/store/sqlite.py", False),
        ("app/.venv/lib/python3.11/site-packages/certifi/cacert.pem", False),
        ("usr/lib/python3.11/venv/scripts/common/activate", False),
    ],
)
def test_banned_paths(path: str, banned: bool) -> None:
    assert (_banned(path) is not None) is banned


@pytest.mark.parametrize(
    ("text", "size"),
    [("1.5GB", 1.5e9), ("512kB", 512e3), ("0B", 0), ("2.1MiB", 2.1 * 1024**2), ("junk", 0)],
)
def test_parse_size(text: str, size: float) -> None:
    assert parse_size(text) == pytest.approx(size)


def test_cache_records_finds_cache_mounts_whatever_the_field_order() -> None:
    from ragctl.disk import cache_records

    out = (
        "ID:\t\ta\nSize:\t\t6.191GB\nDescription:\tcached mount /root/.cache/uv from exec\n"
        "Type:\t\texec.cachemount\n\nID:\t\tb\nSize:\t\t249.5MB\nType:\t\tregular\n"
    )
    records = cache_records(out)
    assert [(r["ID"], r["Type"]) for r in records] == [("a", "exec.cachemount"), ("b", "regular")]
    assert parse_size(records[0]["Size"]) == pytest.approx(6.191e9)


def test_read_history_names_a_damaged_label_instead_of_reading_it_as_empty() -> None:
    from ragctl.history import HISTORY_LABEL, read_history

    assert read_history({}) == ([], "")
    history, damage = read_history({HISTORY_LABEL: '[{"version": "v1"'})
    assert history == []
    assert HISTORY_LABEL in damage and "damaged" in damage
    kept, fine = read_history(
        {HISTORY_LABEL: '[{"version": "v1", "ref": "r@sha256:1", "deployed_at": 1.0}]'}
    )
    assert [entry.version for entry in kept] == ["v1"] and fine == ""


def test_with_login_retry_logs_in_again_whatever_the_refusal_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ragctl import ecr
    from ragctl.errors import RagctlError

    forced: list[bool] = []
    monkeypatch.setattr(ecr, "login", lambda docker, creds, force=False: forced.append(force))
    attempts: list[int] = []

    def push() -> str:
        attempts.append(1)
        if len(attempts) == 1:  # worded as no list of known phrases would have caught
            raise RagctlError("denied: requested access to the resource is denied")
        return "pushed"

    creds = ecr.Credentials("registry.example:5000", "AWS", "secret", 0.0)
    assert ecr.with_login_retry(Docker(), creds, push) == "pushed"
    assert forced == [False, True] and len(attempts) == 2


def _record(kind: str, size: int, description: str = "", shared: bool = False) -> CacheRecord:
    return CacheRecord(f"id-{description[:8]}-{size}", kind, size, description, shared)


def test_cache_parts_keep_the_runtime_cache_and_name_what_can_go() -> None:
    records = [
        _record("exec.cachemount", 300, "cached mount /root/.cache/rag-uv-runtime from exec uv"),
        _record(
            "exec.cachemount",
            6000,
            "cached mount /root/.cache/uv from exec "
            "/tmp/export/bin/python -m model_export --out /opt/model",
        ),
        _record("exec.cachemount", 50, "cached mount /root/.npm from exec npm ci"),
        _record("regular", 700),
        _record("regular", 400, shared=True),  # an image's layer too: counted there
    ]
    parts = {p.name: p for p in cache_parts(records, allowance=500)}
    assert parts["runtime uv cache"] == Part("runtime uv cache", 300, NEEDED)
    assert parts["build cache the next build reuses"].bytes == 500
    beyond = parts["build cache beyond the allowance"]
    assert (beyond.bytes, beyond.kind, beyond.reclaim) == (200, RECLAIMABLE, PRUNE)
    earlier = parts["earlier builds' cache mounts (1)"]
    assert (earlier.bytes, earlier.kind, earlier.reclaim) == (6000, RECLAIMABLE, PRUNE)
    assert parts["other cache mounts (1)"].bytes == 50
    assert parts["other cache mounts (1)"].kind == OTHER
    assert [r.earlier_mount for r in records] == [False, True, False, False, False]


def test_kept_images_count_shared_layers_once() -> None:
    rows = [
        {"Size": "600MB", "UniqueSize": "200kB"},
        {"Size": "601MB", "UniqueSize": "1.2MB"},
        {"Size": "600MB", "UniqueSize": "0B"},
    ]
    assert kept_images_bytes(rows) == pytest.approx(601e6 + 200e3)
    assert kept_images_bytes([]) == 0
